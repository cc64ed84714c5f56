// The article search index: exact citation lookup first, then a fusion of
//  - BM25 over law title + chapters + article text (+ labelled training questions and their
//    lawyers' answers appended to the articles they cite: document expansion), the query
//    widened by lay-to-legal terms (terms.yaml) and by word associations learned from the
//    labelled questions (term-associations.ts),
//  - nearest training questions voting for their labelled articles (kNN),
//  - dense retrieval (offline LSA, or a remote embedding model) through HNSW,
// each normalised by its best score for the query and combined linearly; when the index
// learned from training questions, a learned reranker (rerank.ts) reorders the head.
import type { Embeddings } from "@langchain/core/embeddings";
import type { ArticleHit, ArticleUnit } from "../knowledge/types.ts";
import { Bm25Index, DEFAULT_BM25, topK } from "./bm25.ts";
import { LsaEmbeddings, normalizeInPlace } from "./embeddings/lsa.ts";
import { LawNameResolver, type LawResolution } from "./law-names.ts";
import { FORMAT_VERSION, readIndexFiles, writeIndexFiles, type IndexParts } from "./index-files.ts";
import { Tokenizer } from "./tokenize.ts";
import { VectorIndex } from "./vector-index.ts";
import { percentile95, rankMap } from "./score-utils.ts";
import { citedArticles } from "./exact-lookup.ts";
import { fuseScores, type FusionInputs } from "./fusion.ts";
import { shippedRerankModel, type RerankModel } from "./rerank.ts";
import { SecondStage } from "./rerank-facts.ts";
import { DEFAULT_WEIGHTS, type FusionWeights, type Manifest, type ScoreParts, type SearchIndexOptions, type SearchOptions } from "./search-types.ts";
export { RERANK_POOL } from "./rerank-facts.ts";
import { RERANK_POOL } from "./rerank-facts.ts";
import { Associations, learnAssociations } from "./term-associations.ts";

export {
  DEFAULT_WEIGHTS,
  type FusionWeights,
  type ScoreParts,
  type SearchIndexOptions,
  type SearchOptions,
  type TrainingQuestion,
} from "./search-types.ts";

const PRC = "中华人民共和国";

/** Text the article is indexed under: short title, chapters, then the article itself. */
export function articleDocText(a: ArticleUnit): string {
  const title = a.law.startsWith(PRC) ? a.law.slice(PRC.length) : a.law;
  return [title, ...a.chapters.map((c) => c.replace(/^第\S+[编章节]\s*/, "")), a.text].join(" ");
}

/**
 * The article index: BM25 with lay-to-legal expansion, kNN over labelled questions, a dense
 * part (offline LSA or a remote embedding model) and exact citations (民法典第三条), fused
 * into one ranking, whose head a learned reranker reorders when the index learned from
 * labelled questions. Built from the store's articles, saved to and loaded from a folder.
 *
 * @example
 * ```ts
 * const index = SearchIndex.build(articles, { terms: terms.terms, typos: terms.typos, aliases });
 * const [best] = index.search("老板拖欠工资不给怎么办", 5);
 * index.save(dir); // later: SearchIndex.load(dir)
 * ```
 */
export class SearchIndex {
  readonly articles: ArticleUnit[];
  readonly tokenizer: Tokenizer;
  readonly weights: FusionWeights;
  private readonly text: Bm25Index;
  private readonly knn: Bm25Index | null;
  /** CSR: training question q -> article indices. */
  private readonly knnPtr: Uint32Array;
  private readonly knnDocs: Uint32Array;
  private readonly lsa: LsaEmbeddings | null;
  private readonly vectors: VectorIndex | null;
  private readonly remote: Embeddings | null;
  private readonly resolver: LawNameResolver;
  private readonly byLaw: Map<string, number[]>;
  private readonly lay: Array<{ lay: string[]; legal: string[] }>;
  /** Learned lay-to-legal associations (term-associations.ts). */
  private readonly associations: Associations;
  /** Law index per article, and each law's share of training labels (max = 1). */
  private readonly lawOf: Int32Array;
  private readonly lawFreq: Float32Array;
  private readonly manifest: Manifest;
  /** Second stage; null for the first-stage fusion alone. */
  private readonly reranker: RerankModel | null;
  private stage: SecondStage | null = null;
  /** Tokenized articles, kept after a build only for reuseFrom (not saved). */
  private analyzed: Array<{ words: string[]; bigrams: string[] }> | null = null;

