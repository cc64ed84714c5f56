// The search index on disk: a manifest, the articles, the BM25 postings (articles and
// training questions) as binary bundles, the LSA model and the HNSW graph. One folder per
// index; FORMAT_VERSION changes when a file's layout does, and an old folder is rebuilt.
import type { Embeddings } from "@langchain/core/embeddings";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ArticleUnit } from "../knowledge/types.ts";
import { Bm25Index } from "./bm25.ts";
import { LsaEmbeddings } from "./embeddings/lsa.ts";
import { readBundle, writeBundle } from "./persist.ts";
import type { RerankModel } from "./rerank.ts";
import type { Manifest } from "./search-types.ts";
import { Tokenizer } from "./tokenize.ts";
import { VectorIndex } from "./vector-index.ts";

export const FORMAT_VERSION = 2;

/** What a search index is made of: built once, or read back from its folder. */
export interface IndexParts {
  articles: ArticleUnit[];
  tokenizer: Tokenizer;
  text: Bm25Index;
  knn: Bm25Index | null;
  /** CSR: training question q -> article indices. */
  knnPtr: Uint32Array;
  knnDocs: Uint32Array;
  lsa: LsaEmbeddings | null;
  vectors: VectorIndex | null;
  remote: Embeddings | null;
  manifest: Manifest;
  /** A reranker other than the shipped one (null: the first stage alone). */
  rerank?: RerankModel | null;
}

/** Writes the index's files into `dir` (created when missing). */
export function writeIndexFiles(dir: string, p: IndexParts): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(p.manifest));
  writeFileSync(join(dir, "articles.json"), JSON.stringify(p.articles));
  writeBundle(join(dir, "text.bm25"), p.text.toBundle());
  if (p.knn) {
    const b = p.knn.toBundle();
    b.arrays.knnPtr = p.knnPtr;
    b.arrays.knnDocs = p.knnDocs;
    writeBundle(join(dir, "knn.bm25"), b);
  }
  if (p.lsa) writeBundle(join(dir, "lsa.bin"), p.lsa.toBundle());
  if (p.vectors) p.vectors.save(dir, "vectors");
}

/** Reads an index's files. Pass the embeddings client when it was built with a remote model. */
export function readIndexFiles(dir: string, remote: Embeddings | null): IndexParts {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
  if (manifest.version !== FORMAT_VERSION) throw new Error(`index format ${manifest.version}, expected ${FORMAT_VERSION}: rebuild it`);
  const tokenizer = new Tokenizer({ userWords: manifest.userWords, typos: manifest.typos });
  const articles = JSON.parse(readFileSync(join(dir, "articles.json"), "utf8")) as ArticleUnit[];
  const text = Bm25Index.fromBundle(readBundle(join(dir, "text.bm25")));
  let knn: Bm25Index | null = null;
  let knnPtr: Uint32Array = new Uint32Array(1);
  let knnDocs: Uint32Array = new Uint32Array(0);
  if (existsSync(join(dir, "knn.bm25"))) {
    const b = readBundle(join(dir, "knn.bm25"));
    knnPtr = b.arrays.knnPtr as Uint32Array;
    knnDocs = b.arrays.knnDocs as Uint32Array;
    knn = Bm25Index.fromBundle(b);
  }
  const lsa = existsSync(join(dir, "lsa.bin")) ? LsaEmbeddings.fromBundle(readBundle(join(dir, "lsa.bin")), tokenizer) : null;
  const vectors = existsSync(join(dir, "vectors.hnsw")) ? VectorIndex.load(dir, "vectors") : null;
  // Built with a remote model but loaded without its client: still usable lexically
  // (search skips the dense part); searchAsync needs the client for it.
  return { articles, tokenizer, text, knn, knnPtr, knnDocs, lsa, vectors, remote, manifest };
}
