// The statutes a guide cites in its own text: every 《法律》第X条 in the body, steps, fees and
// time limits, with a bare 第X条 read as the last law named in the same paragraph. Used to
// check guides against the statute collection and to tell which guides a law change touches.
import type { Guide } from "./types.ts";

/** One article a guide cites in its text. */
export interface GuideCitation {
  /** The name as written between 《》 (〈〉 inside it turned back into 《》). */
  name: string;
  /** Canonical article label, e.g. 第二百九十三条之一. */
  article: string;
  /** Where in the guide: body, steps, fees, time_limits or materials. */
  field: string;
}

const NUM = "[零一二三四五六七八九十百千两]+";
// 《…》 (with 〈〉 inside), or an article run: 第X条, 第X条之一, 第X、Y条, 第X条、第Y条.
const TOKEN = new RegExp(`《([^《》]+)》|第(${NUM})条(之[一二三四五六七八九十])?((?:[、和及至]第?${NUM}条(?:之[一二三四五六七八九十])?)*)|第(${NUM})((?:[、和及]${NUM})+)条`, "g");

/** The paragraphs of a guide that state law, by field. */
function paragraphs(g: Guide): Array<{ field: string; text: string }> {
  const out: Array<{ field: string; text: string }> = [];
  for (const p of g.body.split(/\n\s*\n/)) out.push({ field: "body", text: p });
  for (const s of g.steps) out.push({ field: "steps", text: s });
  for (const m of g.materials) out.push({ field: "materials", text: m });
  if (g.fees) out.push({ field: "fees", text: g.fees });
  if (g.timeLimits) out.push({ field: "time_limits", text: g.timeLimits });
  return out;
}

/**
 * Every article the guide's text cites. A number with no law named before it in the same
 * paragraph is returned with name "" so a check can flag it.
 */
export function guideCitations(g: Guide): GuideCitation[] {
  const out: GuideCitation[] = [];
  for (const { field, text } of paragraphs(g)) {
    let current = "";
    for (const m of text.matchAll(TOKEN)) {
      if (m[1] !== undefined) {
        current = m[1].replace(/〈/g, "《").replace(/〉/g, "》").trim();
        continue;
      }
      // A number that is part of a name or a date ("第一次", "第X款") never reaches here: only 条.
      const labels: string[] = [];
      if (m[2] !== undefined) {
        labels.push(`第${m[2]}条${m[3] ?? ""}`);
        for (const more of (m[4] ?? "").matchAll(new RegExp(`第?(${NUM})条(之[一二三四五六七八九十])?`, "g"))) labels.push(`第${more[1]}条${more[2] ?? ""}`);
      } else if (m[5] !== undefined) {
        labels.push(`第${m[5]}条`);
        for (const more of (m[6] ?? "").split(/[、和及]/).filter(Boolean)) labels.push(`第${more}条`);
      }
      for (const article of labels) out.push({ name: current, article, field });
    }
  }
  return out;
}
