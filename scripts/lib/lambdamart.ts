// LambdaMART training for the retrieval reranker (src/retrieval/rerank.ts): boosted
// regression trees, each fitted by Newton steps to the pairwise (RankNet) gradients of the
// questions' candidate lists, weighted by how much swapping a pair changes nDCG. Written here
// because no kept JavaScript package trains ranking trees (the gradient-boosting libraries
// are Python/C++); this is about a hundred lines and deterministic (no sampling).
import type { RerankModel, RerankTree } from "../../src/retrieval/rerank.ts";

/** One question's candidates: feature vectors and 1 for the articles that answer it. */
export interface RankGroup {
  x: ArrayLike<number>[];
  y: number[];
}

export interface LambdaMartOptions {
  rounds?: number;
  depth?: number;
  rate?: number;
  /** Quantile bins per feature for split finding. */
  bins?: number;
  /** Fewest candidates in a leaf. */
  minLeaf?: number;
  /** Pairs where both sides rank below this are skipped (they do not move the top). */
  pairDepth?: number;
}

export function trainLambdaMart(groups: RankGroup[], features: readonly string[], o: LambdaMartOptions = {}): RerankModel {
  const rounds = o.rounds ?? 100;
  const depth = o.depth ?? 3;
  const rate = o.rate ?? 0.1;
  const nBins = o.bins ?? 32;
  const minLeaf = o.minLeaf ?? 50;
  const pairDepth = o.pairDepth ?? 150;
  const rows: ArrayLike<number>[] = [];
  const label: number[] = [];
  const starts = [0];
  for (const g of groups) {
    rows.push(...g.x);
    label.push(...g.y);
    starts.push(rows.length);
  }
  const n = rows.length;
  const dim = features.length;
  // Split points: feature quantiles; each row's bin per feature, computed once.
  const cuts: number[][] = [];
  for (let f = 0; f < dim; f++) {
    const v = rows.map((r) => r[f]).sort((a, b) => a - b);
    const c: number[] = [];
    for (let b = 1; b < nBins; b++) {
      const q = v[Math.floor((b * n) / nBins)];
      if (c.length === 0 || q > c[c.length - 1]) c.push(q);
    }
    cuts.push(c);
  }
  const bins = rows.map((r) => Uint8Array.from({ length: dim }, (_, f) => lowerBound(cuts[f], r[f])));
  const score = new Float64Array(n);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const trees: RerankTree[] = [];
  for (let round = 0; round < rounds; round++) {
    grad.fill(0);
    hess.fill(0);
    for (let g = 0; g + 1 < starts.length; g++) lambdas(starts[g], starts[g + 1], label, score, grad, hess, pairDepth);
    const tree: RerankTree = { feat: [], thr: [], left: [], right: [], value: [] };
    const grow = (members: number[], level: number): number => {
      const node = tree.feat.length;
      let G = 0;
      let H = 0;
      for (const i of members) {
        G += grad[i];
        H += hess[i];
      }
      tree.feat.push(-1);
      tree.thr.push(0);
      tree.left.push(-1);
      tree.right.push(-1);
      tree.value.push(G / (H + 1));
      if (level >= depth || members.length < 2 * minLeaf) return node;
      const split = bestSplit(members, bins, cuts, grad, hess, G, H, minLeaf);
      if (!split) return node;
      const left: number[] = [];
      const right: number[] = [];
      for (const i of members) (bins[i][split.f] <= split.b ? left : right).push(i);
      tree.feat[node] = split.f;
      tree.thr[node] = cuts[split.f][split.b];
      tree.left[node] = grow(left, level + 1);
      tree.right[node] = grow(right, level + 1);
      return node;
    };
    grow(Array.from({ length: n }, (_, i) => i), 0);
    trees.push(tree);
    for (let i = 0; i < n; i++) {
      let node = 0;
      while (tree.feat[node] >= 0) node = rows[i][tree.feat[node]] <= tree.thr[node] ? tree.left[node] : tree.right[node];
      score[i] += rate * tree.value[node];
    }
  }
  return { features, rate, trees };
}

/** Adds one question's LambdaRank gradients and Hessians (positive = should rise). */
function lambdas(a: number, b: number, label: number[], score: Float64Array, grad: Float64Array, hess: Float64Array, pairDepth: number): void {
  const order = Array.from({ length: b - a }, (_, k) => a + k).sort((p, q) => score[q] - score[p] || p - q);
  const rank = new Map(order.map((d, k) => [d, k]));
  const pos = order.filter((d) => label[d] > 0);
  if (pos.length === 0) return;
  let idcg = 0;
  for (let k = 0; k < pos.length; k++) idcg += 1 / Math.log2(k + 2);
  for (const i of pos)
    for (const j of order) {
      if (label[j] > 0) continue;
      const ri = rank.get(i)!;
      const rj = rank.get(j)!;
      if (ri > pairDepth && rj > pairDepth) continue;
      const delta = Math.abs(1 / Math.log2(ri + 2) - 1 / Math.log2(rj + 2)) / idcg;
      const rho = 1 / (1 + Math.exp(score[i] - score[j]));
      grad[i] += rho * delta;
      grad[j] -= rho * delta;
      const h = rho * (1 - rho) * delta;
      hess[i] += h;
      hess[j] += h;
    }
}

function bestSplit(
  members: number[],
  bins: Uint8Array[],
  cuts: number[][],
  grad: Float64Array,
  hess: Float64Array,
  G: number,
  H: number,
  minLeaf: number,
): { f: number; b: number } | null {
  // All features' histograms in one pass over the members: each row's bins are read once,
  // in order, rather than once per feature.
  const dim = cuts.length;
  const width = 256;
  const gs = new Float64Array(dim * width);
  const hs = new Float64Array(dim * width);
  const cs = new Int32Array(dim * width);
  for (const i of members) {
    const row = bins[i];
    const g = grad[i];
    const h = hess[i];
    for (let f = 0, o = 0; f < dim; f++, o += width) {
      const k = o + row[f];
      gs[k] += g;
      hs[k] += h;
      cs[k]++;
    }
  }
  let best: { f: number; b: number } | null = null;
  let bestGain = 1e-9;
  const parent = (G * G) / (H + 1);
  for (let f = 0; f < dim; f++) {
    const o = f * width;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < cuts[f].length; b++) {
      gl += gs[o + b];
      hl += hs[o + b];
      cl += cs[o + b];
      if (cl < minLeaf || members.length - cl < minLeaf) continue;
      const gain = (gl * gl) / (hl + 1) + ((G - gl) * (G - gl)) / (H - hl + 1) - parent;
      if (gain > bestGain) {
        bestGain = gain;
        best = { f, b };
      }
    }
  }
  return best;
}

/** Index of the first cut >= x (the bin x falls in). */
function lowerBound(cuts: number[], x: number): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (x <= cuts[m]) hi = m;
    else lo = m + 1;
  }
  return lo;
}
