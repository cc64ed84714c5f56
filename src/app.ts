// Assembles one running lawdesk: store, knowledge, answering pipeline, conversation core,
// referral queue and outbox delivery. Channels and the HTTP server are attached on top.
// Data flows one way: channel -> conversation core -> pipeline -> reply | escalation -> referral.

import { join } from "node:path";
import type { Logger } from "pino";
import { ConfigError, type Config } from "./config.ts";
import { OutboxDispatcher } from "./channels/dispatcher.ts";
import { ConversationCore } from "./conversation/core.ts";
import { openKnowledge, type KnowledgeBase } from "./knowledge/base.ts";
import { ServiceDirectory } from "./knowledge/directory.ts";
import { createLogger } from "./log.ts";
import { Answerer } from "./pipeline/answer.ts";
import { createChatModel, LlmExplainer, llmSettingsFrom } from "./pipeline/llm.ts";
import { loadTopics } from "./pipeline/topic.ts";
import { createReferralModule, parseRating, type Notifier, type NotifyKind, type Referral, type ReferralModule } from "./referral/index.ts";
import { ConversationThreadGateway } from "./referral/thread-gateway.ts";
import { SqliteConversationStore, type EscalationRow } from "./store/conversation-store.ts";
import { SqliteReferralStore } from "./store/referral-store.ts";
import { openSqlite, type SqliteDb } from "./store/sqlite.ts";

/** Notifications fan out to whoever registered (console live view, Telegram lawyers' group). */
export class FanoutNotifier implements Notifier {
  private readonly targets: Notifier[] = [];
  add(target: Notifier): void {
    this.targets.push(target);
  }
  async notify(userIds: string[], referral: Referral, kind: NotifyKind): Promise<void> {
    await Promise.allSettled(this.targets.map((t) => t.notify(userIds, referral, kind)));
  }
}

export interface App extends ReferralModule {
  config: Config;
  log: Logger;
  db: SqliteDb;
  knowledge: KnowledgeBase;
  directory: ServiceDirectory;
  answerer: Answerer;
  conversations: SqliteConversationStore;
  core: ConversationCore;
  dispatcher: OutboxDispatcher;
  notifier: FanoutNotifier;
  /** Finishes work a crash left behind: unanswered messages, escalations without a referral. */
  recover(): Promise<{ messages: number; escalations: number }>;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  log?: Logger;
  now?: () => Date;
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

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  if (config.DATABASE_URL) {
    // Better a clear stop than a silent fallback to a store the operator did not ask for.
    throw new ConfigError("DATABASE_URL: PostgreSQL is not wired into this version yet; unset it to use the embedded SQLite store");
  }
  const log = opts.log ?? createLogger(config.LOG_LEVEL);
  const now = opts.now ?? (() => new Date());
  const db = openSqlite(join(config.dataDir, "lawdesk.db"));
  const knowledge = await openKnowledge(config, { db, log });
  const directory = ServiceDirectory.load(config.knowledgeDir);

  const answerer = await createAnswerer(config, knowledge, directory, log, now);

  const conversations = new SqliteConversationStore(db);
  const core = new ConversationCore({
    store: conversations,
    pipeline: answerer,
    log,
    rateLimitPerMinute: config.LAWDESK_RATE_LIMIT_PER_MINUTE,
    now,
    parseRating,
  });

  const notifier = new FanoutNotifier();
  const referralModule = createReferralModule(
    new SqliteReferralStore(db),
    { gateway: new ConversationThreadGateway(conversations, now), notifier },
    { clock: now, logger: log },
  );
  const { referrals } = referralModule;

  const dispatcher = new OutboxDispatcher({
    store: conversations,
    log,
    now,
    onResult: (row, status, error) => {
      if (row.kind === "lawyer_reply" && status !== "failed") void referrals.recordDelivery(String(row.id), status, error ? { error } : {}).catch(() => {});
    },
  });

  const refer = async (e: EscalationRow) => {
    const thread = await conversations.getThread(e.threadId);
    if (!thread) return;
    await referrals.createFromEscalation({
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
  // Work started by listeners; close() waits for it so nothing is cut off mid-write.
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  core.onEscalation((e) => track(refer(e).catch((err) => log.error({ err, escalationId: e.id }, "creating the referral failed; retried at recovery"))));
  core.onResidentMessageWhileOwned(({ thread, message }) => void referrals.residentMessage(String(thread.id), message.text).catch((err) => log.error({ err }, "attaching a resident message failed")));
  core.onRating(({ referralId, stars, comment }) => void referrals.rate(referralId, stars, comment).catch((err) => log.warn({ err }, "rating not recorded")));
  core.onReply((row) => {
    if (row.status === "pending") void dispatcher.flush(row.channel);
  });
  // Lawyer replies and rating requests are queued by the referral service, outside the
  // conversation core: deliver them now instead of at the next poll.
  referrals.events.onEvent("referral.changed", (e) => {
    if (e.name === "referral.replied" || e.name === "referral.closed") void dispatcher.flush(e.referral.channel);
  });

  return {
    ...referralModule,
    config,
    log,
    db,
    knowledge,
    directory,
    answerer,
    conversations,
    core,
    dispatcher,
    notifier,
    async recover() {
      const messages = await core.recover();
      const pending = await conversations.listEscalations({ status: "new" });
      for (const e of pending) await refer(e);
      return { messages, escalations: pending.length };
    },
    async close() {
      dispatcher.stop();
      await Promise.allSettled([...pending]);
      db.close();
    },
  };
}
