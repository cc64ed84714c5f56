// The conversation core: every channel hands its messages here. A message is recorded
// before anything else, processed at most once per (channel, platform id), in order within
// its thread, and everything that follows from it is written in one transaction.

import type { Logger } from "pino";
import type { ChannelName, InboundMessage } from "../channel-message.ts";
import type { TopicDef } from "../pipeline/topic.ts";
import type { AnswerPipeline } from "../pipeline/types.ts";
import { ClaimLostError, type Completed, type Completion, type ConversationStore, type EscalationRow, type InboundRow, type OutboxRow } from "../store/conversation-store.ts";
import { ClaimedElsewhereError, InboundClaims } from "./claims.ts";
import { isUnaddressedEmergency, routeGroupMessage } from "./group-privacy.ts";
import { Hook, type Listener } from "./hooks.ts";
import { asDuplicate, isFinished, outcomeOf, type Job, type Outcome, type OwnedMessageEvent, type RatingEvent, type Receipt, type Ticket } from "./outcome.ts";
import { PeopleDesk } from "./people.ts";
import { MessagePlanner } from "./plan.ts";
import type { ChannelProfile } from "./profile.ts";
import { SlidingWindowLimiter, type RateVerdict, type SenderLimiter } from "./rate-limit.ts";
import { CONTEXT_RESET_NOTE, coreResult } from "./replies.ts";
import { KeyedSerialQueue } from "./serial.ts";

export { ClaimedElsewhereError } from "./claims.ts";
export type { Outcome, OwnedMessageEvent, RatingEvent, Receipt, Ticket } from "./outcome.ts";

/** What the core is built over: the store, the pipeline, the channels' profiles and its limits. */
export interface ConversationCoreOptions {
  store: ConversationStore;
  pipeline: AnswerPipeline;
  log: Logger;
  rateLimitPerMinute?: number;
  /** Counts senders' messages instead of the in-memory window (shared across processes). */
  senderLimiter?: SenderLimiter;
  now?: () => Date;
  /** The channels that exist, as each declares itself (format, replies within the request). */
  channels: readonly ChannelProfile[];
  /** Topics of legal questions, for the group step (which matters are personal). */
  topics?: readonly TopicDef[];
  /** A pipeline that has not answered by then is treated as failed (the thread is escalated). */
  pipelineTimeoutMs?: number;
  /** A message whose processing crashed the process this often is escalated without another try. */
  maxAttempts?: number;
  /** Reads a resident's answer to a rating request ("5", "四星 很好"); null when it is not one. */
  parseRating?: (text: string) => { stars: number; comment: string | null } | null;
  /**
   * Several processes share the store (PostgreSQL): a message another process claimed is
   * left to it for this long before it counts as abandoned. Unset (one process, SQLite):
   * any claim this process does not hold belongs to a dead process.
   */
  inboundLeaseMs?: number;
}

const messageKey = (channel: string, platformMessageId: string) => `${channel}\u0000${platformMessageId}`;
const threadQueueKey = (channel: string, threadKey: string) => `${channel}\u0000${threadKey}`;

/**
 * The one way into lawdesk for every channel: records each message before anything else, answers
 * it once and in order within its thread, and announces what followed to its listeners.
 *
 * @example
 * ```ts
 * const core = new ConversationCore({ store, pipeline, log, channels: CHANNEL_PROFILES });
 * core.onReply((row) => void dispatcher.flush(row.channel));
 * const ticket = await core.accept(message);   // recorded: the channel may acknowledge now
 * const { outcome } = await ticket.result;     // answered (or escalated)
 * ```
 */
export class ConversationCore {
  private readonly store: ConversationStore;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly inboundLeaseMs: number | undefined;
  private readonly planner: MessagePlanner;
  private readonly claims: InboundClaims;
  private readonly limiter: SenderLimiter;
  private readonly topics: readonly TopicDef[];
  private readonly threads = new KeyedSerialQueue();
  /** Messages being handled by this process, so a concurrent retry joins instead of starting over. */
  private readonly inFlight = new Map<string, Promise<Ticket>>();

