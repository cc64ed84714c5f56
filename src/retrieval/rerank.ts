// The learned second stage: the first stage's fusion (BM25 + kNN + dense + law priors) picks
// a few hundred candidates; a small forest of regression trees (LambdaMART, trained by
// `scripts/train-rerank.ts` on labelled questions, each scored by an index that never saw
// it) reorders them from features that say *how* an article matches: which parts found it,
// how much of the question it covers in its own text, in the questions it answered before
// and in its law's title, and how often it answers questions at all. A linear fusion cannot
// weigh these against each other per case (a popular article that covers one question word
// is not a rare one that covers all of them); trees can.

import { readFileSync } from "node:fs";
import type { ScoreParts } from "./search-index.ts";

/** Per-candidate facts also given relative to the best candidate's (see `…VsBest` below). */
const RELATIVE_FACTS = [
  "coverage",
  "coverageCount",
  "askedCoverage",
  "askedBest",
  "assocCoverage",
  "bigramCoverage",
  "titleCoverage",
  "popularity",
] as const;

/** Feature names, in the order of the vectors `rerankFeatures` writes (the model's input). */
export const RERANK_FEATURES = [
  "fused", // first-stage score / the query's best
  "bm25", // BM25 (text + expansion) / the query's best
  "fusedRank", // log(1 + first-stage rank)
  "knn", // neighbours' vote / the query's best vote
  "lawVote", // neighbours' vote for the article's law / the best law's
  "dense", // dense similarity / the query's best
  "lawFreq", // how often training questions cite the article's law (log-scaled, max 1)
  "popularity", // log(1 + training questions labelled with the article)
  "current", // 1 when 现行有效
  "bm25Raw", // log(1 + BM25)
  "knnRaw", // log(1 + neighbours' vote)
  "coverage", // idf-weighted share of the question's words in the article (text + expansion)
  "coverageCount", // share of the question's words in the article, unweighted
  "askedCoverage", // idf-weighted share of the question's words in questions the article answered
  "titleCoverage", // idf-weighted share of the question's words in the article's law title
  "queryWords", // log(1 + distinct question words)
  "lawMass", // the article's law's share of the top-30 first-stage score
  "lawBestRank", // log(1 + rank of the law's best article)
  "neighbourArticle", // best first-stage score of an article within 3 numbers in the same law
  "bigramCoverage", // share of the question's character pairs in the article's text
  "articleLength", // log(1 + characters of the article)
  "articlePosition", // article number / its law's last article number
  "titleBigrams", // share of the question's character pairs in the law's title
  "askedBest", // best BM25 match of the question among the training questions labelled with the article / the best overall
  "assocCoverage", // idf-weighted share of the question's words whose learned legal associations the article holds
  "rankInLaw", // log(1 + candidates of the same law ranked above it by the first stage)
  // Each of these less its best value among the candidates: trees split on absolute values,
  // and a coverage of 0.6 is the best match for one question and a poor one for another.
  ...RELATIVE_FACTS.map((f) => `${f}VsBest` as const),
  "lawTopic", // P(article's law | question), learned from the labelled questions (law-topics.ts)
  "lawTopicRank", // log(1 + laws the question's wording points at more strongly)
] as const;

export type RerankFeature = (typeof RERANK_FEATURES)[number];

