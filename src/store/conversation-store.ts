// Persistence of conversations: inbound messages, threads and their history, escalations
// and the outbox of replies. The interface and what it takes; the rows it returns are typed
// by their mappers (conversation-rows.ts); the one implementation, for SQLite and PostgreSQL
// alike, is SqlConversationStore (conversation-sql.ts).

import type { ChannelName, InboundMessage } from "../channel-message.ts";
import type { EscalationRequest, PipelineResult } from "../pipeline/types.ts";
import type { EscalationRow, InboundRow, MessageRole, OutboxKind, OutboxRow, OutboxStatus, OutcomeReason, StoredContext, ThreadMessageRow, ThreadRow, UnloggedReply } from "./conversation-rows.ts";

export type * from "./conversation-rows.ts";

export interface NewThreadMessage {
  role: MessageRole;
  text: string;
  inboundId?: number | null;
  authorId?: string | null;
  meta?: Record<string, unknown>;
}

export interface NewOutbox {
  threadId: number;
  kind: OutboxKind;
  text: string;
  inboundId?: number | null;
  /** Already delivered (a channel that answers in the same request): recorded as sent. */
  sent?: boolean;
}

/** Everything that follows from processing one inbound message, written in one transaction. */
export interface Completion {
  inboundId: number;
  /** The attempts value returned by claimInbound: a completion from a lost claim is refused. */
  claim: number;
  status: "done" | "failed";
  result: PipelineResult;
  reason: OutcomeReason | null;
  error: string | null;
  /** The new thread context; null leaves it unchanged. */
  context: StoredContext | null;
  /** Record that the resident was told about this owner. */
  ownerNoticeFor?: string;
  /** History rows, appended in order and linked to the inbound message. */
  messages: NewThreadMessage[];
  escalation: EscalationRequest | null;
  reply: { kind: OutboxKind; text: string; sent: boolean } | null;
  /** The resident's rating, passed on to the referral queue after the commit. */
  rating?: { referralId: string; stars: number; comment: string | null };
}

export interface Completed {
  inbound: InboundRow;
  thread: ThreadRow;
  messages: ThreadMessageRow[];
  escalation: EscalationRow | null;
  outbox: OutboxRow | null;
}

export interface ClaimOptions {
  now: Date;
  /** A 'processing' claim older than this is taken to belong to a dead worker. */
  staleBefore: Date;
}

export interface LawyerReplyOptions {
  outboxText?: string;
  meta?: Record<string, unknown>;
}

export interface ConversationStore {
  /** Records a message (and its thread) unless (channel, platformMessageId) is known already. */
  recordInbound(msg: InboundMessage, now: Date): Promise<{ inbound: InboundRow; created: boolean }>;
  getInbound(id: number): Promise<InboundRow | undefined>;
  /** Takes a message for processing: 'received', or 'processing' with a stale claim. Increments attempts. */
  claimInbound(id: number, opts: ClaimOptions): Promise<InboundRow | undefined>;
  /** Messages not yet finished ('received' or 'processing'), in the order they were received. */
  listUnfinishedInbound(): Promise<InboundRow[]>;
  /** The oldest unfinished message of a thread received before message `beforeId`, if any. */
  earlierUnfinishedInbound(threadId: number, beforeId: number): Promise<InboundRow | undefined>;
  /** Writes result, context, history, escalation, outbox row and the final status atomically. */
  complete(c: Completion, now: Date): Promise<Completed>;

  getThread(id: number): Promise<ThreadRow | undefined>;
  findThread(channel: ChannelName, threadKey: string): Promise<ThreadRow | undefined>;
  /** Empties the context (history is kept); undefined when there is no such thread. */
  resetThread(channel: ChannelName, threadKey: string, now: Date): Promise<ThreadRow | undefined>;
  /** Gives the thread to a person (user id) or back to the bot (null). */
  assignThread(threadId: number, ownerId: string | null, now: Date): Promise<void>;
  /** Marks the thread as waiting for the resident's rating of a referral (null clears it). */
  setAwaitingRating(threadId: number, referralId: string | null, now: Date): Promise<void>;

  appendMessage(threadId: number, msg: NewThreadMessage, now: Date): Promise<ThreadMessageRow>;
  listMessages(threadId: number): Promise<ThreadMessageRow[]>;
  /**
   * A person's reply: the history row and the outbox row in one transaction. `outboxText`
   * (default `text`) is what the channel delivers; the history row's meta records `outboxId`.
   */
  addLawyerReply(threadId: number, authorId: string, text: string, now: Date, opts?: LawyerReplyOptions): Promise<{ message: ThreadMessageRow; outbox: OutboxRow }>;

  getEscalation(id: number): Promise<EscalationRow | undefined>;
  findEscalationByInbound(inboundId: number): Promise<EscalationRow | undefined>;
  listEscalations(filter?: { status?: string; threadId?: number }): Promise<EscalationRow[]>;
  markEscalation(id: number, status: string, now: Date): Promise<void>;

  enqueueOutbox(row: NewOutbox, now: Date): Promise<OutboxRow>;
  getOutbox(id: number): Promise<OutboxRow | undefined>;
  findOutboxByInbound(inboundId: number): Promise<OutboxRow | undefined>;
  listOutbox(filter?: { threadId?: number; status?: OutboxStatus }): Promise<OutboxRow[]>;
  /** Takes up to `limit` due rows (pending, or failed for a retry) for a channel, oldest first. */
  claimOutbox(channel: ChannelName, opts: { now: Date; leaseMs: number; limit?: number }): Promise<OutboxRow[]>;
  markOutboxSent(id: number, now: Date): Promise<void>;
  /**
   * The answer is about to leave in a passive reply: recorded as sent that way, and
   * committed, before the reply is written. False when the row was not due any more.
   */
  markOutboxPassive(id: number, now: Date): Promise<boolean>;
  /** The passive reply could not be written (the connection closed first): the row is due again. */
  unmarkOutboxPassive(id: number): Promise<void>;
  /** A delivery attempt failed; the row is due again once its claim lease runs out. */
  markOutboxFailed(id: number, error: string): Promise<void>;
  /** Given up for good (e.g. WeChat's 48-hour window has closed): a person must follow up. */
  markOutboxUndelivered(id: number, error: string): Promise<void>;
  /**
   * Replaces with `blank` the residents' words in threads quiet since `cutoff` whose referrals
   * were all closed before it (see privacy-purge.ts); audits the purge; returns how many threads.
   */
  purgeQuietThreads(cutoff: string, at: string, blank: string): Promise<number>;
  /**
   * Lawyers' replies written between `after` and `before` (history rows whose meta names a
   * referral and an outbox row) that no referral event records: see app.ts recovery.
   */
  listUnloggedLawyerReplies(after: Date, before: Date): Promise<UnloggedReply[]>;
  /** Running totals for the metrics: messages by channel and intent (the core's reason, else the pipeline's). */
  countMessages(): Promise<{ channel: string; intent: string; n: number }[]>;
  countEscalations(): Promise<{ reason: string; urgency: string; n: number }[]>;
}

export { ClaimLostError, EMPTY_STORED_CONTEXT, toEscalation, toInbound, toMessage, toOutbox, toThread } from "./conversation-rows.ts";
export { SqlConversationStore } from "./conversation-sql.ts";