  private constructor(p: IndexParts) {
    this.articles = p.articles;
    this.tokenizer = p.tokenizer;
    this.text = p.text;
    this.knn = p.knn;
    this.knnPtr = p.knnPtr;
    this.knnDocs = p.knnDocs;
    this.lsa = p.lsa;
    this.vectors = p.vectors;
    this.remote = p.remote;
    this.manifest = p.manifest;
    this.weights = p.manifest.weights;
    this.byLaw = new Map();
    p.articles.forEach((a, i) => {
      const list = this.byLaw.get(a.law);
      if (list) list.push(i);
      else this.byLaw.set(a.law, [i]);
    });
    this.resolver = new LawNameResolver(this.byLaw.keys(), p.manifest.aliases);
    const lawIds = new Map([...this.byLaw.keys()].map((t, i) => [t, i]));
    this.lawOf = Int32Array.from(p.articles, (a) => lawIds.get(a.law)!);
    this.lawFreq = new Float32Array(lawIds.size);
    for (const d of p.knnDocs) this.lawFreq[this.lawOf[d]]++;
    const maxFreq = Math.max(0, ...this.lawFreq);
    if (maxFreq > 0) for (let l = 0; l < this.lawFreq.length; l++) this.lawFreq[l] = Math.log1p(this.lawFreq[l]) / Math.log1p(maxFreq);
    this.reranker =
      p.rerank !== undefined ? p.rerank : p.manifest.trainingCount > 0 && p.manifest.rerank !== false ? shippedRerankModel() : null;
    this.lay = p.manifest.terms
      .map((t) => ({ lay: t.lay.map((w) => this.tokenizer.normalize(w)).filter((w) => w.length >= 2), legal: t.legal }))
      .filter((t) => t.lay.length > 0 && t.legal.length > 0);
    this.associations = new Associations(p.manifest.associations ?? [], p.manifest.associationMaxWords);
  }

  get size(): number {
    return this.articles.length;
  }

  /** Builds with the offline (or no) dense model. */
  static build(articles: ArticleUnit[], opts: SearchIndexOptions = {}): SearchIndex {
    return SearchIndex.buildCore(articles, opts, null, null);
  }

  /** Builds with a remote embedding model (OpenAI-compatible or Ollama) for the dense part. */
  static async buildWithEmbeddings(articles: ArticleUnit[], embeddings: Embeddings, opts: SearchIndexOptions = {}): Promise<SearchIndex> {
    const texts = articles.map(articleDocText);
    const batch = 256;
    let vi: VectorIndex | null = null;
    const flat: number[][] = [];
    for (let i = 0; i < texts.length; i += batch) {
      flat.push(...(await embeddings.embedDocuments(texts.slice(i, i + batch))));
      opts.onProgress?.(`embedded ${Math.min(i + batch, texts.length)}/${texts.length}`);
    }
    if (flat.length > 0) {
      vi = new VectorIndex(flat[0].length, flat.length);
      for (const v of flat) vi.add(normalizeInPlace(Float32Array.from(v)));
    }
    return SearchIndex.buildCore(articles, { ...opts, dense: false }, vi, embeddings);
  }

