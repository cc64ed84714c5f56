// Assembles one running lawdesk: store, knowledge, answering pipeline, conversation core,
// referral queue and outbox delivery. Channels and the HTTP server are attached on top.
// Data flows one way: channel -> conversation core -> pipeline -> reply | escalation -> referral.

import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { parse as parseYaml } from "yaml";
import type { Config } from "./config.ts";
import { OutboxDispatcher } from "./channels/dispatcher.ts";
import type { TelegramLinkList } from "./channel-admin.ts";
import { CHANNEL_MIGRATIONS } from "./channels/migrations.ts";
import { TelegramStore } from "./channels/telegram/store.ts";
import { CHANNEL_PROFILES } from "./channels/profiles.ts";
import { ConversationCore, SharedSenderLimiter, type OwnedMessageEvent } from "./conversation/index.ts";
import { openKnowledge, type KnowledgeBase } from "./knowledge/base.ts";
import { ServiceDirectory } from "./knowledge/directory.ts";
import { InFlight } from "./in-flight.ts";
import { createLogger } from "./log.ts";
import { Answerer } from "./pipeline/answer.ts";
import { createChatModel, LlmExplainer, llmSettingsFrom } from "./pipeline/llm.ts";
import { loadTopics, type TopicDef } from "./pipeline/topic.ts";
import {
  createReferralModule,
  parseRating,
  type Notifier,
  type NotifyKind,
  type Referral,
  type ReferralChangeEvent,
  type ReferralEventName,
  type ReferralModule,
  type ReplyTemplate,
} from "./referral/index.ts";
import { ConversationThreadGateway } from "./referral/thread-gateway.ts";
import type { ChannelName } from "./channel-message.ts";
import type { ConversationStore, EscalationRow } from "./store/conversation-store.ts";
import type { Bus } from "./store/bus.ts";
import type { ReferralStore } from "./store/referral-store.ts";
import { openStore } from "./store/open.ts";
import { SqlLoginAttempts, SqlRateCounter } from "./store/rate-counter.ts";
import type { DialectName, SqlDb } from "./store/sql.ts";
import type { SqliteDb } from "./store/sqlite.ts";

/**
 * Notifications fan out to whoever registered in this process (console live view, Telegram
 * lawyers' group) and, through the bus, to the same targets in the other processes.
 */
export class FanoutNotifier implements Notifier {
  private readonly targets: Notifier[] = [];
  private relay: ((userIds: string[], referral: Referral, kind: NotifyKind) => Promise<void>) | null = null;
  add(target: Notifier): void {
    this.targets.push(target);
  }
  /** Also hand every notification to `relay` (the other processes); set by createApp. */
  relayTo(relay: (userIds: string[], referral: Referral, kind: NotifyKind) => Promise<void>): void {
    this.relay = relay;
  }
  async notify(userIds: string[], referral: Referral, kind: NotifyKind): Promise<void> {
    const relayed = this.relay ? [this.relay(userIds, referral, kind)] : [];
    await Promise.allSettled([...this.notifyLocal(userIds, referral, kind), ...relayed]);
  }
  /** The targets in this process only (a notification that came from another process). */
  notifyLocal(userIds: string[], referral: Referral, kind: NotifyKind): Promise<void>[] {
    return this.targets.map((t) => t.notify(userIds, referral, kind));
  }
}

/**
 * One running lawdesk: what channels, the HTTP server and the commands are built over.
 *
 * @example
 * ```ts
 * const app = await createApp(loadConfig());
 * await app.recover();                        // finish what a crash left behind
 * const receipt = await app.core.receive(message);
 * await app.close();                          // waits for sends and referrals under way
 * ```
 */
