// Okapi BM25 over pre-tokenized documents. Postings live in CSR typed arrays (term ->
// [doc ids], [term frequencies]); a query scores into one dense Float32Array per call,
// which at ~60k documents is cheaper than hash-map accumulators.
import type { Bundle, NumArray } from "./persist.ts";

export interface Bm25Params {
  k1: number;
  b: number;
}

export const DEFAULT_BM25: Bm25Params = { k1: 1.2, b: 0.75 };

/** A document as features, optionally weighted (weights act as fractional term counts). */
export type Bm25Doc = string[] | Map<string, number>;

export interface ScoredDoc {
  doc: number;
  score: number;
}

export class Bm25Index {
  readonly params: Bm25Params;
  readonly vocab: Map<string, number>;
  readonly terms: string[];
  /** offsets[t]..offsets[t+1] index into postDocs/postTf. */
  readonly offsets: Uint32Array;
  readonly postDocs: Uint32Array;
  readonly postTf: Float32Array;
  readonly docLen: Float32Array;
  readonly idf: Float32Array;
  readonly nDocs: number;
  readonly avgLen: number;
  /** k1 * (1 - b + b * len / avgLen), precomputed per doc. */
  private readonly norm: Float32Array;

  private constructor(
    params: Bm25Params,
    terms: string[],
    offsets: Uint32Array,
    postDocs: Uint32Array,
    postTf: Float32Array,
    docLen: Float32Array,
  ) {
    this.params = params;
    this.terms = terms;
    this.vocab = new Map(terms.map((t, i) => [t, i]));
    this.offsets = offsets;
    this.postDocs = postDocs;
    this.postTf = postTf;
    this.docLen = docLen;
    this.nDocs = docLen.length;
    let total = 0;
    for (let d = 0; d < this.nDocs; d++) total += docLen[d];
    this.avgLen = this.nDocs > 0 ? Math.max(total / this.nDocs, 1e-6) : 1;
    this.idf = new Float32Array(terms.length);
    for (let t = 0; t < terms.length; t++) {
      const df = offsets[t + 1] - offsets[t];
      // Lucene's non-negative idf variant: common terms still add a little.
      this.idf[t] = Math.log(1 + (this.nDocs - df + 0.5) / (df + 0.5));
    }
    this.norm = new Float32Array(this.nDocs);
    const { k1, b } = params;
    for (let d = 0; d < this.nDocs; d++) this.norm[d] = k1 * (1 - b + (b * docLen[d]) / this.avgLen);
  }

  static build(docs: Bm25Doc[], params: Bm25Params = DEFAULT_BM25): Bm25Index {
    const vocab = new Map<string, number>();
    const terms: string[] = [];
    const df: number[] = [];
    const perDoc: Array<Map<number, number>> = [];
    const docLen = new Float32Array(docs.length);
    docs.forEach((doc, d) => {
      const m = new Map<number, number>();
      const entries: Iterable<[string, number]> = Array.isArray(doc) ? doc.map((t) => [t, 1] as [string, number]) : doc;
      let len = 0;
      for (const [t, w] of entries) {
        if (!(w > 0)) continue;
        let id = vocab.get(t);
        if (id === undefined) {
          id = terms.length;
          vocab.set(t, id);
          terms.push(t);
          df.push(0);
        }
        const prev = m.get(id);
        if (prev === undefined) df[id]++;
        m.set(id, (prev ?? 0) + w);
        len += w;
      }
      docLen[d] = len;
      perDoc.push(m);
    });
    const offsets = new Uint32Array(terms.length + 1);
    for (let t = 0; t < terms.length; t++) offsets[t + 1] = offsets[t] + df[t];
    const fill = offsets.slice(0, terms.length);
    const postDocs = new Uint32Array(offsets[terms.length]);
    const postTf = new Float32Array(offsets[terms.length]);
    perDoc.forEach((m, d) => {
      for (const [t, tf] of m) {
        const p = fill[t]++;
        postDocs[p] = d; // docs visited in order, so each list is sorted by doc id
        postTf[p] = tf;
      }
    });
    return new Bm25Index(params, terms, offsets, postDocs, postTf, docLen);
  }

