// The search index's options, weights, saved manifest and score parts (search-index.ts).
import type { LsaOptions } from "./embeddings/lsa.ts";
import type { Bm25Params } from "./bm25.ts";
import type { AliasEntry, TermEntry, Typo } from "./knowledge-files.ts";
import type { RerankModel } from "./rerank.ts";
import type { SearchIndex } from "./search-index.ts";
import type { AssociationOptions, AssociationTable } from "./term-associations.ts";

/** A labelled layperson question: document expansion and kNN votes for its articles. */
export interface TrainingQuestion {
  query: string;
  /** Article ids (ArticleUnit.id) the question is labelled with. */
  relevant: string[];
  /** A lawyer's plain-language answer to it, when known: its words expand the articles too. */
  answer?: string;
}

/** How the signals of a search are weighted when fused into one score. */
export interface FusionWeights {
  /** BM25 over the article field (normalised by the query's best score). */
  bm25: number;
  /** Training-question neighbours voting for their articles. */
  knn: number;
  /** Dense similarity (normalised by the query's best similarity). */
  dense: number;
  /** Weight of lay-to-legal expansion features relative to the query's own. */
  expansion: number;
  /** Multiplier for articles not 现行有效: keeps them searchable, below current law on ties. */
  statusPenalty: number;
  /** Law prior from the neighbours' laws: boosts matching articles of the laws similar questions cite. */
  lawKnn: number;
  /** Law prior from how often training questions cite each law. */
  lawFreq: number;
  /** Weight of learned lay-to-legal associations (term-associations.ts) relative to the query's own words. */
  assoc: number;
}

/** The fusion weights used unless an index is built with others (`npm run eval` measures the ranking). */
export const DEFAULT_WEIGHTS: FusionWeights = { bm25: 1, knn: 0.15, dense: 0.05, expansion: 0.4, statusPenalty: 0.97, lawKnn: 0.25, lawFreq: 0, assoc: 0.4 };

/** What an index is built with besides the articles. */
export interface SearchIndexOptions {
  /** Lay -> legal vocabulary (knowledge/terms.yaml `terms`). */
  terms?: TermEntry[];
  /** Misspellings corrected before tokenizing (terms.yaml `typos`). */
  typos?: Typo[];
  /** Law aliases (knowledge/law-aliases.yaml). */
  aliases?: AliasEntry[];
  /** Labelled questions for document expansion and kNN. Omit for a corpus-only index. */
  training?: TrainingQuestion[];
  /** "lsa" (default): offline, fitted on the corpus. false: lexical only. */
  dense?: "lsa" | false;
  lsa?: LsaOptions;
  bm25?: Bm25Params;
  weights?: Partial<FusionWeights>;
  /** How word associations are learned from the training questions. */
  associations?: AssociationOptions;
  /** Training neighbours that vote in kNN. */
  knnNeighbours?: number;
  /** Dense candidates fetched from HNSW per query. */
  denseCandidates?: number;
  /**
   * Reuse tokenization and the dense model of an index over the same articles (k-fold
   * evaluation builds one index per fold; only the question-learned parts differ).
   */
  reuseFrom?: SearchIndex;
  /**
   * The learned second stage (rerank.ts). Default: the shipped model, used only when the
   * index learned from training questions (the model was trained in that setting); false:
   * the first-stage fusion alone.
   */
  rerank?: RerankModel | false;
  /** Progress callback for long builds. */
  onProgress?: (stage: string) => void;
}

export interface Manifest {
  version: number;
  nArticles: number;
  userWords: string[];
  typos: Typo[];
  terms: TermEntry[];
  aliases: AliasEntry[];
  weights: FusionWeights;
  knnNeighbours: number;
  denseCandidates: number;
  dense: "lsa" | "remote" | false;
  denseDim: number;
  trainingCount: number;
  /** Learned lay-to-legal associations (absent without training questions). */
  associations?: AssociationTable;
  /** Questions with more distinct words than this (the 95th percentile of the training questions) are not widened by associations. */
  associationMaxWords?: number;
  /** False when built with rerank: false (a saved index keeps that choice). */
  rerank?: boolean;
}

/** The parts of a query's score (see scoreParts). */
export interface ScoreParts {
  fused: Float32Array;
  bm: Float32Array;
  bmMax: number;
  knnScores: Map<number, number> | null;
  knnMax: number;
  /** Law index -> the neighbours' vote for that law. */
  lawScore: Map<number, number> | null;
  lawMax: number;
  denseHits: Map<number, { sim: number; rank: number }> | null;
  denseTop: number;
}

/** Per-search switches. */
export interface SearchOptions {
  /** Skip the exact-citation lookup (the eval uses the plain ranker too). */
  exact?: boolean;
  /** false: the first stage's order even when the index has a reranker (the bench compares both). */
  rerank?: boolean;
}

