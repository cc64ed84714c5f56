// Lay-to-legal word associations learned from labelled questions: a resident writes 欠钱 and
// 老板跑了, the articles their lawyers cited say 借款, 债务 and 用人单位. A word pair that meets
// in question and cited article far more often than the article word meets articles at large
// is an association (a one-sided translation table, in the spirit of IBM Model 1 used for
// question-to-answer retrieval). Unlike document expansion, which helps only the articles a
// question was labelled with, an association lifts every article that uses the legal word.

/** Per question word: its associated article words and their weights (best first). */
export type AssociationTable = Array<[string, Array<[string, number]>]>;

export interface AssociationOptions {
  /** Labelled pairs a word pair must meet in (fewer is chance). */
  minPairs?: number;
  /** How much likelier the article word must be after the question word than in articles at large. */
  minLift?: number;
  /** Associations kept per question word. */
  perWord?: number;
}

const DEFAULTS: Required<AssociationOptions> = { minPairs: 2, minLift: 4, perWord: 8 };

/**
 * Learns the table from labelled questions (their words, and the words of the articles they
 * were labelled with). `articleShare(w)` is the share of all articles holding `w`.
 */
export function learnAssociations(
  pairs: Array<{ questionWords: string[]; articleWords: string[][] }>,
  articleShare: (w: string) => number,
  opts: AssociationOptions = {},
): AssociationTable {
  const o = { ...DEFAULTS, ...opts };
  const asked = new Map<string, number>();
  const met = new Map<string, Map<string, number>>();
  for (const p of pairs) {
    const qs = new Set(p.questionWords);
    // A question labelled with several articles spreads one unit of evidence over them.
    const share = 1 / Math.max(1, p.articleWords.length);
    const seen = new Map<string, number>();
    for (const words of p.articleWords) for (const a of new Set(words)) seen.set(a, (seen.get(a) ?? 0) + share);
    for (const q of qs) {
      asked.set(q, (asked.get(q) ?? 0) + 1);
      let row = met.get(q);
      if (!row) met.set(q, (row = new Map()));
      for (const [a, s] of seen) row.set(a, (row.get(a) ?? 0) + s);
    }
  }
  const table: AssociationTable = [];
  for (const [q, row] of met) {
    const n = asked.get(q)!;
    if (n < o.minPairs) continue;
    const kept: Array<[string, number]> = [];
    for (const [a, c] of row) {
      if (c < o.minPairs || a === q) continue;
      const p = c / n;
      const base = Math.max(articleShare(a), 1e-6);
      if (p < o.minLift * base) continue;
      // Confidence times the evidence that it is not chance (log lift).
      kept.push([a, p * Math.log(p / base)]);
    }
    if (kept.length === 0) continue;
    kept.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    table.push([q, kept.slice(0, o.perWord)]);
  }
  return table.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
}

/**
 * A learned table at query time: each question word's associations weighed against its
 * strongest one, used only for questions no longer than those it was learned from (a story's
 * incidental words would bring incidental legal words: measured on the dev stories).
 */
export class Associations {
  private readonly byWord: Map<string, Array<[string, number]>>;

  constructor(
    table: AssociationTable,
    /** Distinct words of the longest questions it applies to (the training questions' 95th percentile). */
    private readonly maxWords = Infinity,
  ) {
    this.byWord = new Map(table.map(([q, list]) => [q, list.map(([a, w]) => [a, w / list[0][1]] as [string, number])]));
  }

  get size(): number {
    return this.byWord.size;
  }

  /** The word's associations (weight: share of its strongest), none when it has none. */
  of(word: string): ReadonlyArray<[string, number]> {
    return this.byWord.get(word) ?? [];
  }

  /** The legal words a question's words lead to, each at its strongest weight; empty for a long question. */
  widen(words: Set<string>): Map<string, number> {
    const out = new Map<string, number>();
    if (words.size > this.maxWords) return out;
    for (const q of words) for (const [a, w] of this.of(q)) out.set(a, Math.max(out.get(a) ?? 0, w));
    return out;
  }
}
