// Confidence from the evidence, never from the answer's wording. Two independent sources:
//  - the best service guide: how fully it covers the question and whether the articles
//    retrieval found agree with the guide's own legal basis;
//  - the articles: an exact citation, and whether the questions most like this one (the
//    labelled question bank) were answered by articles this knowledge base holds and
//    retrieval surfaced.
// The answer stands on whichever is stronger.

import type { ArticleHit, GuideHit } from "../knowledge/types.ts";
import type { NeighbourEvidence } from "../retrieval/question-bank.ts";

export interface Evidence {
  articles: ArticleHit[];
  guides: GuideHit[];
  /** Content words of the question (stopwords removed). */
  queryTerms: string[];
  /** Article ids named by the guide's legal basis (current versions). */
  guideBasisIds: string[];
  /** The labelled questions nearest to this one, when a question bank is loaded. */
  neighbours: NeighbourEvidence | null;
}

export interface ConfidenceFeatures {
  exact: number;
  /** Guide score normalised so 1 ~ the whole question is covered. */
  guide: number;
  /** How far the best guide leads the runner-up, as a share of its score (0..1). */
  guideMargin: number;
  /** 1 when a top-10 article is in the best guide's legal basis. */
  agreement: number;
  /** Share of the question's content words found in the guide and top articles. */
  coverage: number;
  /** Neighbour questions answered by held articles (similarity-weighted share). */
  neighbourCoverage: number;
  neighbourNearest: number;
  /** 1 when a held answer of a neighbour question is among the top-10 articles. */
  neighbourAgree: number;
  /** Share of the top-5 articles from the same law as the first. */
  lawAgree: number;
  hasBank: number;
}

/** Share of the question's content words that occur in the evidence texts. */
export function coverage(queryTerms: string[], texts: string[]): number {
  const terms = [...new Set(queryTerms.filter((t) => t.length >= 2))];
  if (terms.length === 0) return 0;
  const hay = texts.join("\n");
  return terms.filter((t) => hay.includes(t)).length / terms.length;
}

const keyOf = (h: ArticleHit) => `${h.article.law}|${h.article.article}`;

export function features(e: Evidence): ConfidenceFeatures {
  const [a1] = e.articles;
  const [g1] = e.guides;
  // Two guides on the same topic (legal aid, and its promise scheme) are not a doubt: the
  // lead that matters is over the best guide on another topic.
  const g2 = e.guides.find((g) => g1 && g.guide.topics[0] !== g1.guide.topics[0]);
  const top10 = e.articles.slice(0, 10);
  const top10Ids = new Set(top10.map((h) => h.article.id));
  const top10Keys = new Set(top10.map(keyOf));
  const laws = e.articles.slice(0, 5).map((h) => h.article.law);
  const texts = [
    ...(g1 ? [g1.guide.title, ...g1.guide.questions, g1.guide.body] : []),
    ...e.articles.slice(0, 3).map((h) => `${h.article.law}${h.article.text}`),
  ];
  return {
    exact: a1?.exact ? 1 : 0,
    guide: g1?.score ?? 0,
    guideMargin: g1 && g1.score > 0 ? (g1.score - (g2?.score ?? 0)) / g1.score : 0,
    agreement: e.guideBasisIds.some((id) => top10Ids.has(id)) ? 1 : 0,
    coverage: coverage(e.queryTerms, texts),
    neighbourCoverage: e.neighbours?.coverage ?? 0,
    neighbourNearest: e.neighbours?.nearest ?? 0,
    neighbourAgree: e.neighbours?.keys.some((k) => top10Keys.has(k)) ? 1 : 0,
    lawAgree: laws.length ? laws.filter((l) => l === laws[0]).length / laws.length : 0,
    hasBank: e.neighbours ? 1 : 0,
  };
}

export type Weights = Partial<Record<keyof ConfidenceFeatures, number>> & { bias: number };

/**
 * The guide source, set by reasoning: a guide that covers the question (normalised score
 * near 1), clearly ahead of the next guide, and whose legal basis retrieval also found, is
 * strong evidence on its own. Residents' filler words ("我想问问") lower the score, so a
 * clear lead counts as much as full coverage.
 */
export const GUIDE_WEIGHTS: Weights = { guide: 6, guideMargin: 4, agreement: 1.5, bias: -5 };

/**
 * The article source: logistic regression fitted by `npm run eval -- --fit` on labelled
 * questions with and without their laws in the index (split seed 99; the eval reports a
 * different split, and refits on held-out halves).
 */
export const ARTICLE_WEIGHTS: Weights = {
  neighbourCoverage: 4.59,
  neighbourNearest: 1.3,
  neighbourAgree: 1.9,
  lawAgree: 2.27,
  coverage: 1.19,
  bias: -7.38,
};

export function logistic(f: ConfidenceFeatures, w: Weights): number {
  let z = w.bias;
  for (const k of Object.keys(f) as (keyof ConfidenceFeatures)[]) z += (w[k] ?? 0) * f[k];
  return 1 / (1 + Math.exp(-z));
}

export function confidenceOf(f: ConfidenceFeatures): number {
  if (f.exact) return 1;
  return Math.max(logistic(f, GUIDE_WEIGHTS), logistic(f, ARTICLE_WEIGHTS));
}

/**
 * Answer at or above this confidence; below it, escalate. Chosen from the trade-off table
 * `npm run eval` prints: a wrong confident answer costs a resident more than a referral
 * costs a lawyer, so the operating point favours escalation (LAWDESK_ANSWER_THRESHOLD).
 */
export const ANSWER_THRESHOLD = 0.7;
