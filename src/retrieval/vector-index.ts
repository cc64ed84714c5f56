// A thin approximate-nearest-neighbour store over hnswlib-node (cosine space).
// We deliberately do not use @langchain/community's HNSWLib vector store: community
// declares required peer dependencies that clash with zod 4, and the part we need is
// only this much. hnswlib's cosine space returns a DISTANCE (1 - cosine, lower is
// better); `search` converts it back to a similarity so callers see higher = better.
import hnswlib from "hnswlib-node";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface VectorIndexOptions {
  /** Graph degree; 16 is hnswlib's usual default. */
  m?: number;
  efConstruction?: number;
  /** Search breadth; raised to k when k is larger. */
  efSearch?: number;
  seed?: number;
}

export interface VectorHit {
  /** Label = position of the vector in insertion order. */
  label: number;
  /** Cosine similarity (1 - hnswlib's cosine distance). */
  similarity: number;
}

export class VectorIndex {
  readonly dim: number;
  private readonly index: hnswlib.HierarchicalNSW;
  private count = 0;
  private readonly efSearch: number;
  private readonly opts: Required<VectorIndexOptions>;

  constructor(dim: number, capacity: number, opts: VectorIndexOptions = {}) {
    this.dim = dim;
    this.opts = { m: 16, efConstruction: 100, efSearch: 128, seed: 100, ...opts };
    this.efSearch = this.opts.efSearch;
    this.index = new hnswlib.HierarchicalNSW("cosine", dim);
    this.index.initIndex(Math.max(1, capacity), this.opts.m, this.opts.efConstruction, this.opts.seed);
    this.index.setEf(this.efSearch);
  }

  get size(): number {
    return this.count;
  }

  /** Adds one vector; its label is its insertion position. */
  add(vec: ArrayLike<number>): number {
    if (vec.length !== this.dim) throw new Error(`vector has ${vec.length} dims, index has ${this.dim}`);
    const label = this.count++;
    this.index.addPoint(Array.from(vec), label);
    return label;
  }

  /** Adds row-major vectors (n x dim). */
  addAll(flat: Float32Array): void {
    for (let o = 0; o + this.dim <= flat.length; o += this.dim) this.add(flat.subarray(o, o + this.dim));
  }

  search(vec: ArrayLike<number>, k: number): VectorHit[] {
    const n = Math.min(k, this.count);
    if (n === 0) return [];
    this.index.setEf(Math.max(this.efSearch, n));
    const { neighbors, distances } = this.index.searchKnn(Array.from(vec), n);
    return neighbors.map((label, i) => ({ label, similarity: 1 - distances[i] }));
  }

  save(dir: string, name = "vectors"): void {
    this.index.writeIndexSync(join(dir, `${name}.hnsw`));
    writeFileSync(join(dir, `${name}.json`), JSON.stringify({ dim: this.dim, count: this.count, opts: this.opts }));
  }

  static load(dir: string, name = "vectors"): VectorIndex {
    const meta = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as {
      dim: number;
      count: number;
      opts: Required<VectorIndexOptions>;
    };
    const vi = new VectorIndex(meta.dim, 1, meta.opts);
    vi.index.readIndexSync(join(dir, `${name}.hnsw`));
    vi.index.setEf(vi.efSearch);
    vi.count = meta.count;
    return vi;
  }
}