  private readonly escalationHook: Hook<EscalationRow>;
  private readonly replyHook: Hook<OutboxRow>;
  private readonly ownedMessageHook: Hook<OwnedMessageEvent>;
  private readonly ratingHook: Hook<RatingEvent>;
  private readonly answeredMessageHook: Hook<OwnedMessageEvent>;
  /** What people (duty lawyers) write in a thread; what they send leaves through onReply too. */
  readonly people: PeopleDesk;

  constructor(opts: ConversationCoreOptions) {
    this.store = opts.store;
    this.log = opts.log.child({ module: "conversation" });
    this.now = opts.now ?? (() => new Date());
    this.inboundLeaseMs = opts.inboundLeaseMs;
    this.topics = opts.topics ?? [];
    this.planner = new MessagePlanner({
      pipeline: opts.pipeline,
      profiles: new Map(opts.channels.map((p) => [p.name, p])),
      pipelineTimeoutMs: opts.pipelineTimeoutMs ?? 120_000,
      maxAttempts: opts.maxAttempts ?? 3,
      parseRating: opts.parseRating ?? (() => null),
      now: this.now,
    });
    this.claims = new InboundClaims({ store: this.store, now: this.now, leaseMs: opts.inboundLeaseMs, processEarlier: (job) => this.process(job) });
    this.limiter = opts.senderLimiter ?? new SlidingWindowLimiter(opts.rateLimitPerMinute ?? 10);
    const onError = (err: unknown) => this.log.error({ err }, "conversation listener failed");
    this.escalationHook = new Hook(onError);
    this.replyHook = new Hook(onError);
    this.ownedMessageHook = new Hook(onError);
    this.ratingHook = new Hook(onError);
    this.answeredMessageHook = new Hook(onError);
    this.people = new PeopleDesk({ store: this.store, deliver: (row) => this.replyHook.emit(row), log: this.log, now: this.now });
  }

  /** A resident answered a rating request (一案一评). */
  onRating(listener: Listener<RatingEvent>): () => void {
    return this.ratingHook.on(listener);
  }

  /** A new escalation was recorded (for the referral queue). */
  onEscalation(listener: Listener<EscalationRow>): () => void {
    return this.escalationHook.on(listener);
  }

  /**
   * The delivery port: a reply was recorded (the bot's, a notice, a person's); rows with
   * status 'pending' are for the channel to deliver.
   */
  onReply(listener: Listener<OutboxRow>): () => void {
    return this.replyHook.on(listener);
  }

  /** A resident wrote in a thread a person owns (for the referral module to attach it). */
  onResidentMessageWhileOwned(listener: Listener<OwnedMessageEvent>): () => void {
    return this.ownedMessageHook.on(listener);
  }

  /**
   * The bot handled a resident's message without escalating it (answered, or stayed silent):
   * for the referral module to attach it to a referral still open on the thread.
   */
  onResidentMessageAnswered(listener: Listener<OwnedMessageEvent>): () => void {
    return this.answeredMessageHook.on(listener);
  }

  /** The answers this process is working on now, each settling once it is recorded (for shutdown). */
  answering(): Promise<unknown>[] {
    return [...this.inFlight.values()].map((ticket) => ticket.then((t) => t.result));
  }

  /** Records the message, then answers it (once) and resolves with what happened. */
  async receive(msg: InboundMessage): Promise<Receipt> {
    return (await this.accept(msg)).result;
  }

  /**
   * Resolves as soon as the message is durably recorded — the moment a channel may
   * acknowledge it to the platform — with the answer still to come in `result`.
   */
  accept(posted: InboundMessage): Promise<Ticket> {
    // Any group channel: a personal matter is taken out of the group before it is recorded.
    const { msg, group } = routeGroupMessage(posted, this.topics);
    const key = messageKey(msg.channel, msg.platformMessageId);
    const running = this.inFlight.get(key);
    const ticket = running ? running.then(asDuplicate) : this.admit(msg);
    if (!running) this.track(key, ticket);
    return group ? ticket.then((t) => ({ ...t, group })) : ticket;
  }

