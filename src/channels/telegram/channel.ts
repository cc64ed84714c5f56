// Telegram through grammY: private chats and groups (a mention of the bot or a reply to it),
// /start /help /human /reset, 【详细】【法条】 and feedback buttons under answers, rating
// buttons after a referral closes, and the lawyers' group (lawyers.ts). Long polling by
// default; a webhook with a secret token when TELEGRAM_WEBHOOK_URL is set.
//
// Every resident message goes through the conversation core and every reply leaves through
// the outbox (this class is its Telegram sender): a message Telegram sees acknowledged is
// recorded, and answered even across a restart.

import { createHmac } from "node:crypto";
import { Bot, GrammyError, webhookCallback, type Context } from "grammy";
import type { InlineKeyboardMarkup } from "grammy/types";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Logger } from "pino";
import type { App } from "../../app.ts";
import type { LawyerLinkAdmin } from "../../channel-admin.ts";
import { renderAnswer, type ConversationCore } from "../../conversation/index.ts";
import type { TopicDef } from "../../pipeline/topic.ts";
import type { InboundMessage } from "../../channel-message.ts";
import { maskPersonalData } from "../../privacy.ts";
import type { ConversationStore, OutboxRow } from "../../store/conversation-store.ts";
import { PermanentDeliveryError, type ChannelSender } from "../dispatcher.ts";
import { answersInGroup, continuedGroupThread, GroupStore, PRIVATE_ORIGIN } from "../groups/index.ts";
import { afterOneTimePress, answerKeyboard, decodeCallback, FEEDBACK_TEXT, OFFER_TEXT, ratingKeyboard, toHtmlMessages } from "./format.ts";
import { LawyerDesk } from "./lawyers.ts";
import { telegramProfile } from "./profile.ts";
import { retryAfterFloodLimit, type RetryOptions } from "./retry.ts";
import { TelegramStore } from "./store.ts";
import { HELP_TEXT, NOT_TEXT_REPLY, ONLY_ASKER, RECEIVED, RESET_DONE, RESET_NOTHING, START_TEXT } from "./texts.ts";
import { chatThreadKey, groupThreadKey, parseTelegramThreadKey } from "./thread-keys.ts";
import { addressedText, looksLikeUpdate } from "./updates.ts";

const CHANNEL = "telegram" as const;

export type TelegramChannelApp = Pick<App, "config" | "log" | "sql" | "core" | "dispatcher" | "conversations" | "directory" | "topics" | "referrals" | "auth" | "notifier">;

/** What the Telegram channel is built over: the app's parts it uses; the bot, lawyers' group and webhook default to the settings. */
export interface TelegramChannelOptions {
  app: TelegramChannelApp;
  /** Default: built from TELEGRAM_BOT_TOKEN and TELEGRAM_API_ROOT. */
  bot?: Bot;
  /** Default TELEGRAM_LAWYERS_CHAT_ID; unset → no lawyers' group. */
  lawyersChatId?: string | null;
  /** Default TELEGRAM_WEBHOOK_URL (+ TELEGRAM_WEBHOOK_SECRET); unset → long polling. */
  webhook?: { url: string; secret: string } | null;
  retry?: RetryOptions;
  topics?: readonly TopicDef[];
  now?: () => Date;
}

/** True when TELEGRAM_BOT_TOKEN is set, so the Telegram channel should start. */
export function telegramEnabled(config: Pick<App["config"], "TELEGRAM_BOT_TOKEN">): boolean {
  return !!config.TELEGRAM_BOT_TOKEN;
}

/** The webhook secret: the setting, else derived from the bot token (stable across restarts). */
export function webhookSecret(config: Pick<App["config"], "TELEGRAM_BOT_TOKEN" | "TELEGRAM_WEBHOOK_SECRET">): string {
  if (config.TELEGRAM_WEBHOOK_SECRET) return config.TELEGRAM_WEBHOOK_SECRET;
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error("TELEGRAM_BOT_TOKEN: required");
  return createHmac("sha256", "lawdesk-telegram-webhook").update(config.TELEGRAM_BOT_TOKEN).digest("hex");
}

/**
 * The Telegram bot (grammY): residents' private and group chats go to the core, the outbox is
 * delivered through it, and the lawyers' group claims and answers referrals.
 *
 * @example
 * ```ts
 * const telegram = new TelegramChannel({ app });
 * await telegram.start();   // polling or webhook; registers itself as the outbox sender for "telegram"
 * await telegram.stop();
 * ```
 */
