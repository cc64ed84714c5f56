// Character-level matching between a question and an article's text. Word-level coverage
// depends on how the tokenizer cut both sides: 离婚后 in a question and 离婚 in an article, or
// a legal phrase jieba splits differently in a long sentence, never meet as tokens. Chinese
// characters and their pairs do, so the reranker also sees how much of the question's
// characters an article holds and its longest verbatim run.

const HAN = /\p{Script=Han}/u;

/** The question's Chinese text alone (punctuation, digits and Latin letters dropped). */
export function hanOnly(text: string): string {
  let out = "";
  for (const ch of text) if (HAN.test(ch)) out += ch;
  return out;
}

/** Distinct pairs of adjacent Chinese characters in `han` (the output of hanOnly). */
export function hanBigrams(han: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i + 1 < han.length; i++) out.add(han.slice(i, i + 2));
  return [...out];
}

/** Share of `bigrams` that occur in `text` (0 when there are none). */
export function bigramShare(bigrams: string[], text: string): number {
  if (bigrams.length === 0) return 0;
  let held = 0;
  for (const b of bigrams) if (text.includes(b)) held++;
  return held / bigrams.length;
}

/**
 * Length of the longest run of `han` that occurs verbatim in `text`, as a share of `han`'s
 * length. Dynamic programming over one row; `row` is scratch space of at least text.length + 1.
 */
export function longestRunShare(han: string, text: string, row: Uint16Array): number {
  if (han.length === 0) return 0;
  const m = Math.min(text.length, row.length - 1);
  row.fill(0, 0, m + 1);
  let best = 0;
  for (let i = 0; i < han.length; i++) {
    const c = han.charCodeAt(i);
    // Walk right to left so row[j - 1] still holds the previous character's run.
    for (let j = m; j >= 1; j--) {
      if (text.charCodeAt(j - 1) === c) {
        const run = row[j - 1] + 1;
        row[j] = run;
        if (run > best) best = run;
      } else row[j] = 0;
    }
  }
  return best / han.length;
}
