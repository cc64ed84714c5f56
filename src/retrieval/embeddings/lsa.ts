// Offline dense embeddings learned from the indexed corpus itself: latent semantic
// analysis (TF-IDF over jieba words, randomized truncated SVD). No model download, no
// GPU; fitting 60k articles takes seconds. Texts map to L2-normalised vectors in the
// space of the top right-singular vectors, so cosine similarity compares them.
import { Embeddings } from "@langchain/core/embeddings";
import type { Bundle } from "../persist.ts";
import { Tokenizer } from "../tokenize.ts";

export interface LsaOptions {
  /** Output dimension (rank of the truncated SVD). */
  dim?: number;
  /** Ignore words in fewer documents than this. */
  minDf?: number;
  /** Ignore words in more than this share of documents. */
  maxDfRatio?: number;
  /** Keep at most this many words (highest df). */
  maxVocab?: number;
  /** Power iterations of the randomized range finder (accuracy vs time). */
  powerIters?: number;
  /** Singular values are raised to this power when weighting dimensions (0.5: a common compromise). */
  sigmaPower?: number;
  seed?: number;
}

const DEFAULTS: Required<LsaOptions> = {
  dim: 128,
  minDf: 2,
  maxDfRatio: 0.3,
  maxVocab: 80_000,
  powerIters: 1,
  sigmaPower: 1,
  seed: 20240611,
};

export class LsaEmbeddings extends Embeddings {
  readonly dim: number;
  readonly vocab: Map<string, number>;
  readonly terms: string[];
  readonly idf: Float32Array;
  /** Term projection, row-major terms x dim (idf-weighted term vectors of V * S^(p-1)). */
  readonly proj: Float32Array;
  private readonly tokenizer: Tokenizer;

  private constructor(tokenizer: Tokenizer, terms: string[], idf: Float32Array, proj: Float32Array, dim: number) {
    super({});
    this.tokenizer = tokenizer;
    this.terms = terms;
    this.vocab = new Map(terms.map((t, i) => [t, i]));
    this.idf = idf;
    this.proj = proj;
    this.dim = dim;
  }

  /** Fit on texts given as pre-tokenized word lists (saves re-cutting the corpus). */
  static fitTokens(docs: string[][], tokenizer: Tokenizer, opts: LsaOptions = {}): LsaEmbeddings {
    const o = { ...DEFAULTS, ...opts };
    const nDocs = docs.length;
    const df = new Map<string, number>();
    for (const d of docs) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
    const maxDf = Math.max(o.minDf, Math.floor(o.maxDfRatio * nDocs));
    const terms = [...df]
      .filter(([, n]) => n >= o.minDf && n <= maxDf)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, o.maxVocab)
      .map(([t]) => t);
    const vocab = new Map(terms.map((t, i) => [t, i]));
    const V = terms.length;
    const idf = new Float32Array(V);
    terms.forEach((t, i) => (idf[i] = Math.log(nDocs / df.get(t)!)));
    // CSR doc-term matrix with sublinear tf * idf, rows L2-normalised.
    const rowPtr = new Uint32Array(nDocs + 1);
    const cols: number[] = [];
    const vals: number[] = [];
    docs.forEach((d, i) => {
      const tf = new Map<number, number>();
      for (const t of d) {
        const id = vocab.get(t);
        if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
      }
      let ss = 0;
      const start = vals.length;
      for (const [id, n] of tf) {
        const w = (1 + Math.log(n)) * idf[id];
        cols.push(id);
        vals.push(w);
        ss += w * w;
      }
      const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
      for (let p = start; p < vals.length; p++) vals[p] *= inv;
      rowPtr[i + 1] = vals.length;
    });
    const A = { rowPtr, cols: Uint32Array.from(cols), vals: Float32Array.from(vals), nRows: nDocs, nCols: V };
    const dim = Math.min(o.dim, V, nDocs);
    const { V: right, S } = randomizedSvd(A, dim, o.powerIters, o.seed);
    // proj[t, j] = idf[t] * V[t, j] * S[j]^(p-1): a doc's projection is A_row * V * S^(p-1).
    const proj = new Float32Array(V * dim);
    for (let t = 0; t < V; t++) {
      for (let j = 0; j < dim; j++) proj[t * dim + j] = idf[t] * right[t * dim + j] * Math.pow(S[j] || 1, o.sigmaPower - 1) * (S[j] > 0 ? 1 : 0);
    }
    return new LsaEmbeddings(tokenizer, terms, idf, proj, dim);
  }

  static fit(texts: string[], tokenizer: Tokenizer, opts: LsaOptions = {}): LsaEmbeddings {
    return LsaEmbeddings.fitTokens(
      texts.map((t) => tokenizer.words(t)),
      tokenizer,
      opts,
    );
  }

  /** Embed already-tokenized words (sync; the index calls this on its hot path). */
  embedTokens(words: string[]): Float32Array {
    const out = new Float32Array(this.dim);
    const tf = new Map<number, number>();
    for (const w of words) {
      const id = this.vocab.get(w);
      if (id !== undefined) tf.set(id, (tf.get(id) ?? 0) + 1);
    }
    for (const [id, n] of tf) {
      const w = 1 + Math.log(n); // idf is folded into proj
      const base = id * this.dim;
      for (let j = 0; j < this.dim; j++) out[j] += w * this.proj[base + j];
    }
    return normalizeInPlace(out);
  }

  embedTextSync(text: string): Float32Array {
    return this.embedTokens(this.tokenizer.words(text));
  }

  async embedDocuments(documents: string[]): Promise<number[][]> {
    return documents.map((d) => Array.from(this.embedTextSync(d)));
  }

  async embedQuery(document: string): Promise<number[]> {
    return Array.from(this.embedTextSync(document));
  }

  toBundle(): Bundle {
    return { meta: { kind: "lsa", dim: this.dim, terms: this.terms }, arrays: { idf: this.idf, proj: this.proj } };
  }

  static fromBundle(b: Bundle, tokenizer: Tokenizer): LsaEmbeddings {
    const meta = b.meta as { kind: string; dim: number; terms: string[] };
    if (meta.kind !== "lsa") throw new Error(`expected an lsa bundle, got ${meta.kind}`);
    return new LsaEmbeddings(tokenizer, meta.terms, b.arrays.idf as Float32Array, b.arrays.proj as Float32Array, meta.dim);
  }
}