export class TelegramChannel implements ChannelSender, LawyerLinkAdmin {
  readonly channel = CHANNEL;
  readonly bot: Bot;
  readonly store: TelegramStore;
  /** The lawyers' group desk; null when TELEGRAM_LAWYERS_CHAT_ID is unset. */
  readonly lawyers: LawyerDesk | null;
  private readonly core: ConversationCore;
  private readonly conversations: ConversationStore;
  private readonly groups: GroupStore;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly webhook: { url: string; secret: string } | null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly unsubscribe: (() => void)[] = [];
  private polling: Promise<void> | null = null;
  private started = false;
  private notifierAdded = false;

  constructor(private readonly o: TelegramChannelOptions) {
    const { app } = o;
    const config = app.config;
    this.core = app.core;
    this.conversations = app.conversations;
    this.groups = new GroupStore(app.sql);
    this.store = new TelegramStore(app.sql);
    this.log = app.log.child({ module: "telegram" });
    this.now = o.now ?? (() => new Date());
    this.bot = o.bot ?? newBot(config);
    this.webhook = o.webhook !== undefined ? o.webhook : config.TELEGRAM_WEBHOOK_URL ? { url: config.TELEGRAM_WEBHOOK_URL, secret: webhookSecret(config) } : null;
    this.bot.api.config.use(
      retryAfterFloodLimit({
        onRetry: ({ method, retryAfter, attempt }) => this.log.warn({ method, retryAfter, attempt }, "Telegram flood limit; waiting"),
        ...o.retry,
      }),
    );
    const lawyersChatId = o.lawyersChatId !== undefined ? o.lawyersChatId : (config.TELEGRAM_LAWYERS_CHAT_ID ?? null);
    this.lawyers = lawyersChatId
      ? new LawyerDesk({
          api: this.bot.api,
          chatId: lawyersChatId,
          store: this.store,
          referrals: app.referrals,
          auth: app.auth,
          directory: app.directory,
          topics: o.topics ?? app.topics,
          log: this.log,
          now: this.now,
        })
      : null;
    this.install();
  }

  /** Registers the outbox sender and the lawyers' notifier, then starts polling or sets the webhook. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { app } = this.o;
    app.dispatcher.register(this);
    // FanoutNotifier has no removal: add the desk once per process, however often start() runs.
    if (this.lawyers && !this.notifierAdded) {
      app.notifier.add(this.lawyers);
      this.notifierAdded = true;
    }
    // The lawyers' group follows the queue (posts, claims); replies to residents leave through the core's outbox.
    const desk = this.lawyers;
    if (desk) this.unsubscribe.push(app.referrals.events.onEvent("referral.changed", (e) => this.track(desk.onReferralChanged(e))));
    await this.bot.init();
    if (this.webhook) {
      await this.bot.api.setWebhook(this.webhook.url, { secret_token: this.webhook.secret, allowed_updates: ["message", "callback_query"] });
      this.log.info({ url: this.webhook.url }, "Telegram webhook set");
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.polling = this.bot.start({ allowed_updates: ["message", "callback_query"], onStart: () => resolve() }).catch((err: unknown) => {
        this.log.error({ err }, "Telegram polling stopped");
        reject(err);
      });
    });
    this.log.info({ bot: this.bot.botInfo.username }, "Telegram long polling started");
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    if (this.polling) {
      // stop() confirms the last update offset with one more call; an unreachable API must not fail shutdown.
      await this.bot.stop().catch((err: unknown) => this.log.warn({ err }, "stopping Telegram polling"));
      await this.polling.catch(() => undefined);
      this.polling = null;
    }
    await this.idle();
    this.started = false;
  }

  /** For the HTTP server in webhook mode: `fastify.post(channel.webhookPath, channel.webhookHandler())`. */
  webhookHandler() {
    if (!this.webhook) throw new Error("TELEGRAM_WEBHOOK_URL is not set: the bot uses long polling");
    const secret = this.webhook.secret;
    const handle = webhookCallback(this.bot, "fastify", { secretToken: secret });
    return async (request: FastifyRequest, reply: FastifyReply) => {
      // grammY refuses a wrong secret (401). With the right one, a body that is not a well-formed
      // update (null, an array, no numeric update_id, a message without its chat) is a clear
      // 400 rather than a crash in the handlers, which would answer 500 and have Telegram
      // resend it; Telegram itself never sends one.
      if (request.headers["x-telegram-bot-api-secret-token"] === secret && !looksLikeUpdate(request.body)) {
        return reply.code(400).send({ error: "不是有效的 Telegram 更新", code: "bad_update" });
      }
      return handle(request, reply);
    };
  }

  get webhookPath(): string | null {
    return this.webhook ? new URL(this.webhook.url).pathname : null;
  }

  /** A one-time code the console shows a lawyer, to send as "/link CODE" to the bot. */
  createLinkCode(userId: string): Promise<{ code: string; expiresAt: Date }> {
    return this.requireDesk().createLinkCode(userId);
  }

