// Township WeChat groups and private chats through Wechaty. Every resident message goes
// through the conversation core; every reply (answers included) goes out through the
// outbox, so a crash between answering and sending loses nothing.
//
// In a group the assistant speaks only when addressed (an @-mention or a trigger word such
// as "问："). Personal matters get general words in the group and the real answer in a
// private chat. Anything for one member alone (a lawyer's reply, a rating request, a notice)
// goes to that member's private chat, never to the group.

import type { Logger } from "pino";
import QRCode from "qrcode";
import { ScanStatus, types, type Wechaty } from "wechaty";
import type { Contact, Friendship, Message, Room } from "wechaty";
import type { App } from "../../app.ts";
import type { GroupBotAdmin, GroupBotStatus, LoginQr } from "../../channel-admin.ts";
import type { ConversationCore, Ticket } from "../../conversation/index.ts";
import type { TopicDef } from "../../pipeline/topic.ts";
import type { InboundMessage } from "../../channel-message.ts";
import type { ConversationStore, OutboxRow } from "../../store/conversation-store.ts";
import { PermanentDeliveryError, type ChannelSender } from "../dispatcher.ts";
import { GroupRegionMap } from "./group-regions.ts";
import {
  addressing,
  answersInGroup,
  continuedGroupThread,
  forGroup,
  GroupStore,
  PRIVATE_ORIGIN,
  privateInvitation,
  type GroupNeedRow,
  type GroupRow,
} from "../groups/index.ts";
import { BOT_JOINED_TEXT, EMPTY_MENTION_TEXT, MEMBER_WELCOME_TEXT, NOT_TEXT_REPLY } from "./texts.ts";
import { wechatyProfile } from "./profile.ts";
import { splitToFit } from "../../text-fit.ts";
import { dmThreadKey, parseThreadKey, roomThreadKey } from "./thread-keys.ts";

const CHANNEL = "wechaty" as const;
const DEFAULT_TRIGGERS = ["问:", "问：", "法律咨询"];
/** Several members joining together get one welcome, not one each. */
const WELCOME_INTERVAL_MS = 60_000;
const MAX_MESSAGE_AGE_S = 10 * 60;

/** A group's questions on one topic, with the region and topic names the console shows. */
export interface GroupNeed extends GroupNeedRow {
  regionName: string | null;
  topicLabel: string;
}

/** The parts of the app the channel uses. */
export type WechatyChannelApp = Pick<App, "config" | "log" | "sql" | "core" | "dispatcher" | "conversations" | "directory" | "topics" | "referrals">;

/** What the WeChat group channel is built over: a bot and the app's parts it uses. */
export interface WechatyChannelOptions {
  /** A bot from createWechatyBot(config), or one built on wechaty-puppet-mock in tests. */
  bot: Wechaty;
  app: WechatyChannelApp;
  /** Group → region mapping; default from settings (WECHATY_GROUP_REGIONS or knowledge/groups.yaml). */
  regions?: GroupRegionMap;
  /** Default WECHATY_GROUP_TRIGGERS. */
  triggers?: readonly string[];
  topics?: readonly TopicDef[];
  /** Where the login QR is drawn; null draws nothing. Default stderr. */
  qrOutput?: NodeJS.WritableStream | null;
  /** Accept friend requests, so members can be answered privately (default true). */
  acceptFriendRequests?: boolean;
  now?: () => Date;
}

const SCAN_STATUS: Record<number, LoginQr["status"]> = {
  [ScanStatus.Waiting]: "waiting",
  [ScanStatus.Scanned]: "scanned",
  [ScanStatus.Confirmed]: "confirmed",
  [ScanStatus.Timeout]: "timeout",
  [ScanStatus.Cancel]: "cancel",
};

/**
 * The township WeChat groups (Wechaty): addressed group messages and private chats go to the core,
 * personal matters move to a private chat, and the outbox is delivered through it.
 *
 * @example
 * ```ts
 * const wechaty = new WechatyChannel({ bot: createWechatyBot(app.config), app });
 * await wechaty.start();
 * wechaty.currentQr();   // the login QR the console shows until the account is signed in
 * ```
 */
