// Which articles an answer quotes. The guide's legal basis is trusted (a lawyer reviewed it);
// an article retrieval found on its own is quoted only when the question supports that part
// of its law (the guide rests on a nearby article, the labelled questions most like this one
// were answered from one, or without a labelled bank another top result backs it) and the
// article says one of the question's words or the legal terms they stand for. An article that
// matches a few words of the question from a law nothing else points to (a homestead lost to
// a flood for unpaid wages, the army's civilian staff regulation for social insurance) is a
// hub or a coincidence, and is left out.

import type { ArticleHit, ArticleUnit } from "../knowledge/types.ts";
import { parseArticleLabel } from "../knowledge/article-number.ts";
import type { NeighbourEvidence } from "../retrieval/question-bank.ts";

export interface CitationEvidence {
  /** Current articles of the chosen guide's legal basis (empty without a guide). */
  basis: ArticleUnit[];
  /** Retrieved articles, best first. */
  hits: ArticleHit[];
  /** The question named hits[0] exactly (民法典第一千零七十九条). */
  exact: boolean;
  /** The labelled questions nearest to this one, or null without a labelled bank. */
  neighbours: NeighbourEvidence | null;
  /** The question's words and the legal terms they stand for; when given, an article found
   * on its own must contain one of them (two characters or more) to be quoted. */
  terms?: readonly string[];
}

const MAX_QUOTES = 3;
// How many of the nearest labelled questions' answers speak for a part of a law.
const NEIGHBOUR_KEYS = 12;
// Articles this close in number sit in the same part of a law (a chapter, a book of the Civil
// Code): the Civil Code's property book does not speak for its consumer-contract rules.
const NEAR = 60;

/** Where the question's evidence points, as (law, article number) pairs: see the file comment. */
export function evidenceArticles(e: CitationEvidence): Array<{ law: string; no: number }> {
  const out = e.basis.map((a) => ({ law: a.law, no: a.articleNo }));
  if (e.neighbours) {
    for (const key of e.neighbours.keys.slice(0, NEIGHBOUR_KEYS)) {
      const bar = key.indexOf("|");
      const no = parseArticleLabel(key.slice(bar + 1))?.no;
      if (bar > 0 && no !== undefined) out.push({ law: key.slice(0, bar), no });
    }
  } else {
    // Without a labelled bank: articles of the top ten that another article of the top ten backs.
    const top = e.hits.slice(0, 10).map((h) => h.article);
    for (const a of top) if (top.some((b) => b !== a && b.law === a.law && Math.abs(b.articleNo - a.articleNo) <= NEAR)) out.push({ law: a.law, no: a.articleNo });
  }
  return out;
}

/** Whether the article's text says something the question says (or its legal terms). */
function sharesTerm(terms: readonly string[] | undefined, a: ArticleUnit): boolean {
  if (!terms) return true;
  return terms.some((t) => t.length >= 2 && a.text.includes(t));
}

/**
 * The gate every quoted article and every finding shown to the lawyer passes: the guide's
 * basis, or an article the evidence backs (a nearby article) whose text says one of the
 * question's words or the legal terms they stand for.
 */
export function relevanceGate(e: CitationEvidence): (a: ArticleUnit) => boolean {
  const basis = new Set(e.basis.map((a) => a.id));
  const evidence = evidenceArticles(e);
  return (a) => basis.has(a.id) || (evidence.some((x) => x.law === a.law && Math.abs(x.no - a.articleNo) <= NEAR) && sharesTerm(e.terms, a));
}

/**
 * At most three articles, no repeats, most trustworthy first: an exact citation; the guide's
 * basis that retrieval found too; the rest of the guide's basis; then retrieved articles that
 * pass the relevance gate. (Putting articles that answered similar labelled questions first
 * was measured and cited the relevant article less often.)
 */
export function pickArticles(e: CitationEvidence): ArticleUnit[] {
  const { basis, hits } = e;
  const out: ArticleUnit[] = [];
  const add = (a: ArticleUnit) => {
    if (!out.some((x) => x.id === a.id) && out.length < MAX_QUOTES) out.push(a);
  };
  if (e.exact && hits[0]) add(hits[0].article);
  const top = new Set(hits.slice(0, 10).map((h) => h.article.id));
  for (const a of basis) if (top.has(a.id)) add(a);
  for (const a of basis.slice(0, 2)) add(a);
  const backed = relevanceGate(e);
  if (basis.length === 0) {
    for (const h of hits.slice(0, MAX_QUOTES)) if (backed(h.article)) add(h.article);
  } else if (hits[0] && !basis.some((a) => a.law === hits[0].article.law) && backed(hits[0].article)) {
    add(hits[0].article);
  }
  return out;
}
