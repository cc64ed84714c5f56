// What the learned danger scorer sees in a message: its characters (one to three at a time,
// so typos, dialect and missing punctuation still share most features with clean wording),
// the frame the rules read (now, past, what-if, hearsay, a question about the law, a joke),
// and which harms the cue lists name before any frame is applied.
import { CUES, type EmergencyKind } from "./cues.ts";
import { ABOUT_LAW, ABSTRACT_QUESTION, DANGER_SPELLINGS, FIGURES, FIRST_PERSON, HEARSAY, HYPOTHETICAL, JOKING, NOW, PAST, URGENT_NOW, WHAT_IF } from "./lexicon.ts";

/** The message with dialect and slips mapped to standard spellings, as the cues read it. */
export function spelled(text: string): string {
  let t = typeof text === "string" ? text.slice(0, 2000).toLowerCase() : "";
  for (const [re, to] of DANGER_SPELLINGS) t = t.replace(re, to);
  return t;
}

const FRAMES: Array<[string, RegExp]> = [
  ["now", NOW],
  ["urgent", URGENT_NOW],
  ["past", PAST],
  ["hypothetical", HYPOTHETICAL],
  ["whatif", WHAT_IF],
  ["hearsay", HEARSAY],
  ["law", ABOUT_LAW],
  ["abstract", ABSTRACT_QUESTION],
  ["first", FIRST_PERSON],
  ["joking", JOKING],
];

// FIGURES is global (it is used to replace); a test needs one without state.
const FIGURE_RE = new RegExp(FIGURES.source);

/** Harms the cue lists name anywhere in the text, frame ignored (a figure of speech removed). */
export function namedHarms(t: string): Set<EmergencyKind> {
  const plain = t.replace(FIGURES, "，");
  const kinds = new Set<EmergencyKind>();
  for (const cue of CUES) if (!kinds.has(cue.kind) && cue.re.test(plain)) kinds.add(cue.kind);
  return kinds;
}

/** Feature names of a spelled message (see spelled); duplicates kept out. */
export function dangerFeatures(t: string): string[] {
  const out = new Set<string>(["bias"]);
  const chars = [...t.replace(/\s+/g, " ")];
  for (let i = 0; i < chars.length; i++) {
    out.add(`c:${chars[i]}`);
    if (i + 1 < chars.length) out.add(`c:${chars[i]}${chars[i + 1]}`);
    if (i + 2 < chars.length) out.add(`c:${chars[i]}${chars[i + 1]}${chars[i + 2]}`);
  }
  for (const [name, re] of FRAMES) if (re.test(t)) out.add(`f:${name}`);
  if (FIGURE_RE.test(t)) out.add("f:figure");
  for (const k of namedHarms(t)) out.add(`k:${k}`);
  out.add(chars.length < 20 ? "len:short" : chars.length < 80 ? "len:mid" : "len:long");
  return [...out];
}