  /** An administrator sets a lawyer's Telegram user id directly. */
  linkByAdmin(adminId: string, userId: string, telegramUserId: number): Promise<void> {
    return this.requireDesk().linkByAdmin(adminId, userId, telegramUserId);
  }

  unlink(userId: string): Promise<boolean> {
    return this.store.unlink(userId);
  }

  /** Resolves once every update handler and answer started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private requireDesk(): LawyerDesk {
    if (!this.lawyers) throw new Error("TELEGRAM_LAWYERS_CHAT_ID is not set");
    return this.lawyers;
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.log.error({ err }, "telegram handler failed"));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  // ------------------------------------------------------------------ updates

  private install(): void {
    const bot = this.bot;
    bot.catch((e) => this.log.error({ err: e.error, updateId: e.ctx.update.update_id }, "telegram update failed"));

    // The lawyers' group is a workplace, not a resident chat: only the desk handles it.
    const lawyers = this.lawyers;
    if (lawyers) {
      const desk = bot.filter((ctx) => ctx.chat !== undefined && String(ctx.chat.id) === lawyers.chatId);
      desk.on("callback_query:data", async (ctx) => {
        const action = decodeCallback(ctx.callbackQuery.data);
        if (action?.kind === "claim") await lawyers.claim(ctx, action.referralId);
        else await ctx.answerCallbackQuery();
      });
      desk.on("message", (ctx) => lawyers.message(ctx));
    }

    bot.command("start", (ctx) => ctx.reply(START_TEXT));
    bot.command("help", (ctx) => ctx.reply(HELP_TEXT));
    bot.command("human", (ctx) => this.fromResident(ctx, "转人工"));
    bot.command("reset", async (ctx) => {
      if (!ctx.from) return;
      const done = await this.core.reset(CHANNEL, threadKeyOf(ctx.chat, ctx.from.id));
      await ctx.reply(done ? RESET_DONE : RESET_NOTHING);
    });
    bot.command("link", async (ctx) => {
      if (ctx.chat.type !== "private") return;
      if (!this.lawyers) return void (await ctx.reply("本机器人没有开通律师功能。"));
      await this.lawyers.link(ctx, ctx.match);
    });

    bot.on("callback_query:data", (ctx) => this.onButton(ctx));

    bot.on("message:text", async (ctx) => {
      if (ctx.chat.type === "private") return this.fromResident(ctx, ctx.msg.text);
      const addressed = addressedText(ctx.msg, ctx.me);
      if (addressed !== null) await this.fromResident(ctx, addressed);
      // Danger does not wait for a mention (seen when the bot may read the group's messages).
      else if (this.core.unaddressedEmergency(ctx.msg.text)) await this.fromResident(ctx, ctx.msg.text);
    });
    // Voice and pictures: say what works, in private chats only (never noise in a group).
    bot.on(["message:voice", "message:photo"], async (ctx) => {
      if (ctx.chat.type === "private") await ctx.reply(NOT_TEXT_REPLY);
    });
  }

  /** A resident's words (typed, a command or a button) into the conversation core. */
  private async fromResident(ctx: Context, text: string, platformMessageId?: string): Promise<void> {
    const chat = ctx.chat;
    const from = ctx.from;
    if (!chat || !from || from.is_bot) return;
    const body = text.trim();
    if (!body) return;
    const messageId = platformMessageId ?? `${chat.id}:${ctx.msg?.message_id ?? ctx.update.update_id}`;
    // A button press happens now; ctx.msg is then the (older) message the button sits under.
    const receivedAt = !platformMessageId && ctx.msg?.date ? new Date(ctx.msg.date * 1000) : this.now();
    const group = chat.type !== "private";
    // A group member's case may continue in their private chat (a lawyer holds it, or it awaits a rating).
    const continued = group ? null : await continuedGroupThread(this.groups, this.conversations, CHANNEL, String(from.id), body);
    const msg: InboundMessage = continued
      ? { channel: CHANNEL, threadKey: continued.threadKey, senderKey: String(from.id), groupKey: continued.groupKey, region: continued.region, text: body, platformMessageId: PRIVATE_ORIGIN + messageId, receivedAt }
      : { channel: CHANNEL, threadKey: threadKeyOf(chat, from.id), senderKey: String(from.id), groupKey: group ? String(chat.id) : null, region: null, text: body, platformMessageId: messageId, receivedAt };
    // Wait only until the message is recorded (what makes it safe to acknowledge to Telegram);
    // the answer follows through the outbox.
    const ticket = await this.core.accept(msg);
    this.track(ticket.result);
  }