export class WechatyChannel implements ChannelSender, GroupBotAdmin {
  readonly channel = CHANNEL;
  readonly groups: GroupStore;
  private readonly bot: Wechaty;
  private readonly core: ConversationCore;
  private readonly conversations: ConversationStore;
  private readonly log: Logger;
  private readonly regions: GroupRegionMap;
  private readonly triggers: readonly string[];
  private readonly topics: readonly TopicDef[];
  private readonly now: () => Date;
  private qr: LoginQr | null = null;
  private readonly lastWelcome = new Map<string, number>();
  /** Handlers still running, so tests and shutdown can wait for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly unsubscribe: (() => void)[] = [];
  private started = false;

  constructor(private readonly o: WechatyChannelOptions) {
    const { app } = o;
    this.bot = o.bot;
    this.core = app.core;
    this.conversations = app.conversations;
    this.log = app.log.child({ module: "wechaty" });
    this.groups = new GroupStore(app.sql);
    this.regions = o.regions ?? GroupRegionMap.fromConfig(app.config, app.directory);
    this.triggers = o.triggers ?? app.config.WECHATY_GROUP_TRIGGERS ?? DEFAULT_TRIGGERS;
    this.topics = o.topics ?? app.topics;
    this.now = o.now ?? (() => new Date());
    for (const r of this.regions.rejected) this.log.warn({ group: r.key, region: r.region }, "group mapped to a region the directory does not know; ignored");
  }

  /** Registers the outbox sender, binds the events and starts the bot (login follows asynchronously). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.o.app.dispatcher.register(this);
    this.bind();
    await this.bot.start();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.idle();
    if (this.started) await this.bot.stop();
    this.started = false;
  }

  /** The login QR while an administrator must scan it; null once logged in. */
  currentQr(): LoginQr | null {
    return this.qr;
  }

  async status(): Promise<GroupBotStatus> {
    const loggedIn = this.bot.isLoggedIn;
    const groups = (await this.groups.listGroups(CHANNEL)).filter((g) => g.active).length;
    return { loggedIn, account: loggedIn ? this.bot.currentUser.name() : null, groups };
  }

  listGroups(): Promise<GroupRow[]> {
    return this.groups.listGroups(CHANNEL);
  }

  /** An administrator maps a group to a region from the console; it outranks the configured mapping. */
  async setGroupRegion(roomId: string, region: string | null): Promise<GroupRow | null> {
    if (region !== null && !this.o.app.directory.regions.has(region)) throw new Error(`unknown region: ${region}`);
    return this.groups.setRegion(CHANNEL, roomId, region, this.now());
  }

  /** Legal questions per group and topic over [from, to), for the console (townships collect villages' needs). */
  async groupNeeds(range: { from: Date; to: Date }): Promise<GroupNeed[]> {
    const labels = new Map(this.topics.map((t) => [t.id, t.label]));
    return (await this.groups.groupNeeds(CHANNEL, range)).map((r) => ({
      ...r,
      regionName: r.region ? (this.o.app.directory.regions.get(r.region)?.name ?? null) : null,
      topicLabel: labels.get(r.topic) || r.topic,
    }));
  }

  /** Resolves once every message handler started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ------------------------------------------------------------------ events

  private bind(): void {
    const bot = this.bot;
    bot.on("scan", (qrcode, status) => this.onScan(qrcode, status));
    bot.on("login", (user) => this.track(this.onLogin(user)));
    bot.on("logout", (user) => this.log.warn({ account: user.name() }, "WeChat account logged out; scan the QR code again"));
    bot.on("message", (msg) => this.track(this.onMessage(msg)));
    bot.on("room-join", (room, invitees, inviter) => this.track(this.onRoomJoin(room, invitees, inviter)));
    bot.on("room-leave", (room, leavers) => this.track(this.onRoomLeave(room, leavers)));
    bot.on("room-topic", (room, topic, oldTopic) => this.track(this.onRoomTopic(room, topic, oldTopic)));
    bot.on("friendship", (f) => this.track(this.onFriendship(f)));
    // Puppets report transient trouble as 'error'; without a listener Node would throw.
    bot.on("error", (err) => this.log.warn({ err: String(err).slice(0, 300) }, "wechaty reported an error"));
  }

  private track(work: Promise<unknown>): void {
    const p = work.catch((err: unknown) => this.log.error({ err }, "wechaty handler failed"));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private onScan(qrcode: string, status: ScanStatus): void {
    const s = SCAN_STATUS[status] ?? "unknown";
    this.qr = { qrcode, imageUrl: `https://wechaty.js.org/qrcode/${encodeURIComponent(qrcode)}`, status: s, at: this.now().toISOString() };
    this.log.info({ status: s }, "WeChat login: scan the QR code (terminal or console)");
    const out = this.o.qrOutput === undefined ? process.stderr : this.o.qrOutput;
    // The terminal renderer calls back at once: the code is drawn before onScan returns.
    if (out && (s === "waiting" || s === "timeout")) QRCode.toString(qrcode, { type: "terminal", small: true }, (err, art) => void (err ? this.log.warn({ err }, "could not draw the login QR") : out.write(`${art}\n`)));
  }

  private async onLogin(user: Contact): Promise<void> {
    this.qr = null;
    this.log.info({ account: user.name() }, "WeChat account logged in");
    await this.syncRooms();
    await this.o.app.dispatcher.flush(CHANNEL);
  }

  /** Groups the account already sits in (joined before this process ran): recorded with their region. */
  private async syncRooms(): Promise<void> {
    try {
      for (const room of await this.bot.Room.findAll()) await this.groupOf(room, { refresh: true });
    } catch (err) {
      this.log.warn({ err }, "listing the account's groups failed");
    }
  }

