// Reading a resident's answer to the rating request: "5", "５", "五星", "5分 很满意".
// Returns null when the message is not a rating, so the conversation core treats it as a
// normal message.

const CHINESE_DIGITS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 };

/**
 * Reads a resident's answer to a rating request; null when the text is not one.
 *
 * @example
 * ```ts
 * parseRating("５分，很满意");   // { stars: 5, comment: "很满意" }
 * parseRating("四星");           // { stars: 4, comment: null }
 * parseRating("3个月没发工资了"); // null: a new question, not a rating
 * ```
 */
export function parseRating(text: string): { stars: number; comment: string | null } | null {
  // Only the digit and separator are read loosely (full-width ５, ，): the comment is kept as
  // written, full-width punctuation included.
  const t = text.trim();
  const m = /^([1-5\uFF11-\uFF15]|[一二两三四五])[\s\u3000]*(?:星|分|颗星)?[\s\u3000]*[,，。.!！、:：]?[\s\u3000]*(.*)$/su.exec(t);
  if (!m) return null;
  const digit = m[1].normalize("NFKC");
  const stars = /\d/.test(digit) ? Number(digit) : CHINESE_DIGITS[digit];
  // A longer message starting with a digit ("3个月没发工资") is a question, not a rating.
  const rest = m[2].trim();
  if (rest && /^[个月天年号万元块岁次]/.test(rest)) return null;
  return { stars, comment: rest || null };
}