  private static buildCore(
    articles: ArticleUnit[],
    opts: SearchIndexOptions,
    remoteVectors: VectorIndex | null,
    remote: Embeddings | null,
  ): SearchIndex {
    const progress = opts.onProgress ?? (() => {});
    const terms = opts.terms ?? [];
    // Short terms only: a long phrase as one dictionary word would hide its parts from BM25.
    const userWords = [
      ...new Set(terms.flatMap((t) => [...t.lay, ...t.legal]).concat((opts.aliases ?? []).flatMap((a) => a.alias))),
    ].filter((w) => w.length >= 2 && w.length <= 6 && /^\p{Script=Han}+$/u.test(w));
    const tokenizer = new Tokenizer({ userWords, typos: opts.typos ?? [] });
    const weights = { ...DEFAULT_WEIGHTS, ...opts.weights };

    // Tokenization depends on the user dictionary and typos, so reuse needs the same ones.
    const reuse =
      opts.reuseFrom &&
      sameArticles(opts.reuseFrom.articles, articles) &&
      JSON.stringify([opts.reuseFrom.manifest.userWords, opts.reuseFrom.manifest.typos]) === JSON.stringify([userWords, opts.typos ?? []])
        ? opts.reuseFrom
        : null;
    progress("tokenizing articles");
    const analyzed = reuse?.analyzed ?? articles.map((a) => tokenizer.analyze(articleDocText(a)));
    const idIndex = new Map(articles.map((a, i) => [a.id, i]));

    // Training questions: features once, used for doc expansion and the kNN index.
    const training = (opts.training ?? [])
      .map((q) => ({
        ...featuresOf(tokenizer, q.query),
        // Each of the answer's words once: an answer is long, and repeated words would outweigh the question's own.
        answer: q.answer ? [...new Set(tokenizer.words(q.answer))] : [],
        docs: q.relevant.map((id) => idIndex.get(id)).filter((d): d is number => d !== undefined),
      }))
      .filter((q) => q.docs.length > 0 && q.feats.length > 0);
    const expansion: string[][] = articles.map(() => []);
    for (const q of training) for (const d of q.docs) expansion[d].push(...q.feats, ...q.answer);

    progress("building BM25");
    const text = Bm25Index.build(
      analyzed.map((a, i) => {
        const f = a.words.concat(a.bigrams);
        return expansion[i].length > 0 ? f.concat(expansion[i]) : f;
      }),
      opts.bm25 ?? { ...DEFAULT_BM25, b: 0.5 },
    );
    // Learned after BM25: an association must beat the legal word's share of all articles.
    const associations = learnAssociations(
      training.map((q) => ({ questionWords: q.words, articleWords: q.docs.map((d) => analyzed[d].words) })),
      (w) => text.docsWith(w).length / Math.max(1, articles.length),
      opts.associations,
    );
    let knn: Bm25Index | null = null;
    const knnPtr = new Uint32Array(training.length + 1);
    const knnDocsList: number[] = [];
    if (training.length > 0) {
      knn = Bm25Index.build(training.map((q) => q.feats));
      training.forEach((q, i) => {
        knnDocsList.push(...q.docs);
        knnPtr[i + 1] = knnDocsList.length;
      });
    }

    let lsa: LsaEmbeddings | null = null;
    let vectors = remoteVectors;
    const dense = opts.dense ?? "lsa";
    if (dense === "lsa" && !remote && reuse?.lsa && reuse.vectors) {
      lsa = reuse.lsa;
      vectors = reuse.vectors;
    } else if (dense === "lsa" && !remote && articles.length >= 2) {
      // Fitted on the articles alone: the dense side stays independent of training labels.
      progress("fitting LSA");
      lsa = LsaEmbeddings.fitTokens(analyzed.map((a) => a.words), tokenizer, opts.lsa);
      progress("building HNSW");
      vectors = new VectorIndex(lsa.dim, articles.length);
      for (const a of analyzed) vectors.add(lsa.embedTokens(a.words));
    }

    const manifest: Manifest = {
      version: FORMAT_VERSION,
      nArticles: articles.length,
      userWords,
      typos: opts.typos ?? [],
      terms,
      aliases: opts.aliases ?? [],
      weights,
      knnNeighbours: opts.knnNeighbours ?? 20,
      denseCandidates: opts.denseCandidates ?? 200,
      dense: remote ? "remote" : lsa ? "lsa" : false,
      denseDim: vectors?.dim ?? 0,
      trainingCount: training.length,
      ...(associations.length > 0 ? { associations, associationMaxWords: percentile95(training.map((q) => new Set(q.words).size)) } : {}),
      ...(opts.rerank === false ? { rerank: false } : {}),
    };
    const index = new SearchIndex({
      articles,
      tokenizer,
      text,
      knn,
      knnPtr,
      knnDocs: Uint32Array.from(knnDocsList),
      lsa,
      vectors,
      remote,
      manifest,
      ...(opts.rerank ? { rerank: opts.rerank } : {}),
    });
    index.analyzed = analyzed;
    return index;
  }

