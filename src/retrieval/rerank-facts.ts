// The second stage over one index. What the reranker knows about a candidate beyond its score parts: how much of the question
// its own words, the questions it answered before and its law's title cover, and how often it
// answers labelled questions at all. Coverage is read from the BM25 postings the first stage
// already walks, so no article is tokenized again at query time.
import type { ArticleUnit } from "../knowledge/types.ts";
import type { Bm25Index } from "./bm25.ts";
import { topK } from "./bm25.ts";
import { predict, rerankFeatures, type CandidateFacts, type RerankModel } from "./rerank.ts";
import type { ScoreParts } from "./search-types.ts";
import type { Tokenizer } from "./tokenize.ts";
import { bigramShare, hanBigrams, hanOnly } from "./surface-match.ts";
import type { Associations } from "./term-associations.ts";
import { LawTopics } from "./law-topics.ts";

const CURRENT = "现行有效";

export interface FactsInputs {
  articles: ArticleUnit[];
  /** Law titles by law index. */
  lawTitles: string[];
  lawOf: Int32Array;
  lawFreq: Float32Array;
  /** CSR: training question -> its labelled articles. */
  knnPtr: Uint32Array;
  knnDocs: Uint32Array;
  tokenizer: Tokenizer;
  /** BM25 over the articles (with expansion) and over the training questions. */
  text: Bm25Index;
  knn: Bm25Index | null;
  /** Learned lay-to-legal associations. */
  associations: Associations;
}

/** First-stage candidates the reranker reorders. */
export const RERANK_POOL = 300;


/** The reranker over one index: its candidates' features, and their order by a model. */
export class SecondStage {
  /** log(1 + labelled training questions) per article. */
  private readonly popularity: Float32Array;
  /** CSR: article -> the training questions labelled with it. */
  private readonly askedPtr: Uint32Array;
  private readonly askedQs: Uint32Array;
  private readonly lawTitleWords: Array<Set<string>>;
  private readonly slots: Int32Array;
  /** Per law: its highest article number (for an article's position in its law). */
  private readonly lastArticle: Int32Array;
  private readonly lawTopics: LawTopics;

  constructor(private readonly inputs: FactsInputs) {
    const { articles, knnPtr, knnDocs } = inputs;
    const n = articles.length;
    const count = new Uint32Array(n + 1);
    for (const d of knnDocs) count[d + 1]++;
    this.popularity = Float32Array.from({ length: n }, (_, d) => Math.log1p(count[d + 1]));
    for (let d = 0; d < n; d++) count[d + 1] += count[d];
    this.askedPtr = count;
    this.askedQs = new Uint32Array(knnDocs.length);
    const fill = count.slice(0, n);
    for (let q = 0; q + 1 < knnPtr.length; q++) for (let i = knnPtr[q]; i < knnPtr[q + 1]; i++) this.askedQs[fill[knnDocs[i]]++] = q;
    this.lawTitleWords = inputs.lawTitles.map((t) => new Set(inputs.tokenizer.words(t)));
    this.slots = new Int32Array(n).fill(-1);
    this.lastArticle = new Int32Array(inputs.lawTitles.length);
    articles.forEach((a, d) => {
      const law = inputs.lawOf[d];
      if ((a.articleNo ?? 0) > this.lastArticle[law]) this.lastArticle[law] = a.articleNo;
    });
    this.lawTopics = LawTopics.fromQuestions(inputs.knn, knnPtr, knnDocs, inputs.lawOf, inputs.lawTitles.length);
  }

  /** The first stage's best `pool` candidates with their features, best first-stage score first. */
  candidates(query: string, parts: ScoreParts, pool: number): Array<{ doc: number; features: Float32Array }> {
    const docs = topK(parts.fused, pool).map((h) => h.doc);
    const features = rerankFeatures(parts, this.facts(query, docs));
    return docs.map((doc, i) => ({ doc, features: features[i] }));
  }

  /** Whether the model was trained on questions like this one (see RerankModel.maxQueryWords). */
  inDomain(model: RerankModel, query: string): boolean {
    return model.maxQueryWords === undefined || new Set(this.inputs.tokenizer.words(query)).size <= model.maxQueryWords;
  }

  /** The candidates reordered by the model; score in (0, 1). */
  rerank(model: RerankModel, query: string, parts: ScoreParts, pool: number, statusPenalty: number): Array<{ doc: number; score: number }> {
    const { articles } = this.inputs;
    // STARD's corpus holds current law only, so the model never learned the status; the
    // first stage's penalty still ranks an old version below the current one.
    const penalty = (d: number) => (articles[d].status === CURRENT ? 1 : statusPenalty);
    return this.candidates(query, parts, pool)
      .map((c) => ({ doc: c.doc, score: penalty(c.doc) / (1 + Math.exp(-predict(model, c.features))) }))
      .sort((a, b) => b.score - a.score || a.doc - b.doc);
  }

