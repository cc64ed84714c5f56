// The default composer: no language model. A plain explanation from the best-matching
// service guide, the articles quoted verbatim with law, number and validity, the next
// step from the guide and the service directory, and a short disclaimer.

import type { ServiceDirectory } from "../knowledge/directory.ts";
import { isCurrentLaw, validityLabel } from "../knowledge/status.ts";
import type { ArticleUnit, Guide } from "../knowledge/types.ts";
import type { AnswerFocus } from "./focus.ts";
import { firstMessageParts } from "./phone-first.ts";
import { DETAIL_HINT, DISCLAIMER, renderText } from "./render.ts";
import type { AnswerParts, Citation, ReplyFormat } from "./types.ts";

export { cutToFit, fits } from "../text-fit.ts";

export { DISCLAIMER };
/** The line of a first message that offers the rest of the answer (a format may word it otherwise). */
export const MORE_HINT = DETAIL_HINT;
const QUOTE_MAX_CHARS = 220;

export interface ComposeInput {
  guide: Guide | null;
  /** Articles to quote, best first; only current law is quoted as such. */
  articles: ArticleUnit[];
  directory: ServiceDirectory;
  region: string | null;
  /** An explanation written by the language model, already verified; replaces the guide body. */
  explanation?: string;
  /** The question and its retrieved articles: the guide paragraph the first message leads with. */
  focus?: AnswerFocus;
  now?: Date;
}

export interface Composed {
  text: string;
  fullText: string;
  citations: Citation[];
  truncated: boolean;
  /** What `text` is rendered from (no lead yet). */
  parts: AnswerParts;
}

/** Quote of an article: the whole text when short, else a verbatim prefix ending in "……". */
export function quoteOf(text: string, max = QUOTE_MAX_CHARS): string {
  const flat = text.replace(/\n/g, " ");
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const stop = Math.max(cut.lastIndexOf("。"), cut.lastIndexOf("；"), cut.lastIndexOf("："));
  return (stop > max * 0.5 ? cut.slice(0, stop + 1) : cut) + "……";
}

export function citationOf(a: ArticleUnit, now = new Date()): Citation {
  return { law: a.law, article: a.article, status: validityLabel(a, now), quote: quoteOf(a.text), articleId: a.id };
}

/** The full answer's sections, in the order a resident needs them (paged by 回复【详细】). */
function sections(input: ComposeInput, citations: Citation[]): string[] {
  const { guide, directory, region } = input;
  const out: string[] = [];
  const explanation = input.explanation ?? guide?.body ?? "";
  if (guide) out.push(`【${guide.title}】`);
  if (explanation) out.push(explanation);
  if (citations.length > 0) {
    const lines = citations.map((c, i) => {
      return `${i + 1}.《${c.law}》${c.article}（${c.status}）\n“${c.quote}”`;
    });
    out.push(`法律依据：\n${lines.join("\n")}`);
  }
  const next: string[] = [];
  if (guide) {
    next.push(`下一步怎么做：\n${guide.steps.map((s, i) => `${i + 1}. ${s}`).join("\n")}`);
    if (guide.materials.length > 0) next.push(`要带的材料：${guide.materials.join("、")}`);
    const places = placesText(guide, directory, region, 3);
    if (places) next.push(`去哪里办：\n${places}`);
    if (guide.fees) next.push(`费用：${guide.fees}`);
    if (guide.timeLimits) next.push(`时限：${guide.timeLimits}`);
  } else {
    const centre = directory.placesFor("public_legal_service", region)[0];
    next.push(
      `下一步：可以带上身份证和相关材料，到${centre ? `${centre.name}${centre.address ? `（${centre.address}${centre.phone ? `，电话${centre.phone}` : ""}）` : ""}` : "当地公共法律服务中心"}当面咨询，或拨打12348。`,
    );
  }
  out.push(...next);
  return out;
}

function placesText(guide: Guide, directory: ServiceDirectory, region: string | null, max: number): string {
  const lines: string[] = [];
  for (const kind of guide.where) {
    const place = directory.placesFor(kind, region)[0];
    if (!place) continue;
    const details = [place.address, place.phone ? `电话${place.phone}` : "", place.hours].filter(Boolean).join("，");
    lines.push(`· ${place.name}${details ? `（${details}）` : ""}`);
    if (lines.length >= max) break;
  }
  return lines.join("\n");
}

/**
 * The answer in two forms: `text`, the phone-first message the resident sees at once
 * (phone-first.ts), and `fullText`, everything (the guide, the statutes quoted, every step,
 * materials, places, fees, time limits) for 回复【详细】.
 */
export function compose(input: ComposeInput, limits: ReplyFormat): Composed {
  const now = input.now ?? new Date();
  // Repealed or not-yet-effective text is never quoted as current law.
  const citations = input.articles.filter((a) => isCurrentLaw(a, now)).map((a) => citationOf(a, now));
  const fullText = [...sections(input, citations), DISCLAIMER].join("\n\n");
  const first = firstMessageParts({ guide: input.guide, citations, directory: input.directory, region: input.region, explanation: input.explanation, focus: input.focus }, limits);
  const parts: AnswerParts = { ...first, fullText };
  const text = renderText(parts, limits);
  return { text, fullText, citations, truncated: text !== fullText, parts };
}
