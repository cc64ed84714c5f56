// The lawyers' side on Telegram: every new referral is posted to the lawyers' group with a
// 认领 button; a lawyer linked to a console account claims there (the referral service lets
// exactly one claim win, console or Telegram) and answers the resident by replying to the
// post. "/close 处理结果" as a reply closes the referral.
//
// Linking: the console shows a one-time code (createLinkCode); the lawyer sends
// "/link 12345678" to the bot in a private chat. An administrator may also set the
// Telegram user id directly (linkByAdmin).

import type { Api, Context } from "grammy";
import type { Logger } from "pino";
import type { ServiceDirectory } from "../../knowledge/directory.ts";
import type { TopicDef } from "../../pipeline/topic.ts";
import { maskPersonalData } from "../../privacy.ts";
import type { AuthService } from "../../referral/auth.ts";
import type { ReferralChangeEvent } from "../../referral/events.ts";
import type { Notifier } from "../../referral/ports.ts";
import type { ReferralService } from "../../referral/service.ts";
import { toShanghai } from "../../referral/time.ts";
import { ForbiddenError, ReferralError, ValidationError, type NotifyKind, type Referral } from "../../referral/types.ts";
import { claimKeyboard, escapeHtml } from "./format.ts";
import type { TelegramStore } from "./store.ts";

/** Notifications that mean "this referral is waiting for someone to claim it". */
const POST_KINDS = new Set<NotifyKind>(["assigned", "queued", "emergency", "returned_to_pool", "reopened"]);
const LINK_CODE_TTL_MS = 10 * 60_000;
const URGENCY_LABEL: Record<Referral["urgency"], string> = { normal: "一般", urgent: "加急", emergency: "🚨 紧急" };
const CLOSE_COMMAND = /^\/close(?:@\w+)?(?:\s+([\s\S]*))?$/;

export interface LawyerDeskOptions {
  api: Api;
  chatId: string;
  store: TelegramStore;
  referrals: ReferralService;
  auth: AuthService;
  directory: ServiceDirectory;
  topics: readonly TopicDef[];
  log: Logger;
  now: () => Date;
}

/**
 * The lawyers' side on Telegram: posts new referrals to the lawyers' group with a claim button,
 * takes claims and replies there, and links Telegram accounts to console users.
 */
export class LawyerDesk implements Notifier {
  constructor(private readonly o: LawyerDeskOptions) {}

  get chatId(): string {
    return this.o.chatId;
  }

  // ---------------------------------------------------------------- posting (Notifier)

  /** Called by the referral service (through app.notifier) for every notification. */
  async notify(_userIds: string[], referral: Referral, kind: NotifyKind): Promise<void> {
    if (!POST_KINDS.has(kind) || referral.ownerId !== null) return;
    try {
      const text = await this.postText(referral, kind);
      const sent = await this.o.api.sendMessage(this.o.chatId, text, { parse_mode: "HTML", reply_markup: claimKeyboard(referral.id) });
      await this.o.store.recordPost(this.o.chatId, sent.message_id, referral.id, this.o.now());
    } catch (err) {
      // The fan-out notifier only settles its targets: say here what went wrong.
      this.o.log.error({ err, referral: referral.number }, "posting a referral to the lawyers' group failed");
      throw err;
    }
  }

  private async postText(r: Referral, kind: NotifyKind): Promise<string> {
    const topic = this.o.topics.find((t) => t.id === r.topic)?.label || r.topic;
    const region = r.region ? (this.o.directory.regions.get(r.region)?.name ?? r.region) : "未知";
    const assignee = r.assignedTo ? ((await this.o.auth.getUser(r.assignedTo))?.name ?? null) : null;
    const due = toShanghai(new Date(r.responseDue));
    const dueText = `${due.date.slice(5)} ${String(Math.floor(due.minutes / 60)).padStart(2, "0")}:${String(due.minutes % 60).padStart(2, "0")}`;
    // The lawyers' group is wider than the person the referral is routed to: no ID or phone numbers here.
    const summary = maskPersonalData(r.summary).slice(0, 200);
    const head = kind === "reopened" ? "🔁 工单重新打开" : kind === "returned_to_pool" ? "↩️ 工单退回待认领" : "🆕 新工单";
    return [
      `<b>${head} ${escapeHtml(r.number)}</b>（${URGENCY_LABEL[r.urgency]}）`,
      `话题：${escapeHtml(topic)}　地区：${escapeHtml(region)}`,
      `摘要：${escapeHtml(summary)}`,
      `答复期限：${dueText}${assignee ? `　派给：${escapeHtml(assignee)}` : "　待督导分派"}`,
      "点【认领】后直接回复本条消息即可答复居民；回复“/close 处理结果”办结。",
    ].join("\n");
  }