/** One regression tree, as parallel arrays; a leaf has feat -1. */
export interface RerankTree {
  feat: number[];
  thr: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** A trained forest: score = rate * Σ tree(x). */
export interface RerankModel {
  features: readonly string[];
  rate: number;
  trees: RerankTree[];
  /** How it was trained (questions, folds, rounds), for the record. */
  trainedOn?: string;
  /**
   * The model's domain: questions with more distinct words than this (the 95th percentile of
   * its training questions) keep the first stage's order. Trained on short questions, the
   * trees misjudge a resident's long story (its coverage shares and law aggregates differ in
   * kind), so they are not asked.
   */
  maxQueryWords?: number;
}

export function predict(model: RerankModel, x: ArrayLike<number>): number {
  let s = 0;
  for (const t of model.trees) {
    let n = 0;
    while (t.feat[n] >= 0) n = x[t.feat[n]] <= t.thr[n] ? t.left[n] : t.right[n];
    s += t.value[n];
  }
  return model.rate * s;
}

/** What the index knows about each candidate beyond the score parts. */
export interface CandidateFacts {
  /** Candidate article indices, best first-stage score first. */
  docs: number[];
  lawOf: Int32Array;
  lawFreq: Float32Array;
  /** log(1 + labelled training questions) per article. */
  popularity: Float32Array;
  current: (doc: number) => boolean;
  /** Per candidate (same order as docs): idf-weighted and plain shares of question words held. */
  coverage: Float32Array;
  coverageCount: Float32Array;
  askedCoverage: Float32Array;
  titleCoverage: Float32Array;
  queryWords: number;
  /** Article number within its law (for neighbours), -1 when unknown. */
  articleNo: (doc: number) => number;
  /** Per candidate: character-level matches (surface-match.ts) and the article's shape. */
  bigramCoverage: Float32Array;
  articleLength: Float32Array;
  articlePosition: Float32Array;
  titleBigrams: Float32Array;
  askedBest: Float32Array;
  assocCoverage: Float32Array;
  /** P(law | question) per law (law-topics.ts); all zero without training questions. */
  lawTopic: Float32Array;
}

/** One feature vector per candidate, in RERANK_FEATURES order. */
export function rerankFeatures(p: ScoreParts, c: CandidateFacts): Float32Array[] {
  const { docs } = c;
  const best = docs.length > 0 ? p.fused[docs[0]] : 1;
  // Law aggregates over the first stage's head: a question about one law puts many of its
  // articles near the top.
  const mass = new Map<number, number>();
  let total = 0;
  for (const d of docs.slice(0, 30)) {
    mass.set(c.lawOf[d], (mass.get(c.lawOf[d]) ?? 0) + p.fused[d]);
    total += p.fused[d];
  }
  const bestRank = new Map<number, number>();
  const byLaw = new Map<number, number[]>();
  const rankInLaw = docs.map((d, i) => {
    const law = c.lawOf[d];
    if (!bestRank.has(law)) bestRank.set(law, i);
    const list = byLaw.get(law);
    if (list) list.push(d);
    else byLaw.set(law, [d]);
    return list ? list.length - 1 : 0;
  });
  const ratio = (v: number, max: number) => (max > 0 ? v / max : 0);
  const relative = relativeFacts(c);
  // The cited laws by the topic prior, strongest first, for each candidate law's place among
  // them. Laws no question cited hold 0 and never outrank anything, so they are left out of
  // the sort (the national corpus has thousands of laws, a few hundred cited).
  const topicOrder = c.lawTopic.filter((x) => x > 0).sort().reverse();
  return docs.map((d, i) => {
    const law = c.lawOf[d];
    const no = c.articleNo(d);
    let neighbour = 0;
    if (no >= 0)
      for (const o of byLaw.get(law)!) {
        const on = c.articleNo(o);
        if (o !== d && on >= 0 && on !== no && Math.abs(on - no) <= 3) neighbour = Math.max(neighbour, p.fused[o] / best);
      }
    const knn = p.knnScores?.get(d) ?? 0;
    return Float32Array.of(
      p.fused[d] / best,
      ratio(p.bm[d], p.bmMax),
      Math.log1p(i),
      ratio(knn, p.knnMax),
      ratio(p.lawScore?.get(law) ?? 0, p.lawMax),
      ratio(p.denseHits?.get(d)?.sim ?? 0, p.denseTop),
      c.lawFreq[law],
      c.popularity[d],
      c.current(d) ? 1 : 0,
      Math.log1p(p.bm[d]),
      Math.log1p(knn),
      c.coverage[i],
      c.coverageCount[i],
      c.askedCoverage[i],
      c.titleCoverage[i],
      Math.log1p(c.queryWords),
      ratio(mass.get(law) ?? 0, total),
      Math.log1p(bestRank.get(law)!),
      neighbour,
      c.bigramCoverage[i],
      c.articleLength[i],
      c.articlePosition[i],
      c.titleBigrams[i],
      c.askedBest[i],
      c.assocCoverage[i],
      Math.log1p(rankInLaw[i]),
      ...relative.map((r) => r[i]),
      c.lawTopic[law],
      Math.log1p(countAbove(topicOrder, c.lawTopic[law])),
    );
  });
}

/** RELATIVE_FACTS per candidate, each less its maximum over the candidates. */
function relativeFacts(c: CandidateFacts): Float32Array[] {
  const popularity = Float32Array.from(c.docs, (d) => c.popularity[d]);
  return RELATIVE_FACTS.map((name) => {
    const v = name === "popularity" ? popularity : c[name];
    let max = -Infinity;
    for (const x of v) if (x > max) max = x;
    return v.map((x) => x - max);
  });
}

/** How many values of `desc` (sorted high to low) exceed `x`. */
function countAbove(desc: Float32Array, x: number): number {
  let lo = 0;
  let hi = desc.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (desc[m] > x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

let shipped: RerankModel | null | undefined;

/** The model trained by scripts/train-rerank.ts (rerank-model.json), null when absent. */
export function shippedRerankModel(): RerankModel | null {
  if (shipped !== undefined) return shipped;
  try {
    const m = JSON.parse(readFileSync(new URL("./rerank-model.json", import.meta.url), "utf8")) as RerankModel;
    // A model trained on other features would read the wrong inputs: refuse it.
    shipped = m.features.join() === RERANK_FEATURES.join() ? m : null;
  } catch {
    shipped = null;
  }
  return shipped;
}