export function normalizeInPlace(v: Float32Array): Float32Array {
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += v[i] * v[i];
  if (ss > 0) {
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

// ---- linear algebra on Float64Array, dense matrices row-major -------------------------

interface Csr {
  rowPtr: Uint32Array;
  cols: Uint32Array;
  vals: Float32Array;
  nRows: number;
  nCols: number;
}

/** Y (nRows x l) = A X, X (nCols x l) row-major. */
function csrTimesDense(A: Csr, X: Float64Array, l: number): Float64Array {
  const Y = new Float64Array(A.nRows * l);
  for (let i = 0; i < A.nRows; i++) {
    const yo = i * l;
    for (let p = A.rowPtr[i]; p < A.rowPtr[i + 1]; p++) {
      const a = A.vals[p];
      const xo = A.cols[p] * l;
      for (let j = 0; j < l; j++) Y[yo + j] += a * X[xo + j];
    }
  }
  return Y;
}

/** Z (nCols x l) = A^T Y, Y (nRows x l) row-major. */
function csrTransTimesDense(A: Csr, Y: Float64Array, l: number): Float64Array {
  const Z = new Float64Array(A.nCols * l);
  for (let i = 0; i < A.nRows; i++) {
    const yo = i * l;
    for (let p = A.rowPtr[i]; p < A.rowPtr[i + 1]; p++) {
      const a = A.vals[p];
      const zo = A.cols[p] * l;
      for (let j = 0; j < l; j++) Z[zo + j] += a * Y[yo + j];
    }
  }
  return Z;
}

/** Orthonormalise the columns of row-major M (n x l) in place: Cholesky QR (run twice where accuracy matters). */
function orthonormalize(M: Float64Array, n: number, l: number, passes = 1): void {
  for (let pass = 0; pass < passes; pass++) {
    const G = new Float64Array(l * l);
    for (let i = 0; i < n; i++) {
      const o = i * l;
      for (let a = 0; a < l; a++) {
        const va = M[o + a];
        if (va === 0) continue;
        const go = a * l;
        for (let b = a; b < l; b++) G[go + b] += va * M[o + b];
      }
    }
    let trace = 0;
    for (let a = 0; a < l; a++) trace += G[a * l + a];
    // Cholesky G = R^T R (upper R), with a tiny ridge so rank-deficient blocks survive.
    const R = new Float64Array(l * l);
    const ridge = 1e-12 * (trace / l || 1);
    for (let a = 0; a < l; a++) {
      let s = G[a * l + a] + ridge;
      for (let k = 0; k < a; k++) s -= R[k * l + a] * R[k * l + a];
      const d = Math.sqrt(Math.max(s, ridge));
      R[a * l + a] = d;
      for (let b = a + 1; b < l; b++) {
        let t = G[a * l + b];
        for (let k = 0; k < a; k++) t -= R[k * l + a] * R[k * l + b];
        R[a * l + b] = t / d;
      }
    }
    // M <- M R^{-1}: forward substitution per row; R transposed so the inner loop is contiguous.
    const Rt = new Float64Array(l * l);
    for (let a = 0; a < l; a++) for (let b = 0; b < l; b++) Rt[b * l + a] = R[a * l + b];
    const row = new Float64Array(l);
    for (let i = 0; i < n; i++) {
      const o = i * l;
      for (let b = 0; b < l; b++) {
        let t = M[o + b];
        const ro = b * l;
        for (let k = 0; k < b; k++) t -= row[k] * Rt[ro + k];
        row[b] = t / Rt[ro + b];
      }
      M.set(row, o);
    }
  }
}

/** Eigen-decomposition of a symmetric l x l matrix (cyclic Jacobi). Returns values desc and vectors as columns. */
function symmetricEigen(Ain: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(Ain);
  const Vm = new Float64Array(l * l);
  for (let i = 0; i < l; i++) Vm[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += A[p * l + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = A[p * l + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * l + q] - A[p * l + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = A[k * l + p];
          const akq = A[k * l + q];
          A[k * l + p] = c * akp - s * akq;
          A[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = A[p * l + k];
          const aqk = A[q * l + k];
          A[p * l + k] = c * apk - s * aqk;
          A[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = Vm[k * l + p];
          const vkq = Vm[k * l + q];
          Vm[k * l + p] = c * vkp - s * vkq;
          Vm[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => A[b * l + b] - A[a * l + a]);
  const values = new Float64Array(l);
  const vectors = new Float64Array(l * l);
  order.forEach((src, dst) => {
    values[dst] = A[src * l + src];
    for (let k = 0; k < l; k++) vectors[k * l + dst] = Vm[k * l + src];
  });
  return { values, vectors };
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011): right singular vectors
 * V (nCols x rank, row-major) and singular values S.
 */
export function randomizedSvd(A: Csr, rank: number, powerIters: number, seed: number): { V: Float64Array; S: Float64Array } {
  const l = Math.min(rank + 16, A.nRows, A.nCols);
  let s = seed >>> 0;
  const rand = () => {
    // xorshift32 -> approx standard normal via sum of uniforms (good enough for a sketch)
    let acc = 0;
    for (let i = 0; i < 4; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      acc += (s >>> 0) / 2 ** 32;
    }
    return (acc - 2) * Math.sqrt(3);
  };
  const omega = new Float64Array(A.nCols * l);
  for (let i = 0; i < omega.length; i++) omega[i] = rand();
  const t0 = Date.now();
  const log = process.env.LSA_DEBUG ? (m: string) => console.error(`[lsa] ${m} ${Date.now() - t0}ms`) : () => {};
  let Y = csrTimesDense(A, omega, l);
  log("A*omega");
  for (let it = 0; it < powerIters; it++) {
    orthonormalize(Y, A.nRows, l);
    log("orth Y");
    const Z = csrTransTimesDense(A, Y, l);
    orthonormalize(Z, A.nCols, l);
    log("orth Z");
    Y = csrTimesDense(A, Z, l);
  }
  orthonormalize(Y, A.nRows, l, 2);
  log("final orth");
  // B^T = A^T Q (nCols x l). B B^T = (A^T Q)^T (A^T Q) = W S^2 W^T.
  const Bt = csrTransTimesDense(A, Y, l);
  const G = new Float64Array(l * l);
  for (let i = 0; i < A.nCols; i++) {
    const o = i * l;
    for (let a = 0; a < l; a++) {
      const va = Bt[o + a];
      if (va === 0) continue;
      for (let b = a; b < l; b++) G[a * l + b] += va * Bt[o + b];
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) G[a * l + b] = G[b * l + a];
  const { values, vectors } = symmetricEigen(G, l);
  log("eigen");
  const S = new Float64Array(rank);
  for (let j = 0; j < rank; j++) S[j] = Math.sqrt(Math.max(values[j], 0));
  // V = B^T W S^-1 (nCols x rank).
  const V = new Float64Array(A.nCols * rank);
  for (let i = 0; i < A.nCols; i++) {
    const o = i * l;
    for (let j = 0; j < rank; j++) {
      if (S[j] <= 1e-12) continue;
      let t = 0;
      for (let a = 0; a < l; a++) t += Bt[o + a] * vectors[a * l + j];
      V[i * rank + j] = t / S[j];
    }
  }
  return { V, S };
}
