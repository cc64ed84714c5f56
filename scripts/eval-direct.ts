// The direct answer: does the first message lead with the paragraph of the guide that answers
// what was asked (focus.ts)? Each line of the set is a resident's question, the guide that
// covers it and the body paragraph a lawyer would read out first. Reported:
//   - with the labelled guide given: the share of questions whose paragraph is chosen, beside
//     always leading with the first paragraph (what the first message did before);
//   - guide search: the share of questions whose labelled guide comes first, or in the first three;
//   - through the assistant as residents meet it (no threshold, so every question is answered):
//     the share answered on the labelled guide, and of those the share leading with the
//     labelled paragraph.
// The default set, test/fixtures/blind/direct-paragraphs.jsonl, was written from the guides
// alone by a helper who never saw the code, and is never tuned on.
// Run: node bin/run-script.js scripts/eval-direct.ts [FILE.jsonl]   (LAWDESK_DATA_DIR as for lawdesk answer)
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PROJECT_ROOT } from "../src/config.ts";
import { focusParagraph, guideParagraphs } from "../src/pipeline/focus.ts";
import { sentencesUpTo } from "../src/pipeline/phone-first.ts";
import { EMPTY_CONTEXT } from "../src/pipeline/types.ts";
import { profileOf } from "../src/channels/profiles.ts";
import { openAssistant } from "./lib/assistant.ts";
import { readJsonl } from "./lib/ir-metrics.ts";

interface Line {
  id: string;
  guide: string;
  question: string;
  /** 1-based body paragraph. */
  paragraph: number;
}

const BLIND = resolve(PROJECT_ROOT, "test/fixtures/blind/direct-paragraphs.jsonl");

/** Which body paragraph (0-based) a first message's direct answer was taken from, or -1. */
function paragraphOf(body: string, direct: string): number {
  const head = direct.replace(/……$/, "").slice(0, 12);
  if (!head) return -1;
  return guideParagraphs(body).findIndex((p) => sentencesUpTo(p, 1e6).startsWith(head));
}

export async function evalDirect(file = BLIND, log: (l: string) => void = console.log): Promise<Record<string, number>> {
  if (!existsSync(file)) {
    log(`direct answers: ${file} is absent`);
    return {};
  }
  const lines = readJsonl<Line>(file);
  const { kb, answerer: answererAt } = await openAssistant();
  const answerer = await answererAt(0);
  // Counts: the labelled guide's rank in guide search; the paragraph chosen with that guide
  // given; answers on that guide through the assistant, and those leading with the paragraph.
  const n = { top1: 0, top3: 0, noGuide: 0, given: 0, firstGiven: 0, onGuide: 0, led: 0, firstOnGuide: 0 };
  const byLabel = new Map<number, { n: number; hit: number }>();
  try {
    for (const l of lines) {
      const guide = kb.guideById(l.guide);
      if (!guide) throw new Error(`${l.id}: no guide ${l.guide}`);
      const label = l.paragraph - 1;
      const articles = (await kb.searchArticles(l.question, 10)).map((h) => h.article);
      const chosen = focusParagraph(guide, { terms: kb.legalTerms(l.question), question: l.question, articles }).index;
      n.given += Number(chosen === label);
      n.firstGiven += Number(label === 0);
      const tally = byLabel.get(l.paragraph) ?? { n: 0, hit: 0 };
      tally.n++;
      tally.hit += Number(chosen === label);
      byLabel.set(l.paragraph, tally);
      const found = kb.searchGuides(l.question, 3).map((h) => h.guide.id);
      n.top1 += Number(found[0] === l.guide);
      n.top3 += Number(found.includes(l.guide));
      const r = await answerer.run(l.question, { ...EMPTY_CONTEXT }, profileOf("eval").format);
      n.noGuide += Number(!r.guideId);
      if (r.guideId !== l.guide || !r.parts) continue;
      n.onGuide++;
      n.led += Number(paragraphOf(guide.body, r.parts.direct) === label);
      n.firstOnGuide += Number(label === 0);
    }
  } finally {
    await kb.close();
  }
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  log(`direct answers: ${lines.length} questions from ${file.replace(PROJECT_ROOT + "/", "")}`);
  log(`  labelled guide given: the labelled paragraph chosen ${pct(n.given, lines.length)} (always the first paragraph: ${pct(n.firstGiven, lines.length)})`);
  log(`    by labelled paragraph: ${[...byLabel.entries()].sort((a, b) => a[0] - b[0]).map(([p, t]) => `${p}: ${t.hit}/${t.n}`).join(", ")}`);
  log(`  guide search: the labelled guide first ${pct(n.top1, lines.length)}, in the first three ${pct(n.top3, lines.length)}`);
  log(`  through the assistant: answered on the labelled guide ${pct(n.onGuide, lines.length)}, on no guide ${pct(n.noGuide, lines.length)}; of those on the labelled guide leading with the labelled paragraph ${pct(n.led, n.onGuide)} (always the first paragraph: ${pct(n.firstOnGuide, n.onGuide)})`);
  return { n: lines.length, guideTop1: n.top1 / lines.length, guideTop3: n.top3 / lines.length, chosen: n.given / lines.length, firstOnly: n.firstGiven / lines.length, onGuide: n.onGuide / lines.length, led: n.led / Math.max(1, n.onGuide) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv.slice(2).find((a) => !a.startsWith("--"));
  await evalDirect(file ? resolve(file) : BLIND);
}
