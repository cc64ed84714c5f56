// The conversation core: every channel hands its messages here. A message is recorded
// before anything else, processed at most once per (channel, platform id), in order within
// its thread, and everything that follows from it is written in one transaction.

import type { Logger } from "pino";
import type { ChannelName, InboundMessage } from "../channel-message.ts";
import type { AnswerPipeline, PipelineResult, ReplyFormat } from "../pipeline/types.ts";
import { maskPersonalData } from "../privacy.ts";
import {
  ClaimLostError,
  type Completed,
  type Completion,
  type ConversationStore,
  type EscalationRow,
  type InboundRow,
  type InboundStatus,
  type NewThreadMessage,
  type OutboxKind,
  type OutboxRow,
  type OutcomeReason,
  type ThreadMessageRow,
  type ThreadRow,
} from "../store/conversation-store.ts";
import { contextOf, contextWithoutOwner, nextContext } from "./context.ts";
import { Hook, type Listener } from "./hooks.ts";
import { PeopleDesk } from "./people.ts";
import { UNDECLARED_FORMAT, type ChannelProfile } from "./profile.ts";
import { SlidingWindowLimiter, type RateVerdict, type SenderLimiter } from "./rate-limit.ts";
import { CONTEXT_RESET_NOTE, OWNED_NOTICE, PIPELINE_FAILED, RATE_LIMITED, RATING_THANKS, coreResult } from "./replies.ts";
import { KeyedSerialQueue } from "./serial.ts";

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

/** The message is being worked on by another process that is still within its lease. */
export class ClaimedElsewhereError extends Error {
  constructor(readonly inboundId: number) {
    super(`inbound ${inboundId} is being processed elsewhere`);
  }
}

export interface RatingEvent {
  threadId: number;
  referralId: string;
  stars: number;
  comment: string | null;
}

export interface Outcome {
  inboundId: number;
  threadId: number;
  result: PipelineResult;
  escalationId: number | null;
  outboxId: number | null;
  reason?: OutcomeReason;
}

export interface Receipt {
  /** The message was handled before: the channel must not send the reply again. */
  duplicate: boolean;
  outcome: Outcome;
}

/** A recorded message: what a channel may acknowledge to its platform. */
export interface Ticket {
  inboundId: number;
  threadId: number;
  result: Promise<Receipt>;
}

export interface OwnedMessageEvent {
  thread: ThreadRow;
  inbound: InboundRow;
  /** The resident's message as appended to the thread history. */
  message: ThreadMessageRow;
}

interface Job {
  inbound: InboundRow;
  verdict: RateVerdict;
  /** A caller is waiting for this answer (not a recovery run). */
  live: boolean;
}

const FINISHED: readonly InboundStatus[] = ["done", "failed"];

const messageKey = (channel: string, platformMessageId: string) => `${channel}\u0000${platformMessageId}`;
const threadQueueKey = (channel: string, threadKey: string) => `${channel}\u0000${threadKey}`;
const isFinished = (row: InboundRow) => FINISHED.includes(row.status);
/** How long to wait before looking again at work another process holds. */
const pause = () => new Promise((r) => setTimeout(r, 200));

export class ConversationCore {
  private readonly store: ConversationStore;
  private readonly pipeline: AnswerPipeline;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly profiles: ReadonlyMap<ChannelName, ChannelProfile>;
  private readonly pipelineTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly inboundLeaseMs: number | undefined;
  private readonly limiter: SenderLimiter;
  private readonly threads = new KeyedSerialQueue();
  /** Messages being handled by this process, so a concurrent retry joins instead of starting over. */
  private readonly inFlight = new Map<string, Promise<Ticket>>();

  private readonly escalationHook: Hook<EscalationRow>;
  private readonly replyHook: Hook<OutboxRow>;
  private readonly ownedMessageHook: Hook<OwnedMessageEvent>;
  private readonly ratingHook: Hook<RatingEvent>;
  private readonly answeredMessageHook: Hook<OwnedMessageEvent>;
  private readonly parseRating: NonNullable<ConversationCoreOptions["parseRating"]>;
  /** What people (duty lawyers) write in a thread; what they send leaves through onReply too. */
  readonly people: PeopleDesk;

