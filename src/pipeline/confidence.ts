// Confidence from the evidence, never from the answer's wording: how well the best guide
// and the best articles match the question, whether they agree, and how much of the
// question they cover.

import type { ArticleHit, GuideHit } from "../knowledge/types.ts";

export interface Evidence {
  articles: ArticleHit[];
  guides: GuideHit[];
  /** Content words of the question (stopwords removed). */
  queryTerms: string[];
  /** Article ids named by the guide's legal basis (current versions). */
  guideBasisIds: string[];
}

export interface ConfidenceFeatures {
  exact: number;
  guide: number;
  guideMargin: number;
  article: number;
  articleMargin: number;
  agreement: number;
  coverage: number;
}

/** Share of the question's content words that occur in the evidence texts. */
export function coverage(queryTerms: string[], texts: string[]): number {
  const terms = [...new Set(queryTerms.filter((t) => t.length >= 2))];
  if (terms.length === 0) return 0;
  const hay = texts.join("\n");
  return terms.filter((t) => hay.includes(t)).length / terms.length;
}

export function features(e: Evidence): ConfidenceFeatures {
  const [a1, a2] = e.articles;
  const [g1, g2] = e.guides;
  const top10 = new Set(e.articles.slice(0, 10).map((h) => h.article.id));
  const agreement = e.guideBasisIds.length === 0 ? 0 : e.guideBasisIds.filter((id) => top10.has(id)).length > 0 ? 1 : 0;
  const texts = [
    ...(g1 ? [g1.guide.title, ...g1.guide.questions, g1.guide.body] : []),
    ...e.articles.slice(0, 3).map((h) => `${h.article.law}${h.article.text}`),
  ];
  return {
    exact: a1?.exact ? 1 : 0,
    guide: g1?.score ?? 0,
    guideMargin: g1 ? g1.score - (g2?.score ?? 0) : 0,
    article: a1 ? (a1.parts.dense ?? 0) : 0,
    articleMargin: a1 && a2 ? (a1.parts.dense ?? 0) - (a2.parts.dense ?? 0) : 0,
    agreement,
    coverage: coverage(e.queryTerms, texts),
  };
}

/** Logistic combination; weights are fixed by reasoning and checked by `npm run eval`. */
export const WEIGHTS: Record<keyof ConfidenceFeatures, number> & { bias: number } = {
  exact: 6,
  guide: 3,
  guideMargin: 1,
  article: 2.5,
  articleMargin: 2,
  agreement: 1.2,
  coverage: 3,
  bias: -4.2,
};

export function confidenceOf(f: ConfidenceFeatures, w = WEIGHTS): number {
  let z = w.bias;
  for (const k of Object.keys(f) as (keyof ConfidenceFeatures)[]) z += w[k] * f[k];
  return 1 / (1 + Math.exp(-z));
}

/** Answer at or above this confidence; below it, escalate. */
export const ANSWER_THRESHOLD = 0.5;