  /** Keeps the posts honest when the referral is claimed elsewhere (the console). */
  async onReferralChanged(e: ReferralChangeEvent): Promise<void> {
    if (e.name !== "referral.claimed" && e.name !== "referral.closed") return;
    for (const messageId of await this.o.store.postsFor(e.referral.id, this.o.chatId)) {
      const owner = e.referral.ownerId ? ((await this.o.auth.getUser(e.referral.ownerId))?.name ?? "律师") : null;
      const note = e.name === "referral.closed" ? `☑️ 工单 ${e.referral.number} 已办结` : `✅ 工单 ${e.referral.number} 已由${owner}认领`;
      // Only the button goes; the text edit is best effort (the post may be too old to edit).
      await this.o.api.editMessageReplyMarkup(this.o.chatId, messageId, { reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
      await this.o.api.sendMessage(this.o.chatId, escapeHtml(note), { parse_mode: "HTML", reply_parameters: { message_id: messageId, allow_sending_without_reply: true } }).catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------- acting from the group

  /** The 认领 button. */
  async claim(ctx: Context, referralId: string): Promise<void> {
    const userId = await this.linkedUser(ctx);
    if (!userId) return void (await ctx.answerCallbackQuery({ text: "请先私聊我发送“/link 绑定码”（绑定码在管理台生成），绑定值班账号后再认领。", show_alert: true }));
    try {
      const r = await this.o.referrals.claim(referralId, userId);
      await ctx.answerCallbackQuery({ text: `认领成功：工单 ${r.number}。直接回复这条消息即可答复居民。` });
      this.o.log.info({ referral: r.number, userId }, "referral claimed from Telegram");
    } catch (err) {
      // ConflictError: someone else won the race (the message names them); ForbiddenError: not theirs to see.
      await ctx.answerCallbackQuery({ text: errorText(err, "认领失败"), show_alert: true });
      if (!(err instanceof ReferralError)) throw err;
    }
  }

  /** A message in the lawyers' group: only replies to a referral post mean anything. */
  async message(ctx: Context): Promise<void> {
    const msg = ctx.msg;
    const replyTo = msg?.reply_to_message;
    const text = msg?.text?.trim();
    if (!msg || !replyTo || !text) return;
    const referralId = await this.o.store.referralForPost(this.o.chatId, replyTo.message_id);
    if (!referralId) return;
    const answer = (t: string) => ctx.reply(escapeHtml(t), { parse_mode: "HTML", reply_parameters: { message_id: msg.message_id, allow_sending_without_reply: true } });
    const userId = await this.linkedUser(ctx);
    if (!userId) return void (await answer("您的 Telegram 账号还没有绑定值班账号：请私聊我发送“/link 绑定码”。"));
    try {
      const close = CLOSE_COMMAND.exec(text);
      if (close) {
        const r = await this.o.referrals.close(referralId, userId, close[1]?.trim() || "");
        await answer(`工单 ${r.number} 已办结，已请居民评价。`);
      } else if (text.startsWith("/")) {
        await answer("回复本条消息的文字会发给居民；办结请回复“/close 处理结果”。");
      } else {
        const { referral } = await this.o.referrals.reply(referralId, userId, text);
        await answer(`已发送给居民（工单 ${referral.number}）。`);
      }
    } catch (err) {
      await answer(errorText(err, "操作失败"));
      if (!(err instanceof ReferralError)) throw err;
    }
  }

  private async linkedUser(ctx: Context): Promise<string | null> {
    return ctx.from ? this.o.store.userFor(ctx.from.id) : null;
  }

  // ---------------------------------------------------------------- linking accounts

  /** `/link CODE` in a private chat. */
  async link(ctx: Context, code: string): Promise<void> {
    if (!ctx.from) return;
    const userId = /^\d{8}$/.test(code.trim()) ? await this.o.store.useCode(code, this.o.now()) : null;
    if (!userId) return void (await ctx.reply("绑定码无效或已过期，请在管理台重新生成。"));
    const user = await this.o.auth.getUser(userId);
    if (!user || !user.active || user.role === "admin") return void (await ctx.reply("该值班账号不可用，请联系管理员。"));
    await this.o.store.link(ctx.from.id, userId, userId, this.o.now());
    this.o.log.info({ userId }, "Telegram account linked");
    await ctx.reply(`已绑定值班账号：${user.name}。新工单会发到律师群，点【认领】即可接单。`);
  }

  /** A one-time code for the console to show the user (valid 10 minutes). */
  async createLinkCode(userId: string): Promise<{ code: string; expiresAt: Date }> {
    const user = await this.o.auth.getUser(userId);
    if (!user || !user.active) throw new ForbiddenError("账号不可用");
    return this.o.store.createCode(userId, this.o.now(), LINK_CODE_TTL_MS);
  }

  /** An administrator sets the Telegram user id of a lawyer directly. */
  async linkByAdmin(adminId: string, userId: string, telegramUserId: number): Promise<void> {
    const admin = await this.o.auth.getUser(adminId);
    if (!admin || !admin.active || admin.role !== "admin") throw new ForbiddenError("仅管理员可绑定 Telegram 账号");
    const user = await this.o.auth.getUser(userId);
    if (!user || !user.active || user.role === "admin") throw new ValidationError("值班账号不存在或已停用");
    if (!Number.isSafeInteger(telegramUserId) || telegramUserId <= 0) throw new ValidationError("Telegram 用户 ID 应为正整数");
    await this.o.store.link(telegramUserId, userId, adminId, this.o.now());
  }

  unlink(userId: string): Promise<boolean> {
    return this.o.store.unlink(userId);
  }
}

function errorText(err: unknown, fallback: string): string {
  return err instanceof ReferralError ? err.message : fallback;
}