  /**
   * A group message nobody addressed to the assistant: true when it tells of danger now, so
   * the channel hands it over all the same (danger does not wait for an @-mention).
   */
  unaddressedEmergency(text: string): boolean {
    return isUnaddressedEmergency(text);
  }

  /**
   * Start-up: answers every message a previous run recorded but did not finish (a crash
   * mid-answer), in the order received. Returns how many were taken up.
   */
  async recover(): Promise<number> {
    const rows = await this.store.listUnfinishedInbound();
    const runs: Promise<unknown>[] = [];
    const lease = this.inboundLeaseMs;
    for (const inbound of rows) {
      // Another live process received or claimed it moments ago: its work, not abandoned.
      if (lease !== undefined && !this.claims.lapsed(inbound, lease)) continue;
      const key = messageKey(inbound.channel, inbound.platformMessageId);
      if (this.inFlight.has(key)) continue;
      const result = this.threads.run(threadQueueKey(inbound.channel, inbound.threadKey), () =>
        this.process({ inbound, verdict: "ok", live: false }),
      );
      this.track(key, Promise.resolve({ inboundId: inbound.id, threadId: inbound.threadId, result }));
      runs.push(
        result.catch((err: unknown) => {
          if (err instanceof ClaimedElsewhereError) return;
          this.log.error({ err, inboundId: inbound.id }, "recovery failed");
        }),
      );
    }
    await Promise.all(runs);
    if (runs.length > 0) this.log.info({ count: runs.length }, "recovered unfinished messages");
    return runs.length;
  }

  /** Clears the thread context (/reset); the history stays. False when there is no such thread. */
  reset(channel: ChannelName, threadKey: string): Promise<boolean> {
    // Queued behind the thread's messages so an answer in flight cannot restore the old context.
    return this.threads.run(threadQueueKey(channel, threadKey), async () => {
      const now = this.now();
      const thread = await this.store.resetThread(channel, threadKey, now);
      if (!thread) return false;
      await this.store.appendMessage(thread.id, { role: "system", text: CONTEXT_RESET_NOTE, meta: { event: "context_reset" } }, now);
      this.log.info({ threadId: thread.id }, "thread context reset");
      return true;
    });
  }

  /** A person's reply to a thread: recorded in history and queued for the channel. */
  replyAsPerson(threadId: number, userId: string, text: string): Promise<OutboxRow> {
    return this.people.reply(threadId, userId, { text });
  }

  // -------------------------------------------------------------------------------------

  private admit(msg: InboundMessage): Promise<Ticket> {
    const now = this.now();
    const recorded = this.store.recordInbound(msg, now).then(async ({ inbound, created }) => {
      this.log.child({ inboundId: inbound.id, threadId: inbound.threadId, channel: inbound.channel }).info({ created }, "inbound recorded");
      // Counted when recorded, not when processed: a slow pipeline must not let a flood through.
      const verdict: RateVerdict = created ? await this.countSender(msg, now) : "ok";
      return { inbound, verdict };
    });
    // The thread slot is taken now, synchronously, so arrival order is processing order.
    const result = this.threads.run(threadQueueKey(msg.channel, msg.threadKey), async (): Promise<Receipt> => {
      const { inbound, verdict } = await recorded;
      if (isFinished(inbound)) return { duplicate: true, outcome: await this.storedOutcome(inbound) };
      return this.process({ inbound, verdict, live: true });
    });
    // When recording fails the ticket rejects and nobody reads `result`: keep that quiet.
    result.catch(() => undefined);
    return recorded.then(({ inbound }) => ({ inboundId: inbound.id, threadId: inbound.threadId, result }));
  }