  /** Query features -> unique term ids with summed weights (unknown terms dropped). */
  queryTerms(query: Bm25Doc): Array<[number, number]> {
    const m = new Map<number, number>();
    const entries: Iterable<[string, number]> = Array.isArray(query) ? query.map((t) => [t, 1] as [string, number]) : query;
    for (const [t, w] of entries) {
      const id = this.vocab.get(t);
      if (id !== undefined) m.set(id, (m.get(id) ?? 0) + w);
    }
    return [...m];
  }

  /** Adds weight * BM25(query, d) into acc[d] for every matching document. */
  scoreInto(query: Bm25Doc | Array<[number, number]>, acc: Float32Array, weight = 1): void {
    const qt = isIdPairs(query) ? query : this.queryTerms(query);
    const k1p1 = this.params.k1 + 1;
    for (const [t, qw] of qt) {
      const w = weight * qw * this.idf[t] * k1p1;
      const end = this.offsets[t + 1];
      for (let p = this.offsets[t]; p < end; p++) {
        const d = this.postDocs[p];
        const tf = this.postTf[p];
        acc[d] += (w * tf) / (tf + this.norm[d]);
      }
    }
  }

  /** The documents holding a term, in doc order (a view, not a copy); empty when unknown. */
  docsWith(term: string): Uint32Array {
    const t = this.vocab.get(term);
    return t === undefined ? new Uint32Array(0) : this.postDocs.subarray(this.offsets[t], this.offsets[t + 1]);
  }

  /** The term's idf, or undefined when no document holds it. */
  idfOf(term: string): number | undefined {
    const t = this.vocab.get(term);
    return t === undefined ? undefined : this.idf[t];
  }

  /** Dense score vector over all documents. */
  scoreAll(query: Bm25Doc): Float32Array {
    const acc = new Float32Array(this.nDocs);
    this.scoreInto(query, acc);
    return acc;
  }

  search(query: Bm25Doc, k: number): ScoredDoc[] {
    return topK(this.scoreAll(query), k);
  }

  toBundle(): Bundle {
    return {
      meta: { kind: "bm25", params: this.params, terms: this.terms },
      arrays: { offsets: this.offsets, postDocs: this.postDocs, postTf: this.postTf, docLen: this.docLen },
    };
  }

  static fromBundle(b: Bundle): Bm25Index {
    const meta = b.meta as { kind: string; params: Bm25Params; terms: string[] };
    if (meta.kind !== "bm25") throw new Error(`expected a bm25 bundle, got ${meta.kind}`);
    const a = b.arrays as Record<string, NumArray>;
    return new Bm25Index(
      meta.params,
      meta.terms,
      a.offsets as Uint32Array,
      a.postDocs as Uint32Array,
      a.postTf as Float32Array,
      a.docLen as Float32Array,
    );
  }
}

function isIdPairs(q: unknown): q is Array<[number, number]> {
  return Array.isArray(q) && q.length > 0 && Array.isArray(q[0]);
}

/**
 * Top k of a dense score array (scores > 0 only, or all when includeZero), best first.
 * A bounded min-heap: O(n log k).
 */
export function topK(scores: ArrayLike<number>, k: number, includeZero = false): ScoredDoc[] {
  if (k <= 0) return [];
  const heapDoc = new Int32Array(k);
  const heapScore = new Float64Array(k);
  let size = 0;
  const n = scores.length;
  for (let d = 0; d < n; d++) {
    const s = scores[d];
    if (!includeZero && !(s > 0)) continue;
    if (size < k) {
      // sift up
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heapScore[parent] <= s) break;
        heapScore[i] = heapScore[parent];
        heapDoc[i] = heapDoc[parent];
        i = parent;
      }
      heapScore[i] = s;
      heapDoc[i] = d;
    } else if (s > heapScore[0]) {
      // replace root, sift down
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && heapScore[r] < heapScore[l] ? r : l;
        if (heapScore[c] >= s) break;
        heapScore[i] = heapScore[c];
        heapDoc[i] = heapDoc[c];
        i = c;
      }
      heapScore[i] = s;
      heapDoc[i] = d;
    }
  }
  const out: ScoredDoc[] = [];
  for (let i = 0; i < size; i++) out.push({ doc: heapDoc[i], score: heapScore[i] });
  // Ties broken by doc id so results are deterministic.
  return out.sort((a, b) => b.score - a.score || a.doc - b.doc);
}
