// Which paragraph of a guide answers the question. A guide covers a matter in two to four
// paragraphs (租房: the lease and its term; repairs and unpaid rent; a landlord selling the
// flat), and its first one is the general rule. A resident who asks about one of the others
// should read that one first, not the rule they did not ask about: the phone-first message
// has room for about one paragraph.

import { canonicalArticleLabel, findArticleRefs, formatArticleLabel } from "../knowledge/article-number.ts";
import type { ArticleUnit, Guide } from "../knowledge/types.ts";
import { hanBigrams, hanOnly } from "../retrieval/surface-match.ts";

/** What the answer knows about the question, to find the paragraph it asks about. */
export interface AnswerFocus {
  /** The question's words and the legal terms its lay words stand for. */
  terms: string[];
  /** The question's own text (its character pairs meet a paragraph's where words were cut apart). */
  question: string;
  /** The articles retrieved for the question, best first. */
  articles: ArticleUnit[];
}

/** Retrieved articles below this rank say nothing about which paragraph is asked about. */
const ARTICLE_HEAD = 10;

/** A guide body's paragraphs, in order (blank lines separate them). */
export function guideParagraphs(body: string): string[] {
  return body
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/**
 * The paragraph of the guide's body that speaks to the question: the one holding most of the
 * question's distinctive words and character pairs (those not in every paragraph), plus most
 * of the retrieved articles it cites, each normalised by the best paragraph's. On a tie the
 * earlier paragraph wins, so the first one, the general rule, is kept when nothing points
 * elsewhere.
 */
export function focusParagraph(guide: Guide, focus: AnswerFocus | undefined): { index: number; text: string } {
  const paragraphs = guideParagraphs(guide.body);
  const index = focusIndex(guide, paragraphs, focus);
  return { index, text: paragraphs[index] ?? guide.body };
}

function focusIndex(guide: Guide, paragraphs: string[], focus: AnswerFocus | undefined): number {
  if (paragraphs.length < 2 || !focus) return 0;
  const lexical = shares(paragraphs, [...focus.terms, ...hanBigrams(hanOnly(focus.question))]);
  const cited = citedWeights(guide, paragraphs, focus.articles);
  const [byWords, byArticles] = [normalised(lexical), normalised(cited)];
  const score = paragraphs.map((_, i) => byWords[i] + byArticles[i]);
  let best = 0;
  for (let i = 1; i < score.length; i++) if (score[i] > score[best] + 1e-9) best = i;
  return best;
}

/**
 * The guide's body with the paragraph the question asks about first and the others after it
 * in their order: the first message shows as much of it as fits, so a short paragraph leaves
 * room for the general rule (with no focus this is the body as written).
 */
export function focusedBody(guide: Guide, focus: AnswerFocus | undefined): string {
  const paragraphs = guideParagraphs(guide.body);
  if (paragraphs.length < 2) return guide.body;
  const index = focusIndex(guide, paragraphs, focus);
  if (index === 0) return guide.body;
  return [paragraphs[index], ...paragraphs.filter((_, i) => i !== index)].join("\n\n");
}

/**
 * Per paragraph: the summed weight of the features it holds, each weighted by how few
 * paragraphs hold it (a word in every paragraph says nothing about which one is asked).
 */
function shares(paragraphs: string[], features: string[]): number[] {
  const out = paragraphs.map(() => 0);
  const n = paragraphs.length;
  for (const f of new Set(features)) {
    const holders = paragraphs.map((p) => p.includes(f));
    const df = holders.filter(Boolean).length;
    if (df === 0 || df === n) continue;
    const idf = Math.log((n + 1) / df);
    holders.forEach((h, i) => h && (out[i] += idf));
  }
  return out;
}

/**
 * Per paragraph: how strongly the retrieved articles it cites were retrieved (1 / rank over
 * the head). A paragraph cites an article of the guide's legal basis by its number alone: the
 * law's name is left out after its first mention (（第七百二十六条）).
 */
function citedWeights(guide: Guide, paragraphs: string[], articles: ArticleUnit[]): number[] {
  const rank = new Map<string, number>();
  articles.slice(0, ARTICLE_HEAD).forEach((a, r) => {
    const key = `${a.law}|${a.article}`;
    if (!rank.has(key)) rank.set(key, r);
  });
  return paragraphs.map((p) => {
    const cites = new Set(findArticleRefs(p).map((r) => formatArticleLabel(r.no, r.sub)));
    let w = 0;
    for (const b of guide.legalBasis) {
      const r = rank.get(`${b.law}|${b.article}`);
      if (r !== undefined && cites.has(canonicalArticleLabel(b.article))) w += 1 / (r + 1);
    }
    return w;
  });
}

function normalised(xs: number[]): number[] {
  const max = Math.max(...xs);
  return max > 0 ? xs.map((x) => x / max) : xs.map(() => 0);
}
