// Character-level matching between a question and an article's text. Word-level coverage
// depends on how the tokenizer cut both sides: 离婚后 in a question and 离婚 in an article, or
// a legal phrase jieba splits differently in a long sentence, never meet as tokens. Chinese
// character pairs do, so the reranker also sees how many of the question's pairs an article
// and its law's title hold.

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
