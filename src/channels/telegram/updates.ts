// What arrives from Telegram, read before any handler relies on it: whether a group message
// is addressed to the bot (and its text without the mention), and whether a webhook body has
// the shape of an update.

import type { Message, MessageEntity, UserFromGetMe } from "grammy/types";

/**
 * In a group, the text when the message is for the bot (it @-mentions the bot or replies to
 * one of its messages), with the mention removed; null for everything else.
 */
export function addressedText(msg: Message, me: UserFromGetMe): string | null {
  const text = msg.text ?? "";
  const mentions = (msg.entities ?? []).filter((e: MessageEntity) => isMentionOf(e, text, me));
  const replyToBot = msg.reply_to_message?.from?.id === me.id;
  if (mentions.length === 0 && !replyToBot) return null;
  let out = text;
  // Right to left, so earlier offsets stay valid.
  for (const e of [...mentions].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + out.slice(e.offset + e.length);
  return out.trim();
}

function isMentionOf(e: MessageEntity, text: string, me: UserFromGetMe): boolean {
  if (e.type === "text_mention") return e.user.id === me.id;
  return e.type === "mention" && text.slice(e.offset, e.offset + e.length).toLowerCase() === `@${me.username}`.toLowerCase();
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const optional = (v: unknown, ok: (v: unknown) => boolean) => v === undefined || ok(v);
const isString = (v: unknown) => typeof v === "string";
const isInt = (v: unknown) => Number.isSafeInteger(v);
const isUser = (v: unknown) => isObject(v) && isInt(v.id) && optional(v.first_name, isString) && optional(v.is_bot, (b) => typeof b === "boolean");

/**
 * The parts of an update the handlers rely on, for the two kinds the bot asks for (message,
 * callback_query) and group membership changes: Bot API types, checked before use.
 */
export function looksLikeUpdate(body: unknown): boolean {
  if (!isObject(body) || !isInt(body.update_id)) return false;
  const message = (m: unknown) =>
    isObject(m) && isInt(m.message_id) && isInt(m.date) && isObject(m.chat) && isInt(m.chat.id) && isString(m.chat.type) && optional(m.from, isUser) && optional(m.text, isString) && optional(m.caption, isString);
  const callback = (q: unknown) => isObject(q) && isString(q.id) && isUser(q.from) && optional(q.data, isString) && optional(q.message, message);
  const member = (c: unknown) => isObject(c) && isObject(c.chat) && isInt(c.chat.id) && isUser(c.from);
  return optional(body.message, message) && optional(body.edited_message, message) && optional(body.callback_query, callback) && optional(body.my_chat_member, member);
}