  /** Flood protection is best effort: a counter the database cannot update lets the message through. */
  private async countSender(msg: InboundMessage, now: Date): Promise<RateVerdict> {
    try {
      return await this.limiter.hit(`${msg.channel}\u0000${msg.senderKey}`, now.getTime());
    } catch (err) {
      this.log.warn({ err }, "flood limit unavailable; message let through");
      return "ok";
    }
  }

  /** Keeps a message in the in-flight map until its answer settles. */
  private track(key: string, ticket: Promise<Ticket>): void {
    this.inFlight.set(key, ticket);
    const release = () => {
      if (this.inFlight.get(key) === ticket) this.inFlight.delete(key);
    };
    ticket.then((t) => t.result.then(release, release), release);
  }

  private async process(job: Job): Promise<Receipt> {
    const { inbound } = job;
    const log = this.log.child({ inboundId: inbound.id, threadId: inbound.threadId, channel: inbound.channel });
    const got = await this.claims.claim(job, log);
    if (got.finished) return { duplicate: true, outcome: await this.storedOutcome(got.finished) };
    const { claimed } = got;
    const thread = await this.store.getThread(claimed.threadId);
    if (!thread) throw new Error(`thread ${claimed.threadId} of inbound ${claimed.id} not found`);
    log.debug({ text: claimed.text, attempt: claimed.attempts }, "processing");

    let plan: Completion;
    try {
      plan = await this.planner.plan({ ...job, inbound: claimed }, thread);
    } catch (err) {
      log.error({ err }, "pipeline failed; escalating");
      plan = this.planner.failurePlan(claimed, thread, err, job.live);
    }

    let done: Completed;
    try {
      done = await this.store.complete(plan, this.now());
    } catch (err) {
      if (err instanceof ClaimLostError || plan.status === "failed") throw err;
      // The answer could not be saved (too large, a constraint): still owe the resident a reply.
      log.error({ err }, "saving the answer failed; escalating");
      done = await this.store.complete(this.planner.failurePlan(claimed, thread, err, job.live), this.now());
    }

    this.announce(done, log, done.inbound.reason === "rating" ? plan.rating : undefined);
    return { duplicate: false, outcome: outcomeOf(done) };
  }

  /** Logs and tells the listeners, after the transaction committed. */
  private announce(done: Completed, log: Logger, rating?: Omit<RatingEvent, "threadId">): void {
    const result = done.inbound.result;
    log.info(
      {
        status: done.inbound.status,
        kind: result?.kind,
        intent: result?.intent,
        reason: done.inbound.reason ?? undefined,
        escalation: done.escalation ? { id: done.escalation.id, reason: done.escalation.reason, urgency: done.escalation.urgency } : undefined,
        outboxId: done.outbox?.id,
      },
      "message processed",
    );
    if (done.inbound.reason === "owned_by_person") {
      const message = done.messages.find((m) => m.role === "resident");
      if (message) this.ownedMessageHook.emit({ thread: done.thread, inbound: done.inbound, message });
    }
    if (done.inbound.reason === null && !done.escalation && done.inbound.status === "done") {
      const message = done.messages.find((m) => m.role === "resident");
      if (message) this.answeredMessageHook.emit({ thread: done.thread, inbound: done.inbound, message });
    }
    if (rating) this.ratingHook.emit({ threadId: done.thread.id, ...rating });
    if (done.escalation) this.escalationHook.emit(done.escalation);
    if (done.outbox) this.replyHook.emit(done.outbox);
  }

  private async storedOutcome(inbound: InboundRow): Promise<Outcome> {
    const [escalation, outbox] = await Promise.all([
      this.store.findEscalationByInbound(inbound.id),
      this.store.findOutboxByInbound(inbound.id),
    ]);
    return {
      inboundId: inbound.id,
      threadId: inbound.threadId,
      result: inbound.result ?? coreResult(null),
      escalationId: escalation?.id ?? null,
      outboxId: outbox?.id ?? null,
      ...(inbound.reason ? { reason: inbound.reason } : {}),
    };
  }
}
