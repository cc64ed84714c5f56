// Telegram message text: HTML parse mode, escaped, split at paragraph boundaries within the
// 4,096-character limit, and the inline keyboards under answers.

import { InlineKeyboard } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import type { AnswerOffer } from "../../pipeline/types.ts";
import { splitToFit } from "../../text-fit.ts";

/** Telegram counts the text after entity parsing; a margin covers UTF-16 surrogate pairs (emoji). */
const TELEGRAM_TEXT_LIMIT = 4000;

/** Escapes text for Telegram's HTML parse mode (`&`, `<`, `>`). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Splits a reply into messages (paragraph boundaries first) and renders each as HTML: every
 * character escaped, a leading 【标题】 line in bold. Tags are added after the split, so they
 * never count against the limit nor get cut in half.
 */
export function toHtmlMessages(text: string, limit = TELEGRAM_TEXT_LIMIT): string[] {
  return splitToFit(text, { maxChars: limit }).map(renderHtml);
}

function renderHtml(part: string): string {
  const m = /^(【[^】\n]{1,40}】)(.*)$/su.exec(part);
  return m ? `<b>${escapeHtml(m[1])}</b>${escapeHtml(m[2])}` : escapeHtml(part);
}

// Callback data (≤ 64 bytes). The asker's user id rides along so that in a group only they can press.
export type CallbackAction =
  | { kind: "more"; offer: AnswerOffer; askerId: number }
  | { kind: "feedback"; value: "up" | "down" | "human"; askerId: number }
  | { kind: "rate"; stars: number; askerId: number }
  | { kind: "claim"; referralId: string };

export function encodeCallback(a: CallbackAction): string {
  switch (a.kind) {
    case "more":
      return `more:${a.offer}:${a.askerId}`;
    case "feedback":
      return `fb:${a.value}:${a.askerId}`;
    case "rate":
      return `rate:${a.stars}:${a.askerId}`;
    case "claim":
      return `claim:${a.referralId}`;
  }
}

export function decodeCallback(data: string): CallbackAction | null {
  let m = /^more:(detail|statutes):(\d+)$/.exec(data);
  if (m) return { kind: "more", offer: m[1] as AnswerOffer, askerId: Number(m[2]) };
  m = /^fb:(up|down|human):(\d+)$/.exec(data);
  if (m) return { kind: "feedback", value: m[1] as "up" | "down" | "human", askerId: Number(m[2]) };
  m = /^rate:([1-5]):(\d+)$/.exec(data);
  if (m) return { kind: "rate", stars: Number(m[1]), askerId: Number(m[2]) };
  m = /^claim:([0-9a-f-]{36})$/.exec(data);
  if (m) return { kind: "claim", referralId: m[1] };
  return null;
}

/**
 * What each offer button says to the conversation core: exactly what a resident would type
 * after "回复【详细】", so the pipeline's follow-ups (paging, the statutes' text) work the same.
 */
export const OFFER_TEXT: Record<AnswerOffer, string> = { detail: "详细", statutes: "法条" };
const OFFER_LABEL: Record<AnswerOffer, string> = { detail: "📄 详细内容", statutes: "📜 法条原文" };

/** What each feedback button says to the conversation core. */
export const FEEDBACK_TEXT = { up: "有用", down: "没用", human: "转人工" } as const;

/**
 * The buttons under an answer: its offers of more on the first row (they stand in for the
 * "回复【详细】" wording the text leaves out), feedback on the second when asked for.
 */
export function answerKeyboard(askerId: number, offers: readonly AnswerOffer[], feedback: boolean): InlineKeyboard | null {
  const kb = new InlineKeyboard();
  for (const offer of offers) kb.text(OFFER_LABEL[offer], encodeCallback({ kind: "more", offer, askerId }));
  if (!feedback) return offers.length > 0 ? kb : null;
  if (offers.length > 0) kb.row();
  return kb
    .text("👍 有帮助", encodeCallback({ kind: "feedback", value: "up", askerId }))
    .text("👎 没帮助", encodeCallback({ kind: "feedback", value: "down", askerId }))
    .text("🧑‍⚖️ 转人工", encodeCallback({ kind: "feedback", value: "human", askerId }));
}

/** The keyboard once a one-time button (feedback, a rating) was pressed: only the offers of more stay, as they may be pressed again. */
export function afterOneTimePress(markup: InlineKeyboardMarkup | undefined): InlineKeyboardMarkup {
  const rows = (markup?.inline_keyboard ?? [])
    .map((row) => row.filter((b) => "callback_data" in b && decodeCallback(b.callback_data)?.kind === "more"))
    .filter((row) => row.length > 0);
  return { inline_keyboard: rows };
}

export function ratingKeyboard(askerId: number): InlineKeyboard {
  const kb = new InlineKeyboard();
  for (let stars = 1; stars <= 5; stars++) kb.text(`${stars}分`, encodeCallback({ kind: "rate", stars, askerId }));
  return kb;
}

export function claimKeyboard(referralId: string): InlineKeyboard {
  return new InlineKeyboard().text("认领", encodeCallback({ kind: "claim", referralId }));
}