export interface App extends ReferralModule {
  config: Config;
  log: Logger;
  /** The embedded store's handle; null when the app runs on PostgreSQL. */
  db: SqliteDb | null;
  store: DialectName;
  /** Plain queries over whichever store runs (dashboard, metrics, channel tables, purge). */
  sql: SqlDb;
  knowledge: KnowledgeBase;
  directory: ServiceDirectory;
  /** The topics of legal questions (knowledge/topics.yaml), for labels in channels and the console. */
  topics: readonly TopicDef[];
  answerer: Answerer;
  conversations: ConversationStore;
  core: ConversationCore;
  dispatcher: OutboxDispatcher;
  notifier: FanoutNotifier;
  /** Messages to and from the other processes on the same database. */
  bus: Bus;
  /** Lawyers' Telegram links as stored, listed on the channels page even while the bot is off. */
  telegramLinks: TelegramLinkList;
  /** Finishes work a crash left behind: unanswered messages, escalations without a referral. */
  recover(): Promise<{ messages: number; escalations: number; replies: number }>;
  /**
   * Stops polling the outbox, lets the work under way finish (answers being written, outbox
   * sends, referrals and ratings recorded by listeners), then closes the knowledge base and
   * the store. Work still running after `closeTimeoutMs` is cut off: an unsent reply stays
   * in the outbox and a missing referral is made by `recover()` at the next start.
   */
  close(): Promise<void>;
}

/** What a test or a command may set when it builds an app. */
export interface CreateAppOptions {
  log?: Logger;
  now?: () => Date;
  /** How long close() waits for work under way before it closes the store anyway; default 5 s. */
  closeTimeoutMs?: number;
}

/** The answering pipeline over a knowledge base, with the language model when configured. */
export async function createAnswerer(config: Config, knowledge: KnowledgeBase, directory: ServiceDirectory, log: Logger, now: () => Date = () => new Date()): Promise<Answerer> {
  const llmSettings = llmSettingsFrom(config);
  const llm = llmSettings ? new LlmExplainer(await createChatModel(llmSettings), llmSettings.timeoutMs) : null;
  if (llmSettings) log.info({ provider: llmSettings.provider, model: llmSettings.model }, "language model enabled for explanations");
  return new Answerer({
    retriever: knowledge,
    directory,
    topics: loadTopics(config.knowledgeDir),
    typos: knowledge.terms.typos,
    llm,
    log,
    maxMessageChars: config.LAWDESK_MAX_MESSAGE_CHARS,
    threshold: config.LAWDESK_ANSWER_THRESHOLD,
    now,
  });
}