  // ---- query side ---------------------------------------------------------------------

  /** Query features plus lay-to-legal expansion features at lower weight. */
  queryFeatures(query: string): { features: Map<string, number>; expandedWith: string[] } {
    const features = new Map<string, number>();
    const { words, bigrams } = this.tokenizer.analyze(query);
    for (const f of words.concat(bigrams)) features.set(f, (features.get(f) ?? 0) + 1);
    const norm = this.tokenizer.normalize(query);
    const expandedWith: string[] = [];
    for (const t of this.lay) {
      if (!t.lay.some((w) => norm.includes(w))) continue;
      for (const legal of t.legal) {
        if (norm.includes(legal) || expandedWith.includes(legal)) continue;
        expandedWith.push(legal);
        for (const f of this.tokenizer.features(legal)) features.set(f, (features.get(f) ?? 0) + this.weights.expansion);
      }
    }
    if (this.weights.assoc > 0)
      for (const [a, w] of this.associations.widen(new Set(words))) features.set(a, (features.get(a) ?? 0) + this.weights.assoc * w);
    return { features, expandedWith };
  }

  /** Resolve a written law name to the titles in this index. */
  resolveLaw(name: string): LawResolution | null {
    return this.resolver.resolve(name);
  }

  /** Articles the query cites explicitly (民法典第三条), current version first. */
  exactLookup(query: string): ArticleUnit[] {
    return citedArticles(query, this.resolver, (title) => (this.byLaw.get(title) ?? []).map((i) => this.articles[i]));
  }

  /** The `k` best articles for the query (offline dense model; see searchAsync for a remote one). */
  search(query: string, k = 10, opts: SearchOptions = {}): ArticleHit[] {
    const qv = this.offlineQueryVector(query);
    return this.searchWithVector(query, k, qv, opts);
  }

  /** Like search, but embeds the query with the remote model when the index was built with one. */
  async searchAsync(query: string, k = 10, opts: SearchOptions = {}): Promise<ArticleHit[]> {
    if (this.remote && this.vectors) {
      const v = normalizeInPlace(Float32Array.from(await this.remote.embedQuery(query)));
      return this.searchWithVector(query, k, v, opts);
    }
    return this.search(query, k, opts);
  }

  /** Every part's score for every article, and their fusion (before any reranking). */
  scoreParts(query: string, qv: Float32Array | null): ScoreParts {
    return fuseScores(this.fusionInputs, this.queryFeatures(query).features, qv);
  }

  private get fusionInputs(): FusionInputs {
    return {
      articles: this.articles,
      weights: this.weights,
      text: this.text,
      knn: this.knn,
      knnPtr: this.knnPtr,
      knnDocs: this.knnDocs,
      knnNeighbours: this.manifest.knnNeighbours,
      lawOf: this.lawOf,
      lawFreq: this.lawFreq,
      trainingCount: this.manifest.trainingCount,
      vectors: this.vectors,
      denseCandidates: this.manifest.denseCandidates,
    };
  }