  private async onButton(ctx: Context): Promise<void> {
    const data = ctx.callbackQuery?.data;
    const action = data ? decodeCallback(data) : null;
    if (!action || action.kind === "claim" || !ctx.from) return void (await ctx.answerCallbackQuery());
    if (action.askerId !== ctx.from.id) return void (await ctx.answerCallbackQuery({ text: ONLY_ASKER }));
    const id = `cb:${ctx.callbackQuery!.id}`;
    if (action.kind === "more") {
      // The same words a resident would type, so paging and the statutes' text work as typed;
      // the buttons stay (the next page, or the other offer, is one more press).
      await ctx.answerCallbackQuery();
      return this.fromResident(ctx, OFFER_TEXT[action.offer], id);
    }
    await ctx.answerCallbackQuery({ text: RECEIVED });
    // Feedback and ratings count once: those buttons go once used.
    await ctx.editMessageReplyMarkup({ reply_markup: afterOneTimePress(ctx.callbackQuery?.message?.reply_markup) }).catch(() => undefined);
    const text = action.kind === "feedback" ? FEEDBACK_TEXT[action.value] : String(action.stars);
    await this.fromResident(ctx, text, id);
  }

  // ------------------------------------------------------------------ delivery (outbox)

  async send(row: OutboxRow): Promise<void> {
    const thread = parseTelegramThreadKey(row.threadKey);
    if (!thread) throw new PermanentDeliveryError(`not a Telegram thread key: ${row.threadKey}`);
    const inGroup = thread.kind === "group" && (await answersInGroup(this.conversations, row));
    const askerId = thread.kind === "group" ? thread.userId : thread.chatId;
    // Anything for one member alone (a lawyer's reply, a notice) goes to their private chat.
    const chatId = inGroup || thread.kind === "chat" ? thread.chatId : thread.userId;
    if (thread.kind === "group" && !inGroup) await this.groups.setPrivateRoute(CHANNEL, String(thread.userId), row.threadKey, this.now());

    const parts = toHtmlMessages(inGroup ? maskPersonalData(row.text) : row.text);
    const keyboard = await this.keyboardFor(row, askerId);
    const replyTo = inGroup ? await this.groupMessageId(row) : null;
    try {
      for (const [i, part] of parts.entries()) {
        await this.bot.api.sendMessage(chatId, part, {
          parse_mode: "HTML",
          ...(i === parts.length - 1 && keyboard ? { reply_markup: keyboard } : {}),
          ...(i === 0 && replyTo ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
        });
      }
    } catch (err) {
      // 403: blocked, or a group member who never opened a private chat with the bot (the lawyer calls back instead).
      if (err instanceof GrammyError && (err.error_code === 403 || (err.error_code === 400 && /chat not found/i.test(err.description)))) {
        throw new PermanentDeliveryError(err.description);
      }
      throw err;
    }
  }

  /**
   * Under an answer in parts, its offers of more (the text left them out for these buttons)
   * and feedback when it is a real answer; rating buttons under a rating request.
   */
  private async keyboardFor(row: OutboxRow, askerId: number): Promise<InlineKeyboardMarkup | null> {
    if (row.kind === "answer" && row.inboundId !== null) {
      const result = (await this.conversations.getInbound(row.inboundId))?.result;
      if (!result) return null;
      // The stored parts rendered again by the profile that wrote the text: the same buttons.
      const offers = result.parts ? renderAnswer(telegramProfile, result.parts, telegramProfile.format).buttons : [];
      const answered = (result.intent === "legal_question" || result.intent === "follow_up") && !result.escalation && result.citations.length + (result.guideId ? 1 : 0) > 0;
      return answerKeyboard(askerId, offers, answered);
    }
    if (row.kind === "notice") {
      const thread = await this.conversations.getThread(row.threadId);
      if (thread?.context.awaitingRating) return ratingKeyboard(askerId);
    }
    return null;
  }

  private async groupMessageId(row: OutboxRow): Promise<number | null> {
    const inbound = row.inboundId !== null ? await this.conversations.getInbound(row.inboundId) : undefined;
    const m = inbound ? /:(\d+)$/.exec(inbound.platformMessageId) : null;
    return m ? Number(m[1]) : null;
  }
}

function newBot(config: App["config"]): Bot {
  if (!config.TELEGRAM_BOT_TOKEN) throw new Error("TELEGRAM_BOT_TOKEN: required to start the Telegram channel");
  return new Bot(config.TELEGRAM_BOT_TOKEN, config.TELEGRAM_API_ROOT ? { client: { apiRoot: config.TELEGRAM_API_ROOT } } : {});
}

function threadKeyOf(chat: { id: number; type: string }, userId: number): string {
  return chat.type === "private" ? chatThreadKey(chat.id) : groupThreadKey(chat.id, userId);
}