  private async onMessage(msg: Message): Promise<void> {
    // Some puppets replay recent history after login: old messages were seen (or missed) by a previous run.
    if (msg.self() || msg.age() > MAX_MESSAGE_AGE_S) return;
    const room = msg.room();
    const talker = msg.talker();
    if (msg.type() !== types.Message.Text) {
      // Voice and pictures are common from older residents: say once what works, privately only.
      const t = msg.type();
      if (!room && (t === types.Message.Audio || t === types.Message.Image)) await talker.say(NOT_TEXT_REPLY);
      return;
    }
    const text = msg.text();
    if (room) await this.onRoomMessage(msg, room, talker, text);
    else await this.onPrivateMessage(msg.id, talker.id, text, msg.date());
  }

  private async onPrivateMessage(messageId: string, contactId: string, text: string, at: Date): Promise<void> {
    // A member whose group case continues privately (a lawyer has it, or it awaits a rating) writes into that case.
    const routed = await continuedGroupThread(this.groups, this.conversations, CHANNEL, contactId, text);
    const msg: InboundMessage = routed
      ? { channel: CHANNEL, threadKey: routed.threadKey, senderKey: contactId, groupKey: routed.groupKey, region: routed.region, text, platformMessageId: PRIVATE_ORIGIN + messageId, receivedAt: at }
      : { channel: CHANNEL, threadKey: dmThreadKey(contactId), senderKey: contactId, groupKey: null, region: null, text, platformMessageId: messageId, receivedAt: at };
    await this.submit(msg);
  }

  private async onRoomMessage(msg: Message, room: Room, talker: Contact, text: string): Promise<void> {
    const mentioned = await msg.mentionSelf();
    const addressed = addressing(text, { mentioned, mentionText: mentioned ? await msg.mentionText() : text, triggers: this.triggers });
    // Chatter is never answered, except a call for help: danger does not wait for an @-mention.
    const a = addressed.addressed || !this.core.unaddressedEmergency(text) ? addressed : { ...addressed, addressed: true };
    if (!a.addressed) return;
    const group = await this.groupOf(room);
    if (!a.text) {
      await room.say(EMPTY_MENTION_TEXT, talker);
      return;
    }
    // The core decides whether the matter is too personal for the group (then it is answered
    // in the member's private thread, with the group's region so a referral still reaches the
    // local lawyer); the group gets general words instead.
    const ticket = await this.accept({
      channel: CHANNEL,
      threadKey: roomThreadKey(room.id, talker.id),
      privateThreadKey: dmThreadKey(talker.id),
      groupKey: room.id,
      senderKey: talker.id,
      region: group.region,
      text: a.text,
      platformMessageId: msg.id,
      receivedAt: msg.date(),
    });
    const assessed = ticket?.group?.assessment;
    if (assessed?.legalQuestion) {
      // Statistics only: a failed write is logged, the resident is still answered.
      await this.groups
        .recordQuestion({
          channel: CHANNEL,
          groupKey: room.id,
          groupName: group.name,
          region: group.region,
          topic: assessed.topic,
          sensitive: assessed.sensitive,
          platformMessageId: msg.id,
          askedAt: msg.date(),
        })
        .catch((err: unknown) => this.log.error({ err, groupKey: room.id }, "recording a group question failed"));
    }
    const receipt = ticket ? await this.answered(ticket) : null;
    if (!assessed || !ticket?.group?.movedToPrivate) return;
    this.log.info({ groupKey: room.id, topic: assessed.topic, reasons: assessed.reasons }, "personal matter moved to a private chat");
    if (receipt && !receipt.duplicate) await room.say(forGroup(privateInvitation(assessed)), talker);
  }

  /** Hands a message to the core; the reply leaves through the outbox. */
  private async submit(msg: InboundMessage): Promise<{ duplicate: boolean } | null> {
    const ticket = await this.accept(msg);
    return ticket ? this.answered(ticket) : null;
  }

  /** Records the message in the core; null (logged) when it could not be recorded. */
  private async accept(msg: InboundMessage): Promise<Ticket | null> {
    try {
      return await this.core.accept(msg);
    } catch (err) {
      this.log.error({ err, threadKey: msg.threadKey }, "recording a WeChat message failed");
      return null;
    }
  }