  private searchWithVector(query: string, k: number, qv: Float32Array | null, opts: SearchOptions): ArticleHit[] {
    const exact = opts.exact === false ? [] : this.exactLookup(query);
    const parts = this.scoreParts(query, qv);
    const { fused, bm, knnScores, denseHits } = parts;

    const exactSet = new Set(exact.map((a) => a.id));
    const ranked = (
      this.reranker && opts.rerank !== false && this.secondStage().inDomain(this.reranker, query)
        ? this.secondStage().rerank(this.reranker, query, parts, Math.max(RERANK_POOL, k + exact.length), this.weights.statusPenalty)
        : topK(fused, k + exact.length)
    ).filter(
      (h) => !exactSet.has(this.articles[h.doc].id),
    );
    const bmRanks = rankMap(bm, ranked.map((h) => h.doc));
    const top = ranked[0]?.score ?? 0;
    const hits: ArticleHit[] = exact.map((a, i) => ({
      article: a,
      score: top + 1 - i * 1e-3, // exact citations outrank everything
      exact: true,
      parts: {},
    }));
    for (const h of ranked) {
      if (hits.length >= k) break;
      const dh = denseHits?.get(h.doc);
      hits.push({
        article: this.articles[h.doc],
        score: h.score,
        exact: false,
        parts: {
          bm25: bm[h.doc],
          bm25Rank: bmRanks.get(h.doc),
          dense: dh?.sim,
          denseRank: dh?.rank,
          knn: knnScores?.get(h.doc),
        },
      });
    }
    return hits.slice(0, k);
  }

  /**
   * The first stage's best `pool` candidates with their second-stage features (for training
   * the reranker: scripts/train-rerank.ts), best first-stage score first.
   */
  rerankCandidates(query: string, pool = RERANK_POOL): Array<{ article: ArticleUnit; features: Float32Array }> {
    const qv = this.offlineQueryVector(query);
    const parts = this.scoreParts(query, qv);
    return this.secondStage().candidates(query, parts, pool).map((c) => ({ article: this.articles[c.doc], features: c.features }));
  }

  /** The query in the offline dense space, or null without one. */
  private offlineQueryVector(query: string): Float32Array | null {
    return this.lsa && this.vectors ? this.lsa.embedTokens(this.tokenizer.words(query)) : null;
  }

  /** Built on first use: the reranker's article facts cost memory a corpus-only index never needs. */
  private secondStage(): SecondStage {
    this.stage ??= new SecondStage({
      articles: this.articles,
      lawTitles: [...this.byLaw.keys()],
      lawOf: this.lawOf,
      lawFreq: this.lawFreq,
      knnPtr: this.knnPtr,
      knnDocs: this.knnDocs,
      tokenizer: this.tokenizer,
      text: this.text,
      knn: this.knn,
      associations: this.associations,
    });
    return this.stage;
  }

  // ---- persistence --------------------------------------------------------------------

  /** Writes the index into `dir` (created when missing); load() reads it back. */
  save(dir: string): void {
    const { articles, tokenizer, text, knn, knnPtr, knnDocs, lsa, vectors, remote, manifest } = this;
    writeIndexFiles(dir, { articles, tokenizer, text, knn, knnPtr, knnDocs, lsa, vectors, remote, manifest });
  }

  /** Loads a saved index. Pass the embeddings client when it was built with a remote model. */
  static load(dir: string, remote: Embeddings | null = null): SearchIndex {
    return new SearchIndex(readIndexFiles(dir, remote));
  }
}

function featuresOf(tokenizer: Tokenizer, text: string): { words: string[]; feats: string[] } {
  const a = tokenizer.analyze(text);
  return { words: a.words, feats: a.words.concat(a.bigrams) };
}

function sameArticles(a: ArticleUnit[], b: ArticleUnit[]): boolean {
  return a.length === b.length && a.every((x, i) => x.id === b[i].id);
}

/** Drops the tokenized articles a build keeps for reuse (frees memory in long-running servers). */
export function releaseBuildCache(index: SearchIndex): void {
  (index as unknown as { analyzed: unknown }).analyzed = null;
}

