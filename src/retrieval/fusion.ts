// The first stage's fusion: BM25 (with lay-to-legal expansion), the nearest labelled
// questions' votes for articles and for laws, and dense similarity, each normalised by the
// query's best and summed with the index's weights.
import type { ArticleUnit } from "../knowledge/types.ts";
import type { Bm25Index } from "./bm25.ts";
import { maxAbs, maxOf } from "./score-utils.ts";
import type { FusionWeights, ScoreParts } from "./search-types.ts";
import type { VectorIndex } from "./vector-index.ts";

const CURRENT = "现行有效";

/** The index data the fusion reads. */
export interface FusionInputs {
  articles: ArticleUnit[];
  weights: FusionWeights;
  text: Bm25Index;
  knn: Bm25Index | null;
  /** CSR: training question -> its labelled articles. */
  knnPtr: Uint32Array;
  knnDocs: Uint32Array;
  knnNeighbours: number;
  lawOf: Int32Array;
  lawFreq: Float32Array;
  trainingCount: number;
  vectors: VectorIndex | null;
  denseCandidates: number;
}

/** Every part's score for every article, and their linear fusion. */
export function fuseScores(x: FusionInputs, features: Map<string, number>, qv: Float32Array | null): ScoreParts {
  const n = x.articles.length;
  const w = x.weights;

  const bm = x.text.scoreAll(features);
  const bmMax = maxOf(bm);
  const fused = new Float32Array(n);
  if (bmMax > 0) for (let d = 0; d < n; d++) fused[d] = (w.bm25 * bm[d]) / bmMax;

  let knnScores: Map<number, number> | null = null;
  let lawScore: Map<number, number> | null = null;
  let knnMax = 0;
  let lawMax = 0;
  if (x.knn && (w.knn > 0 || w.lawKnn > 0)) {
    const neigh = x.knn.search(features, x.knnNeighbours);
    knnScores = new Map();
    lawScore = new Map<number, number>();
    for (const { doc: q, score } of neigh) {
      const laws = new Set<number>();
      for (let p = x.knnPtr[q]; p < x.knnPtr[q + 1]; p++) {
        const d = x.knnDocs[p];
        knnScores.set(d, (knnScores.get(d) ?? 0) + score);
        laws.add(x.lawOf[d]);
      }
      for (const l of laws) lawScore.set(l, (lawScore.get(l) ?? 0) + score);
    }
    for (const v of knnScores.values()) knnMax = Math.max(knnMax, v);
    const m = knnMax;
    if (m > 0 && w.knn > 0) for (const [d, v] of knnScores) fused[d] += (w.knn * v) / m;
    for (const v of lawScore.values()) lawMax = Math.max(lawMax, v);
    const lm = lawMax;
    // Boost only articles that already match the question: the prior reorders, it does not retrieve.
    if (lm > 0 && w.lawKnn > 0)
      for (let d = 0; d < n; d++) if (fused[d] > 0) fused[d] += (w.lawKnn * (lawScore!.get(x.lawOf[d]) ?? 0)) / lm;
  }
  if (w.lawFreq > 0 && x.trainingCount > 0)
    for (let d = 0; d < n; d++) if (fused[d] > 0) fused[d] += w.lawFreq * x.lawFreq[x.lawOf[d]];

  let denseHits: Map<number, { sim: number; rank: number }> | null = null;
  let denseTop = 0;
  if (qv && x.vectors && w.dense > 0 && maxAbs(qv) > 0) {
    const hits = x.vectors.search(qv, x.denseCandidates);
    denseHits = new Map(hits.map((h, r) => [h.label, { sim: h.similarity, rank: r + 1 }]));
    denseTop = hits[0]?.similarity ?? 0;
    if (denseTop > 0) for (const h of hits) if (h.similarity > 0) fused[h.label] += (w.dense * h.similarity) / denseTop;
  }

  for (let d = 0; d < n; d++) if (fused[d] > 0 && x.articles[d].status !== CURRENT) fused[d] *= w.statusPenalty;
  return { fused, bm, bmMax, knnScores, knnMax, lawScore, lawMax, denseHits, denseTop };
}
