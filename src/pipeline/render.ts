// Turns an answer's parts into the text a resident reads: the phone-first layout (direct
// answer, 依据 line, next steps and where to go, how to see the rest, disclaimer), then fitted
// to the format's limit. The one place parts are joined, so every channel gets the same
// wording; a channel with buttons asks for the text without the offers of more and shows
// `offersOf` as buttons instead (the channel's profile chooses, through the core).

import { cutToFit } from "../text-fit.ts";
import type { AnswerOffer, AnswerParts, Citation, ReplyFormat } from "./types.ts";

/** The last line of every answer: general information, not advice on the resident's case. */
export const DISCLAIMER = "以上是一般性法律信息，不是针对您个案的法律意见。情况复杂的，可拨打12348或回复“转人工”找值班律师。";
/** Offers the rest of the answer. */
export const DETAIL_HINT = "回复【详细】看完整内容（材料、费用、时限等）。";
/** Offers the statutes' text where it is not folded out beside the message. */
export const STATUTE_HINT = "回复【法条】看条文原文";
/** Where the statutes' text is folded out beside the message (web chat). */
export const FOLDED_HINT = "条文原文见下方";

/** 《劳动合同法》第三十条、… : how statutes are named in a short text. */
export function statuteNames(citations: Citation[]): string {
  const names = citations.map((c) => `《${c.law}》${c.article}`);
  return names.filter((n, i) => names.indexOf(n) === i).join("、");
}

function stepsText(parts: AnswerParts): string {
  // A guide's steps are numbered; without a guide the one step is general advice.
  const steps = parts.title === null ? parts.steps : parts.steps.map((s, i) => `${i + 1}. ${s}`);
  const blocks = [`下一步怎么做：\n${steps.join("\n")}`, parts.places.length > 0 ? `去哪里办：\n${parts.places.join("\n")}` : ""];
  return blocks.filter(Boolean).join("\n");
}

/**
 * Where the offers of more go: worded in the text ("回复【详细】…", the default), or left out
 * of it because the channel shows them as buttons under the message.
 */
export type OfferLayout = "text" | "buttons";

/** What the first message offers besides itself: the rest of the answer always, the statutes' text when it cites any and they are not folded out. */
export function offersOf(parts: AnswerParts, format: ReplyFormat): AnswerOffer[] {
  const statutes = parts.citations.length > 0 && format.statutes !== "folded";
  return statutes ? ["detail", "statutes"] : ["detail"];
}

/** The first message as plain text, before fitting (phone-first.ts measures it against its budget). */
export function firstMessageText(parts: AnswerParts, format: ReplyFormat, offers: OfferLayout = "text"): string {
  const worded = offers === "text";
  const folded = format.statutes === "folded";
  const detailHint = format.hints?.detail ?? DETAIL_HINT;
  const statuteHint = format.hints?.statutes ?? STATUTE_HINT;
  const blocks: string[] = [];
  blocks.push((parts.title !== null ? `【${parts.title}】\n` : "") + parts.direct);
  if (parts.citations.length > 0) {
    const where = folded ? FOLDED_HINT : worded ? statuteHint : "";
    blocks.push(`依据：${statuteNames(parts.citations)}${where ? `（${where}）` : ""}`);
  }
  blocks.push(stepsText(parts));
  blocks.push(worded ? `${detailHint}\n${DISCLAIMER}` : DISCLAIMER);
  return blocks.filter(Boolean).join("\n\n");
}

/** The reply as the resident sees it: the lead, then the first message, within the format's limit. */
export function renderText(parts: AnswerParts, format: ReplyFormat, offers: OfferLayout = "text"): string {
  const text = cutToFit(firstMessageText(parts, format, offers), format);
  return parts.lead ? cutToFit(parts.lead + text, format) : text;
}
