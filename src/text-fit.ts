// Fitting text into a message size: a platform's limit in characters or UTF-8 bytes. Shared
// by the pipeline (an answer's first message fits the format it was asked for) and the
// channels (a long reply is sent as several messages). Cuts never split a character.

/** A size limit; either or both may be set. */
export interface TextLimits {
  maxBytes?: number;
  maxChars?: number;
}

export function fits(text: string, limits: TextLimits): boolean {
  if (limits.maxChars !== undefined && [...text].length > limits.maxChars) return false;
  if (limits.maxBytes !== undefined && Buffer.byteLength(text, "utf8") > limits.maxBytes) return false;
  return true;
}

/** Cuts by code points so no character is split, until the text (with "……") fits. */
export function cutToFit(text: string, limits: TextLimits): string {
  if (fits(text, limits)) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(chars.slice(0, mid).join("") + "……", limits)) lo = mid;
    else hi = mid - 1;
  }
  return chars.slice(0, lo).join("") + "……";
}

/** Splits a long text into pieces that fit, at paragraph boundaries (a paragraph too long alone is cut). */
export function splitToFit(text: string, limits: TextLimits): string[] {
  const parts: string[] = [];
  let current = "";
  for (const para of text.split(/\n\n/)) {
    const joined = current ? `${current}\n\n${para}` : para;
    if (fits(joined, limits)) {
      current = joined;
      continue;
    }
    if (current) parts.push(current);
    current = fits(para, limits) ? para : cutToFit(para, limits);
  }
  if (current) parts.push(current);
  return parts;
}