/** Opens the store and the knowledge base and wires the core, the referral queue and the outbox over them. */
export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const now = opts.now ?? (() => new Date());
  const store = await openStore(config, { log, migrations: CHANNEL_MIGRATIONS });
  log.info({ store: store.kind, schema: store.pg?.schema ?? undefined }, "store opened");
  let knowledge: KnowledgeBase;
  try {
    knowledge = await openKnowledge(config, store.sqlite ? { db: store.sqlite, log } : { store: store.knowledge, log });
  } catch (err) {
    await store.close();
    throw err;
  }
  const directory = ServiceDirectory.load(config.knowledgeDir);

  const answerer = await createAnswerer(config, knowledge, directory, log, now);

  const conversations = store.conversations;
  const topics = loadTopics(config.knowledgeDir);
  const core = new ConversationCore({
    store: conversations,
    pipeline: answerer,
    channels: CHANNEL_PROFILES,
    topics,
    log,
    rateLimitPerMinute: config.LAWDESK_RATE_LIMIT_PER_MINUTE,
    // Several processes share a sender's allowance; one process counts in memory.
    senderLimiter: store.kind === "postgres" ? new SharedSenderLimiter(new SqlRateCounter(store.sql), config.LAWDESK_RATE_LIMIT_PER_MINUTE) : undefined,
    now,
    parseRating,
    inboundLeaseMs: store.kind === "postgres" ? config.LAWDESK_CLAIM_LEASE_SECONDS * 1000 : undefined,
  });

  const notifier = new FanoutNotifier();
  const referralModule = createReferralModule(
    store.referrals,
    { gateway: new ConversationThreadGateway(core.people), notifier },
    {
      clock: now,
      logger: log,
      // Failed logins per (name, address) in the database: every process shares the count.
      loginAttempts: new SqlLoginAttempts(store.sql),
      guideTitle: (id) => knowledge.allGuides().find((g) => g.id === id)?.title ?? null,
      shippedTemplates: loadShippedTemplates(config.knowledgeDir, log),
    },
  );
  const { referrals } = referralModule;

  // Work started by listeners and wake-ups; close() waits for it so nothing is cut off mid-write.
  const work = new InFlight();
  const background = (p: Promise<unknown>, what: string) => void work.track(p.catch((err) => log.warn({ err }, what)));

  const dispatcher = new OutboxDispatcher({
    store: conversations,
    log,
    now,
    onResult: (row, status, error) => {
      if (row.kind === "lawyer_reply" && status !== "failed") background(referrals.recordDelivery(String(row.id), status, error ? { error } : {}), "recording a lawyer reply's delivery failed");
    },
  });

  const refer = async (e: EscalationRow) => {
    const thread = await conversations.getThread(e.threadId);
    if (!thread) return;
    const inbound = e.inboundId !== null ? await conversations.getInbound(e.inboundId) : null;
    await referrals.createFromEscalation({
      residentText: inbound?.text,
      reason: e.reason,
      urgency: e.urgency,
      topic: e.topic,
      region: e.region,
      summary: e.summary,
      findings: e.findings,
      escalationId: String(e.id),
      threadId: String(e.threadId),
      channel: thread.channel,
      residentKey: thread.senderKey,
    });
    await conversations.markEscalation(e.id, "referred", now());
  };
  core.onEscalation((e) => void work.track(refer(e).catch((err) => log.error({ err, escalationId: e.id }, "creating the referral failed; retried at recovery"))));
  const attach = ({ thread, message }: OwnedMessageEvent) =>
    void work.track(referrals.residentMessage(String(thread.id), message.text).catch((err) => log.error({ err }, "attaching a resident message failed")));
  core.onResidentMessageWhileOwned(attach);
  // One conversation, one open referral: what the bot answers meanwhile also reaches the lawyer there.
  core.onResidentMessageAnswered(attach);
  core.onRating(({ referralId, stars, comment }) => background(referrals.rate(referralId, stars, comment), "rating not recorded"));
  sendOutboxOnReply(core, dispatcher, store.bus, background);

  relayAcrossProcesses(store.bus, store.referrals, referrals, notifier, background);
  const closeTimeoutMs = opts.closeTimeoutMs ?? 5_000;

  return {
    ...referralModule,
    config,
    log,
    db: store.sqlite,
    store: store.kind,
    sql: store.sql,
    knowledge,
    directory,
    topics,
    answerer,
    conversations,
    core,
    dispatcher,
    notifier,
    bus: store.bus,
    telegramLinks: new TelegramStore(store.sql),
    async recover() {
      const messages = await core.recover();
      const pending = await conversations.listEscalations({ status: "new" });
      for (const e of pending) await refer(e);
      const replies = await recordUnloggedReplies(conversations, referrals, now());
      return { messages, escalations: pending.length, replies };
    },
    async close() {
      dispatcher.stop();
      const finished = await work.settled(closeTimeoutMs, () => [...core.answering(), ...dispatcher.sending()]);
      if (!finished) log.warn({ timeoutMs: closeTimeoutMs, unfinished: work.size }, "closing with work still running: unsent replies stay queued, recovery finishes the rest at the next start");
      await knowledge.close();
      await store.close();
    },
  };
}

/** Starts work nobody awaits: close() waits for it, and a failure is logged as `what`. */
type Background = (work: Promise<unknown>, what: string) => void;

/**
 * The one place the outbox is sent from: every reply the core records (the bot's answers,
 * notices, lawyers' replies and rating requests) is delivered now rather than at the next
 * poll. A channel another process runs (the Telegram bot polls in one process only) is woken
 * there through the bus.
 */
