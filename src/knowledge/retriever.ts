// What the answering pipeline searches: a built article index and the guides, with the
// lookups it needs (a guide's legal basis by law title and article number).

import { GuideIndex, type GuideSearchHit } from "../retrieval/guide-index.ts";
import { QuestionBank, type BankQuestion, type NeighbourEvidence } from "../retrieval/question-bank.ts";
import type { SearchIndex } from "../retrieval/search-index.ts";
import { isCurrentLaw } from "./status.ts";
import type { ArticleHit, ArticleUnit, Guide, GuideBasis } from "./types.ts";

export class IndexRetriever {
  private readonly byLawArticle = new Map<string, ArticleUnit[]>();
  private readonly guideIndex: GuideIndex;

  private readonly bank: QuestionBank | null;
  private readonly held = new Set<string>();

  constructor(
    readonly index: SearchIndex,
    readonly guides: Guide[],
    bank: BankQuestion[] = [],
  ) {
    for (const a of index.articles) {
      const key = `${a.law}|${a.article}`;
      const list = this.byLawArticle.get(key);
      if (list) list.push(a);
      else this.byLawArticle.set(key, [a]);
    }
    this.guideIndex = new GuideIndex(guides, { tokenizer: index.tokenizer });
    for (const a of index.articles) if (isCurrentLaw(a)) this.held.add(`${a.law}|${a.article}`);
    this.bank = bank.length > 0 ? new QuestionBank(bank, index.tokenizer) : null;
  }

  neighbours(query: string): NeighbourEvidence | null {
    return this.bank ? this.bank.neighbours(query, (key) => this.held.has(key)) : null;
  }

  /** Async because a remote embedding model embeds the query over the network. */
  searchArticles(query: string, k: number): Promise<ArticleHit[]> {
    return this.index.searchAsync(query, k);
  }

  searchGuides(query: string, k: number): GuideSearchHit[] {
    // Scores comparable across questions: the normalised score, not raw BM25.
    return this.guideIndex.search(query, k).map((h) => ({ ...h, score: h.normalized }));
  }

  /** A guide by its id, or null. */
  guideById(id: string): Guide | null {
    return this.guides.find((g) => g.id === id) ?? null;
  }

  basisArticle(basis: GuideBasis): ArticleUnit | null {
    return this.versionsOf(basis.law, basis.article).find((a) => isCurrentLaw(a)) ?? null;
  }

  /** Every indexed version of an article (current first is not guaranteed). */
  versionsOf(law: string, article: string): ArticleUnit[] {
    return this.byLawArticle.get(`${law}|${article}`) ?? [];
  }

  queryTerms(query: string): string[] {
    return this.index.tokenizer.words(query);
  }

  /** The question's words and the legal terms its lay words stand for (terms.yaml). */
  legalTerms(query: string): string[] {
    return [...this.index.tokenizer.words(query), ...this.index.queryFeatures(query).expandedWith];
  }
}