  constructor(opts: ConversationCoreOptions) {
    this.store = opts.store;
    this.pipeline = opts.pipeline;
    this.log = opts.log.child({ module: "conversation" });
    this.now = opts.now ?? (() => new Date());
    this.profiles = new Map(opts.channels.map((p) => [p.name, p]));
    this.pipelineTimeoutMs = opts.pipelineTimeoutMs ?? 120_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.inboundLeaseMs = opts.inboundLeaseMs;
    this.limiter = opts.senderLimiter ?? new SlidingWindowLimiter(opts.rateLimitPerMinute ?? 10);
    const onError = (err: unknown) => this.log.error({ err }, "conversation listener failed");
    this.escalationHook = new Hook(onError);
    this.replyHook = new Hook(onError);
    this.ownedMessageHook = new Hook(onError);
    this.ratingHook = new Hook(onError);
    this.answeredMessageHook = new Hook(onError);
    this.parseRating = opts.parseRating ?? (() => null);
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

  /** Records the message, then answers it (once) and resolves with what happened. */
  async receive(msg: InboundMessage): Promise<Receipt> {
    return (await this.accept(msg)).result;
  }

  /**
   * Resolves as soon as the message is durably recorded — the moment a channel may
   * acknowledge it to the platform — with the answer still to come in `result`.
   */
  accept(msg: InboundMessage): Promise<Ticket> {
    const key = messageKey(msg.channel, msg.platformMessageId);
    const running = this.inFlight.get(key);
    if (running) return running.then(asDuplicate);
    const ticket = this.admit(msg);
    this.track(key, ticket);
    return ticket;
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
      if (lease !== undefined && !this.lapsed(inbound, lease)) continue;
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

  /** Polls a message claimed by another process until it is finished or its claim lapses. */
  private async awaitElsewhere(id: number, leaseMs: number): Promise<{ finished: InboundRow; claimed?: never } | { finished?: never; claimed: InboundRow }> {
    for (;;) {
      await pause();
      const current = await this.store.getInbound(id);
      if (!current) throw new Error(`inbound ${id} disappeared`);
      if (isFinished(current)) return { finished: current };
      const now = this.now();
      const claimed = await this.store.claimInbound(id, { now, staleBefore: new Date(now.getTime() - leaseMs) });
      if (claimed) return { claimed };
    }
  }

  /**
   * Several processes: the thread queue orders only this process's messages. An earlier
   * message of the thread may be in a peer's hands (wait for its answer) or abandoned by a
   * dead one (answer it here first), so that a follow-up is never answered before the
   * question it follows.
   */
  private async afterEarlier(inbound: InboundRow, leaseMs: number, log: Logger): Promise<void> {
    for (;;) {
      const earlier = await this.store.earlierUnfinishedInbound(inbound.threadId, inbound.id);
      if (!earlier) return;
      if (!this.lapsed(earlier, leaseMs)) {
        await pause();
        continue;
      }
      log.info({ earlierId: earlier.id }, "taking over an abandoned earlier message of the thread first");
      await this.process({ inbound: earlier, verdict: "ok", live: false }).catch((err: unknown) => {
        // A peer took it over meanwhile: the loop waits for that one instead.
        if (!(err instanceof ClaimedElsewhereError)) throw err;
      });
    }
  }

  /** No process has received or claimed the message within the lease: whoever had it is gone. */
  private lapsed(row: InboundRow, leaseMs: number): boolean {
    return Date.parse(row.claimedAt ?? row.receivedAt) <= this.now().getTime() - leaseMs;
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
    // One process per database: a claim this process does not hold belongs to a dead one.
    // With several processes (PostgreSQL) the cut-off is now - lease.
    const lease = this.inboundLeaseMs;
    if (lease !== undefined) await this.afterEarlier(inbound, lease, log);
    const now = this.now();
    const staleBefore = new Date(lease === undefined ? now.getTime() + 1 : now.getTime() - lease);
    let claimed = await this.store.claimInbound(inbound.id, { now, staleBefore });
    if (!claimed) {
      const current = await this.store.getInbound(inbound.id);
      if (current && isFinished(current)) return { duplicate: true, outcome: await this.storedOutcome(current) };
      // A platform retry that reached this process while another one works on the message:
      // wait for that answer (or for its lease to lapse, then take over) instead of failing.
      if (lease === undefined || !job.live) throw new ClaimedElsewhereError(inbound.id);
      const settled = await this.awaitElsewhere(inbound.id, lease);
      if (settled.finished) return { duplicate: true, outcome: await this.storedOutcome(settled.finished) };
      claimed = settled.claimed;
    }
    if (!claimed) throw new ClaimedElsewhereError(inbound.id);
    const thread = await this.store.getThread(claimed.threadId);
    if (!thread) throw new Error(`thread ${claimed.threadId} of inbound ${claimed.id} not found`);
    log.debug({ text: claimed.text, attempt: claimed.attempts }, "processing");

    let plan: Completion;
    try {
      plan = await this.plan({ ...job, inbound: claimed }, thread);
    } catch (err) {
      log.error({ err }, "pipeline failed; escalating");
      plan = this.failurePlan(claimed, thread, err, job.live);
    }

    let done: Completed;
    try {
      done = await this.store.complete(plan, this.now());
    } catch (err) {
      if (err instanceof ClaimLostError || plan.status === "failed") throw err;
      // The answer could not be saved (too large, a constraint): still owe the resident a reply.
      log.error({ err }, "saving the answer failed; escalating");
      done = await this.store.complete(this.failurePlan(claimed, thread, err, job.live), this.now());
    }

    this.announce(done, log, done.inbound.reason === "rating" ? plan.rating : undefined);
    return { duplicate: false, outcome: outcomeOf(done) };
  }

  /** Decides what follows from one claimed message; throws only when the pipeline fails. */
  private async plan(job: Job, thread: ThreadRow): Promise<Completion> {
    const { inbound } = job;
    const base = { inboundId: inbound.id, claim: inbound.attempts, error: null };
    const reply = (kind: OutboxKind, text: string) => ({ kind, text, sent: job.live && this.repliesInRequest(inbound) });

    if (thread.ownedBy !== null) {
      // A lawyer has the thread: the message goes to them; the resident is told once per owner.
      const tell = thread.ownerNoticeFor !== thread.ownedBy;
      return {
        ...base,
        status: "done",
        result: coreResult(tell ? OWNED_NOTICE : null),
        reason: "owned_by_person",
        context: null,
        ownerNoticeFor: tell ? thread.ownedBy : undefined,
        messages: [residentMessage(inbound, { ownedBy: thread.ownedBy }), ...(tell ? [noticeMessage(OWNED_NOTICE)] : [])],
        escalation: null,
        reply: tell ? reply("notice", OWNED_NOTICE) : null,
      };
    }

    if (job.verdict !== "ok") {
      // In a township group a "slow down" would be noise for everyone else: stay silent there.
      const tell = job.verdict === "notice" && !inbound.groupKey;
      return {
        ...base,
        status: "done",
        result: coreResult(tell ? RATE_LIMITED : null),
        reason: "rate_limited",
        context: null,
        messages: [residentMessage(inbound, { rateLimited: true }), ...(tell ? [noticeMessage(RATE_LIMITED)] : [])],
        escalation: null,
        reply: tell ? reply("notice", RATE_LIMITED) : null,
      };
    }

    if (inbound.attempts > this.maxAttempts) throw new Error(`gave up after ${inbound.attempts - 1} interrupted attempts`);

    const ctx = contextOf(thread);
    const rating = ctx.awaitingRating ? this.parseRating(inbound.text) : null;
    if (rating && ctx.awaitingRating) {
      const result = coreResult(RATING_THANKS);
      return {
        ...base,
        status: "done",
        result,
        reason: "rating",
        context: { ...contextWithoutOwner(ctx), awaitingRating: null },
        rating: { referralId: ctx.awaitingRating, stars: rating.stars, comment: rating.comment },
        messages: [residentMessage(inbound, { rating: rating.stars }), noticeMessage(RATING_THANKS)],
        escalation: null,
        reply: reply("notice", RATING_THANKS),
      };
    }
    const result = await withTimeout(
      Promise.resolve().then(() => this.pipeline.run(inbound.text, ctx, this.formatFor(inbound))),
      this.pipelineTimeoutMs,
    );
    const answered = result.kind === "reply";
    return {
      ...base,
      status: "done",
      result,
      reason: null,
      context: nextContext(ctx, inbound.text, result, this.now()),
      messages: [residentMessage(inbound), ...(answered ? [{ role: "bot" as const, text: result.text, meta: botMeta(result) }] : [])],
      escalation: result.escalation,
      reply: answered ? reply("answer", result.text) : null,
    };
  }

  /** The message's channel answers in the response to the request that brought it. */
  private repliesInRequest(inbound: InboundRow): boolean {
    return this.profiles.get(inbound.channel)?.repliesInRequest ?? false;
  }

  /** The format the channel declared; a group's own when the message was posted in a group. */
  private formatFor(inbound: InboundRow): ReplyFormat {
    const profile = this.profiles.get(inbound.channel);
    if (!profile) return UNDECLARED_FORMAT;
    return (inbound.groupKey ? profile.groupFormat : undefined) ?? profile.format;
  }

  /** The pipeline failed: apologise, point to 12348, and hand the thread to a person. */
  private failurePlan(inbound: InboundRow, thread: ThreadRow, err: unknown, live: boolean): Completion {
    const ctx = contextOf(thread);
    const error = describeError(err);
    const result: PipelineResult = {
      ...coreResult(PIPELINE_FAILED),
      escalation: {
        reason: "system_error",
        urgency: "normal",
        topic: ctx.lastTopic ?? "other",
        region: ctx.region,
        summary: `自动答复失败，请人工处理（系统错误：${error}）`,
        findings: { articles: [], guides: [] },
      },
    };
    return {
      inboundId: inbound.id,
      claim: inbound.attempts,
      status: "failed",
      result,
      reason: null,
      error,
      context: null,
      messages: [residentMessage(inbound), noticeMessage(PIPELINE_FAILED)],
      escalation: result.escalation,
      reply: { kind: "notice", text: PIPELINE_FAILED, sent: live && this.repliesInRequest(inbound) },
    };
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

function asDuplicate(t: Ticket): Ticket {
  return { ...t, result: t.result.then((r) => ({ duplicate: true, outcome: r.outcome })) };
}

function outcomeOf(done: Completed): Outcome {
  return {
    inboundId: done.inbound.id,
    threadId: done.thread.id,
    result: done.inbound.result ?? coreResult(null),
    escalationId: done.escalation?.id ?? null,
    outboxId: done.outbox?.id ?? null,
    ...(done.inbound.reason ? { reason: done.inbound.reason } : {}),
  };
}

function residentMessage(inbound: InboundRow, meta: Record<string, unknown> = {}): NewThreadMessage {
  return { role: "resident", text: inbound.text, meta };
}

function noticeMessage(text: string): NewThreadMessage {
  return { role: "bot", text, meta: { source: "core" } };
}

/** What a lawyer reading the history wants beside a bot answer. */
function botMeta(r: PipelineResult): Record<string, unknown> {
  return {
    intent: r.intent,
    topic: r.topic,
    confidence: r.confidence,
    composer: r.composer,
    guideId: r.guideId,
    citations: r.citations.map((c) => ({ articleId: c.articleId, law: c.law, article: c.article, status: c.status })),
    escalation: r.escalation ? r.escalation.reason : null,
  };
}

/** Error text for the escalation summary and the inbound row; personal data masked, bounded. */
function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return maskPersonalData(text).slice(0, 500);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pipeline did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