  private facts(query: string, docs: number[]): CandidateFacts {
    const { articles, tokenizer, text } = this.inputs;
    const words = [...new Set(tokenizer.words(query))];
    // A word no article holds is the rarest of all: weigh it as a word held by none.
    const maxIdf = Math.log(1 + (articles.length + 0.5) / 0.5);
    const idf = words.map((w) => text.idfOf(w) ?? maxIdf);
    const idfTotal = idf.reduce((a, b) => a + b, 0) || 1;
    // Candidate slot per article (-1: not a candidate): the postings walk below visits many
    // articles per word, and a typed array answers in a fraction of a Map's time.
    const slot = this.slots;
    docs.forEach((d, i) => (slot[d] = i));
    try {
      return this.coverages(query, docs, words, idf.map((x) => x / idfTotal));
    } finally {
      for (const d of docs) slot[d] = -1;
    }
  }

  private coverages(query: string, docs: number[], words: string[], shares: number[]): CandidateFacts {
    const { articles, text, knn, lawOf } = this.inputs;
    const slot = this.slots;
    const coverage = new Float32Array(docs.length);
    const coverageCount = new Float32Array(docs.length);
    const askedCoverage = new Float32Array(docs.length);
    const titleCoverage = new Float32Array(docs.length);
    words.forEach((w, wi) => {
      const share = shares[wi];
      for (const d of text.docsWith(w)) {
        const i = slot[d];
        if (i < 0) continue;
        coverage[i] += share;
        coverageCount[i] += 1 / words.length;
      }
      const asked = knn ? new Set(knn.docsWith(w)) : null;
      docs.forEach((d, i) => {
        if (asked && asked.size > 0)
          for (let p = this.askedPtr[d]; p < this.askedPtr[d + 1]; p++)
            if (asked.has(this.askedQs[p])) {
              askedCoverage[i] += share;
              break;
            }
        if (this.lawTitleWords[lawOf[d]].has(w)) titleCoverage[i] += share;
      });
    });
    const assocCoverage = this.assocCoverage(docs, words, shares);
    const surface = this.surface(query, docs);
    return {
      ...surface,
      askedBest: this.askedBest(query, docs),
      docs,
      lawOf,
      lawFreq: this.inputs.lawFreq,
      popularity: this.popularity,
      current: (d) => articles[d].status === CURRENT,
      coverage,
      coverageCount,
      askedCoverage,
      titleCoverage,
      assocCoverage,
      lawTopic: this.lawTopics.posterior(this.inputs.tokenizer.charBigrams(query)),
      queryWords: words.length,
      articleNo: (d) => articles[d].articleNo ?? -1,
    };
  }

  /**
   * Per candidate: the idf-weighted share of question words it answers in the legal words
   * they were learned to go with (each word counts its strongest association held).
   */
  private assocCoverage(docs: number[], words: string[], shares: number[]): Float32Array {
    const { associations, text } = this.inputs;
    const out = new Float32Array(docs.length);
    const best = new Float32Array(docs.length);
    words.forEach((w, wi) => {
      const list = associations.of(w);
      if (list.length === 0) return;
      best.fill(0);
      for (const [a, weight] of list)
        for (const d of text.docsWith(a)) {
          const i = this.slots[d];
          if (i >= 0 && weight > best[i]) best[i] = weight;
        }
      for (let i = 0; i < docs.length; i++) out[i] += shares[wi] * best[i];
    });
    return out;
  }

  /**
   * Per candidate: how closely the question matches the nearest training question labelled
   * with it. The kNN vote only hears the top neighbours and sums them; an article whose one
   * earlier question is a near paraphrase deserves a say of its own.
   */
  private askedBest(query: string, docs: number[]): Float32Array {
    const { knn, tokenizer } = this.inputs;
    const best = new Float32Array(docs.length);
    if (!knn) return best;
    const scores = knn.scoreAll(tokenizer.features(query));
    let max = 0;
    for (const s of scores) if (s > max) max = s;
    if (max <= 0) return best;
    docs.forEach((d, i) => {
      for (let p = this.askedPtr[d]; p < this.askedPtr[d + 1]; p++) best[i] = Math.max(best[i], scores[this.askedQs[p]] / max);
    });
    return best;
  }

  /** Character-level matches and each candidate's shape (see surface-match.ts). */
  private surface(query: string, docs: number[]) {
    const { articles, lawTitles, lawOf } = this.inputs;
    const han = hanOnly(query);
    const pairs = hanBigrams(han);
    const at = (f: (d: number) => number) => Float32Array.from(docs, f);
    return {
      bigramCoverage: at((d) => bigramShare(pairs, articles[d].text)),
      articleLength: at((d) => Math.log1p(articles[d].text.length)),
      articlePosition: at((d) => {
        const last = this.lastArticle[lawOf[d]];
        return last > 0 && articles[d].articleNo > 0 ? articles[d].articleNo / last : 0;
      }),
      titleBigrams: at((d) => bigramShare(pairs, lawTitles[lawOf[d]])),
    };
  }
}
