// Small scoring helpers of the search index: status order, maxima, and ranks within a score array.
import type { ArticleUnit } from "../knowledge/types.ts";

const CURRENT = "现行有效";

export function statusRank(a: ArticleUnit): number {
  return a.status === CURRENT ? 0 : a.status === "尚未生效" ? 1 : a.status === "已修改" ? 2 : 3;
}

export function maxOf(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

export function maxAbs(a: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** 1-based rank of each wanted doc in the score array (count of strictly higher scores + 1). */
export function rankMap(scores: Float32Array, docs: number[]): Map<number, number> {
  const out = new Map<number, number>();
  if (docs.length === 0) return out;
  // Thresholds ascending; one pass with a binary search per positive score: O(n log k).
  const want = docs.map((d) => scores[d]).sort((a, b) => a - b);
  const above = new Int32Array(want.length + 1); // above[j] = #scores in (want[j-1], want[j]]... via prefix sums
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!(s > want[0])) continue;
    // number of thresholds strictly below s
    let lo = 0;
    let hi = want.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (want[mid] < s) lo = mid + 1;
      else hi = mid;
    }
    above[lo]++; // s is higher than want[0..lo-1]
  }
  // count of scores higher than want[j] = sum over positions > j of above[]
  const higher = new Int32Array(want.length);
  let acc = 0;
  for (let j = want.length; j >= 1; j--) {
    acc += above[j];
    higher[j - 1] = acc;
  }
  for (const d of docs) {
    if (!(scores[d] > 0)) continue;
    // first index with want == scores[d]
    let lo = 0;
    let hi = want.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (want[mid] < scores[d]) lo = mid + 1;
      else hi = mid;
    }
    out.set(d, higher[lo] + 1);
  }
  return out;
}

/** The 95th percentile of the values (0 for none): the length of the questions something was learned from. */
export function percentile95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(0.95 * (sorted.length - 1))] ?? 0;
}