function sendOutboxOnReply(core: ConversationCore, dispatcher: OutboxDispatcher, bus: Bus, background: Background): void {
  core.onReply((row) => {
    if (row.status !== "pending") return;
    if (dispatcher.handles(row.channel)) background(dispatcher.flush(row.channel), "sending the outbox failed");
    else background(bus.publish("outbox", { channel: row.channel }), "waking another process's channel failed");
  });
  bus.subscribe("outbox", (d) => {
    const channel = String(d.channel) as ChannelName;
    if (dispatcher.handles(channel)) background(dispatcher.flush(channel), "sending the outbox failed");
  });
}

/**
 * Several processes on one PostgreSQL: referral events and notifications raised here are
 * announced on the bus, and those raised elsewhere are re-published locally (after reading
 * the referral afresh), so every console server's live view and every channel hears them.
 * On SQLite the bus is silent and this costs a no-op per event.
 */
function relayAcrossProcesses(bus: Bus, referralStore: ReferralStore, referrals: ReferralModule["referrals"], notifier: FanoutNotifier, background: Background): void {
  const fromElsewhere = new WeakSet<ReferralChangeEvent>();
  referrals.events.onEvent("referral.changed", (e) => {
    if (fromElsewhere.has(e)) return;
    background(bus.publish("referral", { name: e.name, id: e.referral.id, actorId: e.actorId, at: e.at }), "announcing a referral change failed");
  });
  bus.subscribe("referral", (d) => {
    const republish = referralStore.getReferral(String(d.id)).then((referral) => {
      if (!referral) return;
      const e: ReferralChangeEvent = { name: d.name as ReferralEventName, referral, actorId: (d.actorId as string | null) ?? null, at: String(d.at) };
      fromElsewhere.add(e);
      referrals.events.publish(e);
    });
    background(republish, "reading a referral changed elsewhere failed");
  });
  notifier.relayTo((userIds, referral, kind) => bus.publish("notify", { userIds, id: referral.id, kind }));
  bus.subscribe("notify", (d) => {
    const notify = referralStore
      .getReferral(String(d.id))
      .then((referral) => referral && Promise.allSettled(notifier.notifyLocal(d.userIds as string[], referral, d.kind as NotifyKind)));
    background(notify, "a notification from elsewhere could not be delivered here");
  });
}

/**
 * Lawyers' replies in a thread's history (so queued for the resident) that their referral's
 * timeline does not show: the process died between the two writes. Only replies older than a
 * minute: a younger one may be mid-way on another process. Recent week only, to stay cheap.
 */
async function recordUnloggedReplies(conversations: ConversationStore, referrals: ReferralModule["referrals"], now: Date): Promise<number> {
  const replies = await conversations.listUnloggedLawyerReplies(new Date(now.getTime() - 7 * 86_400_000), new Date(now.getTime() - 60_000));
  let recorded = 0;
  for (const r of replies) {
    if (!r.authorId) continue;
    const reply = { referralId: r.referralId, userId: r.authorId, text: r.text, outboxId: r.outboxId, at: r.createdAt || now.toISOString() };
    if (await referrals.recordUnloggedReply(reply)) recorded++;
  }
  return recorded;
}

/** The common replies the project ships (knowledge/reply-templates.yaml): read-only, shared. */
export function loadShippedTemplates(knowledgeDir: string, log: Logger): ReplyTemplate[] {
  const file = join(knowledgeDir, "reply-templates.yaml");
  if (!existsSync(file)) return [];
  try {
    const data = parseYaml(readFileSync(file, "utf8")) as { templates?: { key?: unknown; title?: unknown; body?: unknown }[] };
    const at = statSync(file).mtime.toISOString();
    return (data.templates ?? [])
      .filter((t) => typeof t.key === "string" && typeof t.title === "string" && typeof t.body === "string")
      .map((t) => ({ id: `shipped:${t.key as string}`, ownerId: null, title: (t.title as string).trim(), body: (t.body as string).trim(), createdBy: "system", createdAt: at, updatedAt: at }));
  } catch (err) {
    log.warn({ err, file }, "shipped reply templates not read");
    return [];
  }
}