  /** Waits for the answer to be recorded (it leaves through the outbox); null when answering failed. */
  private answered(ticket: Ticket): Promise<{ duplicate: boolean } | null> {
    return ticket.result.catch((err: unknown) => {
      this.log.error({ err, inboundId: ticket.inboundId }, "answering a WeChat message failed");
      return null;
    });
  }

  private async onRoomJoin(room: Room, invitees: Contact[], _inviter: Contact): Promise<void> {
    const selfId = this.bot.isLoggedIn ? this.bot.currentUser.id : null;
    const now = this.now();
    if (selfId && invitees.some((c) => c.id === selfId)) {
      const g = await this.groupOf(room, { refresh: true, joined: true });
      this.log.info({ groupKey: room.id, region: g.region }, "added to a WeChat group");
      if (!g.region) this.log.warn({ groupKey: room.id }, "group has no region: map it in WECHATY_GROUP_REGIONS or the console");
      await room.say(BOT_JOINED_TEXT);
    }
    await this.groupOf(room);
    let fresh = 0;
    for (const c of invitees) if (c.id !== selfId && (await this.groups.markWelcomed(CHANNEL, room.id, c.id, now))) fresh++;
    if (fresh === 0) return;
    const last = this.lastWelcome.get(room.id) ?? 0;
    if (now.getTime() - last < WELCOME_INTERVAL_MS) return;
    this.lastWelcome.set(room.id, now.getTime());
    await room.say(MEMBER_WELCOME_TEXT);
  }

  private async onRoomLeave(room: Room, leavers: Contact[]): Promise<void> {
    const selfId = this.bot.isLoggedIn ? this.bot.currentUser.id : null;
    if (!selfId || !leavers.some((c) => c.id === selfId)) return;
    await this.groups.markLeft(CHANNEL, room.id, this.now());
    this.log.warn({ groupKey: room.id }, "removed from a WeChat group");
  }

  private async onRoomTopic(room: Room, topic: string, oldTopic: string): Promise<void> {
    const before = await this.groups.getGroup(CHANNEL, room.id);
    const g = await this.groups.upsertGroup({ channel: CHANNEL, groupKey: room.id, name: topic, region: this.regions.resolve(room.id, topic) }, this.now());
    this.log.info({ groupKey: room.id, oldTopic, topic, region: g.region, regionBefore: before?.region ?? null }, "group renamed");
  }

  private async onFriendship(f: Friendship): Promise<void> {
    if (this.o.acceptFriendRequests === false || f.type() !== types.Friendship.Receive) return;
    await f.accept();
    this.log.info("friend request accepted");
    // Answers that could not reach the new friend before are due again.
    await this.o.app.dispatcher.flush(CHANNEL);
  }

  /** The stored group, recorded (with its mapped region) the first time it is seen. */
  private async groupOf(room: Room, opts: { refresh?: boolean; joined?: boolean } = {}): Promise<GroupRow> {
    const known = await this.groups.getGroup(CHANNEL, room.id);
    if (known?.active && !opts.refresh) return known;
    const topic = await room.topic().catch(() => known?.name ?? "");
    return this.groups.upsertGroup(
      { channel: CHANNEL, groupKey: room.id, name: topic, region: this.regions.resolve(room.id, topic), joined: opts.joined },
      this.now(),
    );
  }

  // ------------------------------------------------------------------ delivery (outbox)

  async send(row: OutboxRow): Promise<void> {
    if (!this.bot.isLoggedIn) throw new Error("WeChat account not logged in");
    const thread = parseThreadKey(row.threadKey);
    if (!thread) throw new PermanentDeliveryError(`not a WeChat thread key: ${row.threadKey}`);
    if (thread.kind === "room" && (await answersInGroup(this.conversations, row))) {
      const group = await this.groups.getGroup(CHANNEL, thread.roomId);
      const room = group?.active === false ? undefined : await this.bot.Room.find({ id: thread.roomId });
      if (room) {
        const member = await this.bot.Contact.find({ id: thread.contactId });
        // Worded for the group already (the profile's group format: "@我并回复…").
        const groupParts = splitToFit(forGroup(row.text), wechatyProfile.format);
        for (const [i, part] of groupParts.entries()) await room.say(part, ...(i === 0 && member ? [member] : []));
        return;
      }
      this.log.warn({ groupKey: thread.roomId, outboxId: row.id }, "group unavailable; answering the member privately");
    }

    const contact = await this.bot.Contact.find({ id: thread.contactId });
    if (!contact) throw new PermanentDeliveryError("contact not found (not a friend of the account?)");
    // The member's case continues in the private chat: their next private messages may belong to it.
    if (thread.kind === "room") await this.groups.setPrivateRoute(CHANNEL, thread.contactId, row.threadKey, this.now());
    for (const part of splitToFit(row.text, wechatyProfile.format)) await contact.say(part);
  }
}
