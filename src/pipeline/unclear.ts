// Messages that say nothing a lawyer could act on, and messages sent again: neither should
// open a referral. Nonsense is text with no Chinese words and no pinyin (random letters,
// keyboard mash, digits and symbols only) or one character over and over; a repeat is the
// same text as the thread's previous message, sent again within a short window.

import { createHash } from "node:crypto";
import type { ThreadContext } from "./types.ts";

const HAN = /\p{Script=Han}/u;
const LETTERS = /\p{L}/u;

// Pinyin syllables, generously (initial × final, toneless, ü as v): written pinyin is a real
// question ("laoban bu gei gongzi"), keyboard mash almost never splits into syllables.
const INITIALS = ["", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "zh", "ch", "sh", "r", "z", "c", "s", "y", "w"];
const FINALS = "a o e i u v ai ei ui ao ou iu ie ue ve er an en in un vn ang eng ing ong ia ua uo iao ian iang iong uai uan van uang ueng".split(" ");
// ü written as v follows only l and n (lv, nve); elsewhere it is written u (ju, xue).
const SYLLABLES = new Set(INITIALS.flatMap((i) => FINALS.filter((f) => !f.startsWith("v") || i === "l" || i === "n").map((f) => i + f)));
const LONGEST = Math.max(...[...SYLLABLES].map((s) => s.length));

/** The syllables `word` splits into, or null when it is not pinyin. */
function pinyinSyllables(word: string): string[] | null {
  // best[i]: one split of word[0, i), or null.
  const best: (string[] | null)[] = [[]];
  for (let i = 1; i <= word.length; i++) {
    best[i] = null;
    for (let k = Math.max(0, i - LONGEST); k < i && !best[i]; k++) {
      const prev = best[k];
      if (prev && SYLLABLES.has(word.slice(k, i))) best[i] = [...prev, word.slice(k, i)];
    }
  }
  return best[word.length];
}

/** Letters-only text that reads as pinyin: every word splits into syllables, two different ones at least. */
export function isPinyin(text: string): boolean {
  const words = text.toLowerCase().match(/[a-zü]+/g) ?? [];
  if (words.length === 0) return false;
  const syllables: string[] = [];
  for (const w of words) {
    const split = pinyinSyllables(w.replace(/ü/g, "v"));
    if (!split) return false;
    syllables.push(...split);
  }
  return new Set(syllables).size >= 2;
}

/**
 * Nothing to answer or refer: no Chinese character and no pinyin (random letters, keyboard
 * mash, digits and symbols), or one character repeated ("啊啊啊啊"). Expects normalised text.
 */
export function isNonsense(text: string): boolean {
  const chars = [...text].filter((c) => LETTERS.test(c) || /\p{N}/u.test(c));
  if (chars.length === 0) return true;
  if (!chars.some((c) => HAN.test(c))) return !isPinyin(text);
  return chars.length >= 3 && new Set(chars).size === 1;
}

/** A message sent again within this long of the same one counts as a repeat. */
export const REPEAT_WINDOW_MS = 2 * 60 * 60 * 1000;

/**
 * What two sendings of "the same text" share (case, width, spaces and end punctuation aside),
 * as a digest: the thread context keeps no resident's words beyond what the purge blanks.
 */
export function repeatKey(text: string): string {
  const canonical = text
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/gu, "")
    .replace(/[\p{P}\p{S}]+$/u, "");
  return canonical ? createHash("sha256").update(canonical).digest("base64").slice(0, 22) : "";
}

/** The thread's previous message was this same text, a short while ago. */
export function isRepeat(ctx: Pick<ThreadContext, "lastMessage">, text: string, now: Date): boolean {
  const last = ctx.lastMessage;
  if (!last) return false;
  const key = repeatKey(text);
  return key.length > 0 && last.key === key && Math.abs(now.getTime() - Date.parse(last.at)) <= REPEAT_WINDOW_MS;
}
