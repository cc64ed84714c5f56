// Story-like consultations through the assistant as a resident meets it (the national
// statutes, the shipped knowledge, the STARD training questions as the labelled bank: what
// `lawdesk answer` uses). Each line carries the articles a lawyer would cite. Reported:
//   - retrieval of the lawyer's exact article (R@10, R@100, MRR@10) and of their law (law@10);
//   - answer decisions: share answered and, of the answered, the share citing the lawyer's law
//     and the lawyer's article, as a curve over the confidence threshold;
//   - quotes: of every article quoted, the share from a law the lawyer cited.
// The default set, test/fixtures/blind/narratives.jsonl, was written apart from the code and
// is never tuned on: only its aggregate figures are printed.
// Run: node bin/run-script.js scripts/eval-narratives.ts [FILE.jsonl] [--index-dir DIR]
//   (the index is built once in LAWDESK_DATA_DIR, default ./data, a few minutes on 2 cores)
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { PROJECT_ROOT } from "../src/config.ts";
import { openAssistant } from "./lib/assistant.ts";
import { readJsonl } from "./lib/ir-metrics.ts";
import { EMPTY_CONTEXT } from "../src/pipeline/types.ts";
import { profileOf } from "../src/channels/profiles.ts";

interface Narrative {
  id: string;
  question: string;
  relevant: Array<{ law: string; article: string }>;
}

const BLIND = resolve(PROJECT_ROOT, "test/fixtures/blind/narratives.jsonl");
const THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** 《中华人民共和国劳动合同法》 and 劳动合同法 are the same law. */
export const lawKey = (law: string) => law.replace(/[《》\s]/g, "").replace(/^中华人民共和国/, "");
const articleKey = (law: string, article: string) => `${lawKey(law)}|${article}`;

interface Row {
  confidence: number;
  /** Answered at the shipped threshold (no escalation, at least one citation). */
  answered: boolean;
  citesLaw: boolean;
  citesArticle: boolean;
  quotes: number;
  quotesOnLaw: number;
  rankOfArticle: number | null;
  /** Share of the lawyer's articles in the top 10 and top 100 (Recall@k as STARD counts it). */
  found10: number;
  found100: number;
  lawInTop10: boolean;
}

export async function evalNarratives(file = BLIND, log: (l: string) => void = console.log): Promise<Record<string, number>> {
  if (!existsSync(file)) {
    log(`narratives: ${file} is absent`);
    return {};
  }
  const lines = readJsonl<Narrative>(file);
  const { kb, answerer: answererAt } = await openAssistant();
  const answerer = await answererAt();
  // The same assistant with no threshold: what it would cite if it answered everything.
  const always = await answererAt(0);
  const rows: Row[] = [];
  const curveRows: Array<{ confidence: number; quoted: boolean; citesLaw: boolean; citesArticle: boolean }> = [];
  const latencies: number[] = [];
  try {
    for (const n of lines) {
      const laws = new Set(n.relevant.map((r) => lawKey(r.law)));
      const arts = new Set(n.relevant.map((r) => articleKey(r.law, r.article)));
      const hits = await kb.searchArticles(n.question, 100);
      const rank = hits.findIndex((h) => arts.has(articleKey(h.article.law, h.article.article)));
      const t0 = performance.now();
      const r = await answerer.run(n.question, { ...EMPTY_CONTEXT }, profileOf("eval").format);
      latencies.push(performance.now() - t0);
      const answered = r.escalation === null && r.citations.length > 0;
      const all = await always.run(n.question, { ...EMPTY_CONTEXT }, profileOf("eval").format);
      curveRows.push({
        confidence: all.confidence ?? 0,
        quoted: all.citations.length > 0 && all.intent !== "emergency",
        citesLaw: all.citations.some((c) => laws.has(lawKey(c.law))),
        citesArticle: all.citations.some((c) => arts.has(articleKey(c.law, c.article))),
      });
      rows.push({
        confidence: r.confidence ?? 0,
        answered,
        citesLaw: r.citations.some((c) => laws.has(lawKey(c.law))),
        citesArticle: r.citations.some((c) => arts.has(articleKey(c.law, c.article))),
        quotes: r.citations.length,
        quotesOnLaw: r.citations.filter((c) => laws.has(lawKey(c.law))).length,
        rankOfArticle: rank >= 0 ? rank + 1 : null,
        found10: hits.slice(0, 10).filter((h) => arts.has(articleKey(h.article.law, h.article.article))).length / arts.size,
        found100: hits.filter((h) => arts.has(articleKey(h.article.law, h.article.article))).length / arts.size,
        lawInTop10: hits.slice(0, 10).some((h) => laws.has(lawKey(h.article.law))),
      });
    }
  } finally {
    await kb.close();
  }
  const share = (xs: Row[], f: (r: Row) => boolean) => (xs.length ? xs.filter(f).length / xs.length : 0);
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const answered = rows.filter((r) => r.answered);
  const quotes = rows.reduce((s, r) => s + r.quotes, 0);
  const out: Record<string, number> = {
    n: rows.length,
    recallAt10: rows.reduce((s, r) => s + r.found10, 0) / Math.max(1, rows.length),
    recallAt100: rows.reduce((s, r) => s + r.found100, 0) / Math.max(1, rows.length),
    anyAt10: share(rows, (r) => r.rankOfArticle !== null && r.rankOfArticle <= 10),
    mrrAt10: rows.reduce((s, r) => s + (r.rankOfArticle !== null && r.rankOfArticle <= 10 ? 1 / r.rankOfArticle : 0), 0) / Math.max(1, rows.length),
    lawAt10: share(rows, (r) => r.lawInTop10),
    answered: answered.length / Math.max(1, rows.length),
    answeredCitingLaw: share(answered, (r) => r.citesLaw),
    answeredCitingArticle: share(answered, (r) => r.citesArticle),
    quotesOnLawyersLaw: quotes ? rows.reduce((s, r) => s + r.quotesOnLaw, 0) / quotes : 0,
    latencyP95Ms: latencies.sort((a, b) => a - b)[Math.floor(latencies.length * 0.95)] ?? 0,
  };
  log(`narratives: ${rows.length} from ${file.replace(PROJECT_ROOT + "/", "")}`);
  log(`  retrieval of the lawyer's article: R@10 ${out.recallAt10.toFixed(3)}, R@100 ${out.recallAt100.toFixed(3)}, MRR@10 ${out.mrrAt10.toFixed(3)}, one of them in the top 10 ${pct(out.anyAt10)}; the lawyer's law in the top 10 ${pct(out.lawAt10)}`);
  log(`  at the shipped threshold: answered ${pct(out.answered)}; of those citing the lawyer's law ${pct(out.answeredCitingLaw)}, the lawyer's article ${pct(out.answeredCitingArticle)}; quotes from the lawyer's law ${pct(out.quotesOnLawyersLaw)}; answer p95 ${out.latencyP95Ms.toFixed(1)} ms`);
  // The curve: what would be answered at another threshold, and how well.
  const curve = THRESHOLDS.map((t) => {
    const a = curveRows.filter((r) => r.quoted && r.confidence >= t);
    const of = (f: (r: (typeof a)[number]) => boolean) => (a.length ? a.filter(f).length / a.length : 0);
    return `${t.toFixed(1)}: ${pct(a.length / Math.max(1, rows.length))} answered, law ${pct(of((r) => r.citesLaw))}, article ${pct(of((r) => r.citesArticle))}`;
  });
  log(`  by threshold: ${curve.join("; ")}`);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv.slice(2).find((a) => !a.startsWith("--"));
  await evalNarratives(file ? resolve(file) : BLIND);
}
