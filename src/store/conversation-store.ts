// Persistence of conversations: inbound messages, threads and their history, escalations
// and the outbox of replies. Async interface so a PostgreSQL implementation can stand
// beside the SQLite one (claims are status + claimed_at leases, ready for SKIP LOCKED).

import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import type {
  ChannelName,
  EscalationReason,
  EscalationRequest,
  InboundMessage,
  PipelineResult,
  ThreadContext,
  Urgency,
} from "../pipeline/types.ts";
import type { SqliteDb } from "./sqlite.ts";

export type InboundStatus = "received" | "processing" | "done" | "failed";
export type OutcomeReason = "rate_limited" | "owned_by_person" | "rating";
export type MessageRole = "resident" | "bot" | "lawyer" | "system";
export type OutboxKind = "answer" | "notice" | "lawyer_reply";
export type OutboxStatus = "pending" | "sent" | "failed" | "undelivered";

/** The context as stored: ownership lives in its own column, not in the JSON. */
export type StoredContext = Omit<ThreadContext, "ownedByPerson">;

export interface InboundRow {
  id: number;
  channel: ChannelName;
  platformMessageId: string;
  threadId: number;
  threadKey: string;
  senderKey: string;
  groupKey: string | null;
  region: string | null;
  text: string;
  receivedAt: string;
  status: InboundStatus;
  attempts: number;
  claimedAt: string | null;
  result: PipelineResult | null;
  reason: OutcomeReason | null;
  error: string | null;
  processedAt: string | null;
}

export interface ThreadRow {
  id: number;
  channel: ChannelName;
  threadKey: string;
  senderKey: string;
  groupKey: string | null;
  region: string | null;
  context: StoredContext;
  ownedBy: string | null;
  ownerNoticeFor: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ThreadMessageRow {
  id: number;
  threadId: number;
  role: MessageRole;
  text: string;
  createdAt: string;
  inboundId: number | null;
  authorId: string | null;
  meta: Record<string, unknown>;
}

export interface EscalationRow {
  id: number;
  threadId: number;
  inboundId: number | null;
  reason: EscalationReason;
  urgency: Urgency;
  topic: string;
  region: string | null;
  summary: string;
  findings: EscalationRequest["findings"];
  status: string;
  createdAt: string;
  updatedAt: string;
}

export interface OutboxRow {
  id: number;
  threadId: number;
  channel: ChannelName;
  threadKey: string;
  groupKey: string | null;
  inboundId: number | null;
  kind: OutboxKind;
  text: string;
  status: OutboxStatus;
  attempts: number;
  claimedAt: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
  /** Handed to a passive reply (the platform's own request) at this time; such a row is never sent another way. */
  passiveAt: string | null;
}

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

export class ClaimLostError extends Error {
  constructor(inboundId: number) {
    super(`inbound ${inboundId}: claim lost (processed elsewhere)`);
    this.name = "ClaimLostError";
  }
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
  /** A lawyer's reply: history row and outbox row in one transaction. */
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
}

// ---------------------------------------------------------------------------------------
// SQLite

const iso = (d: Date): string => d.toISOString();

// Row mappers for both stores (the PostgreSQL store imports them): see rows.ts.
export function toInbound(r: Row): InboundRow {
  return {
    id: Number(r.id),
    channel: r.channel as ChannelName,
    platformMessageId: String(r.platform_message_id),
    threadId: Number(r.thread_id),
    threadKey: String(r.thread_key),
    senderKey: String(r.sender_key),
    groupKey: read.textOrNull(r.group_key),
    region: read.textOrNull(r.region),
    text: String(r.text),
    receivedAt: read.iso(r.received_at),
    status: r.status as InboundStatus,
    attempts: Number(r.attempts),
    claimedAt: read.isoOrNull(r.claimed_at),
    result: read.json<PipelineResult | null>(r.result, null),
    reason: read.textOrNull(r.reason) as OutcomeReason | null,
    error: read.textOrNull(r.error),
    processedAt: read.isoOrNull(r.processed_at),
  };
}

export function toThread(r: Row): ThreadRow {
  return {
    id: Number(r.id),
    channel: r.channel as ChannelName,
    threadKey: String(r.thread_key),
    senderKey: String(r.sender_key),
    groupKey: read.textOrNull(r.group_key),
    region: read.textOrNull(r.region),
    context: read.json<StoredContext>(r.context, EMPTY_STORED_CONTEXT),
    ownedBy: read.textOrNull(r.owned_by),
    ownerNoticeFor: read.textOrNull(r.owner_notice_for),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

export function toMessage(r: Row): ThreadMessageRow {
  return {
    id: Number(r.id),
    threadId: Number(r.thread_id),
    role: r.role as MessageRole,
    text: String(r.text),
    createdAt: read.iso(r.created_at),
    inboundId: read.intOrNull(r.inbound_id),
    authorId: read.textOrNull(r.author_id),
    meta: read.json<Record<string, unknown>>(r.meta, {}),
  };
}

export function toEscalation(r: Row): EscalationRow {
  return {
    id: Number(r.id),
    threadId: Number(r.thread_id),
    inboundId: read.intOrNull(r.inbound_id),
    reason: r.reason as EscalationReason,
    urgency: r.urgency as Urgency,
    topic: String(r.topic),
    region: read.textOrNull(r.region),
    summary: String(r.summary),
    findings: read.json<EscalationRequest["findings"]>(r.findings, { articles: [], guides: [] }),
    status: String(r.status),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

/** Shared by both stores (placeholders are rewritten for PostgreSQL). */
export const PASSIVE_MARK = "UPDATE outbox SET status = 'sent', sent_at = ?, passive_at = ?, last_error = NULL WHERE id = ? AND status IN ('pending', 'failed')";
export const PASSIVE_UNMARK = "UPDATE outbox SET status = 'pending', sent_at = NULL, passive_at = NULL WHERE id = ? AND status = 'sent' AND passive_at IS NOT NULL";

export function toOutbox(r: Row): OutboxRow {
  return {
    id: Number(r.id),
    threadId: Number(r.thread_id),
    channel: r.channel as ChannelName,
    threadKey: String(r.thread_key),
    groupKey: read.textOrNull(r.group_key),
    inboundId: read.intOrNull(r.inbound_id),
    kind: r.kind as OutboxKind,
    text: String(r.text),
    status: r.status as OutboxStatus,
    attempts: Number(r.attempts),
    claimedAt: read.isoOrNull(r.claimed_at),
    lastError: read.textOrNull(r.last_error),
    createdAt: read.iso(r.created_at),
    sentAt: read.isoOrNull(r.sent_at),
    passiveAt: read.isoOrNull(r.passive_at),
  };
}

export const EMPTY_STORED_CONTEXT: StoredContext = {
  lastTopic: null,
  lastIntent: null,
  lastQuestion: null,
  lastFullAnswer: null,
  negativeFeedbackCount: 0,
  turns: 0,
  region: null,
  awaitingRating: null,
  lastGuideId: null,
  lastCitations: [],
  lastDetailPart: 0,
  lastMessage: null,
};

export class SqliteConversationStore implements ConversationStore {
  constructor(private readonly db: SqliteDb) {}

  async recordInbound(msg: InboundMessage, now: Date): Promise<{ inbound: InboundRow; created: boolean }> {
    return this.db.transaction(() => {
      const known = this.db
        .prepare("SELECT * FROM inbound_messages WHERE channel = ? AND platform_message_id = ?")
        .get(msg.channel, msg.platformMessageId) as Row | undefined;
      if (known) return { inbound: toInbound(known), created: false };
      const region = msg.region ?? null;
      const thread = this.db
        .prepare(
          `INSERT INTO threads (channel, thread_key, sender_key, group_key, region, context, created_at, updated_at)
           VALUES (@channel, @threadKey, @senderKey, @groupKey, @region, @context, @now, @now)
           ON CONFLICT (channel, thread_key) DO UPDATE SET region = COALESCE(excluded.region, threads.region), updated_at = excluded.updated_at
           RETURNING id`,
        )
        .get({
          channel: msg.channel,
          threadKey: msg.threadKey,
          senderKey: msg.senderKey,
          groupKey: msg.groupKey ?? null,
          region,
          context: JSON.stringify({ ...EMPTY_STORED_CONTEXT, region }),
          now: iso(now),
        }) as { id: number };
      const row = this.db
        .prepare(
          `INSERT INTO inbound_messages (channel, platform_message_id, thread_id, thread_key, sender_key, group_key, region, text, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(msg.channel, msg.platformMessageId, thread.id, msg.threadKey, msg.senderKey, msg.groupKey ?? null, region, msg.text, iso(msg.receivedAt)) as Row;
      return { inbound: toInbound(row), created: true };
    })();
  }

  async getInbound(id: number): Promise<InboundRow | undefined> {
    const r = this.db.prepare("SELECT * FROM inbound_messages WHERE id = ?").get(id) as Row | undefined;
    return r ? toInbound(r) : undefined;
  }

  async claimInbound(id: number, opts: ClaimOptions): Promise<InboundRow | undefined> {
    const r = this.db
      .prepare(
        `UPDATE inbound_messages SET status = 'processing', attempts = attempts + 1, claimed_at = ?
         WHERE id = ? AND (status = 'received' OR (status = 'processing' AND claimed_at < ?))
         RETURNING *`,
      )
      .get(iso(opts.now), id, iso(opts.staleBefore)) as Row | undefined;
    return r ? toInbound(r) : undefined;
  }

  async listUnfinishedInbound(): Promise<InboundRow[]> {
    return (this.db.prepare("SELECT * FROM inbound_messages WHERE status IN ('received', 'processing') ORDER BY id").all() as Row[]).map(
      toInbound,
    );
  }

  async earlierUnfinishedInbound(threadId: number, beforeId: number): Promise<InboundRow | undefined> {
    const r = this.db
      .prepare("SELECT * FROM inbound_messages WHERE thread_id = ? AND id < ? AND status IN ('received', 'processing') ORDER BY id LIMIT 1")
      .get(threadId, beforeId) as Row | undefined;
    return r ? toInbound(r) : undefined;
  }

  async complete(c: Completion, now: Date): Promise<Completed> {
    const at = iso(now);
    return this.db.transaction((): Completed => {
      const inbound = this.db
        .prepare(
          `UPDATE inbound_messages SET status = ?, result = ?, reason = ?, error = ?, processed_at = ?
           WHERE id = ? AND status = 'processing' AND attempts = ? RETURNING *`,
        )
        .get(c.status, JSON.stringify(c.result), c.reason, c.error, at, c.inboundId, c.claim) as Row | undefined;
      if (!inbound) throw new ClaimLostError(c.inboundId);
      const threadId = Number(inbound.thread_id);

      if (c.context) this.db.prepare("UPDATE threads SET context = ? WHERE id = ?").run(JSON.stringify(c.context), threadId);
      if (c.ownerNoticeFor !== undefined) this.db.prepare("UPDATE threads SET owner_notice_for = ? WHERE id = ?").run(c.ownerNoticeFor, threadId);
      const thread = toThread(this.db.prepare("UPDATE threads SET updated_at = ? WHERE id = ? RETURNING *").get(at, threadId) as Row);

      const messages = c.messages.map((m) => this.insertMessage(threadId, { ...m, inboundId: c.inboundId }, at));

      let escalation: EscalationRow | null = null;
      if (c.escalation) {
        const e = c.escalation;
        escalation = toEscalation(
          this.db
            .prepare(
              `INSERT INTO escalations (thread_id, inbound_id, reason, urgency, topic, region, summary, findings, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
            )
            .get(threadId, c.inboundId, e.reason, e.urgency, e.topic, e.region ?? thread.region, e.summary, JSON.stringify(e.findings), at, at) as Row,
        );
      }

      const outbox = c.reply ? this.insertOutbox(thread, { ...c.reply, threadId, inboundId: c.inboundId }, at) : null;
      return { inbound: toInbound(inbound), thread, messages, escalation, outbox };
    })();
  }

  async getThread(id: number): Promise<ThreadRow | undefined> {
    const r = this.db.prepare("SELECT * FROM threads WHERE id = ?").get(id) as Row | undefined;
    return r ? toThread(r) : undefined;
  }

  async findThread(channel: ChannelName, threadKey: string): Promise<ThreadRow | undefined> {
    const r = this.db.prepare("SELECT * FROM threads WHERE channel = ? AND thread_key = ?").get(channel, threadKey) as Row | undefined;
    return r ? toThread(r) : undefined;
  }

  async resetThread(channel: ChannelName, threadKey: string, now: Date): Promise<ThreadRow | undefined> {
    const r = this.db
      .prepare(
        `UPDATE threads SET context = json_set(?, '$.region', region), updated_at = ?
         WHERE channel = ? AND thread_key = ? RETURNING *`,
      )
      .get(JSON.stringify(EMPTY_STORED_CONTEXT), iso(now), channel, threadKey) as Row | undefined;
    return r ? toThread(r) : undefined;
  }

  async assignThread(threadId: number, ownerId: string | null, now: Date): Promise<void> {
    this.db
      .prepare("UPDATE threads SET owned_by = ?, owner_notice_for = NULL, updated_at = ? WHERE id = ?")
      .run(ownerId, iso(now), threadId);
  }

  async setAwaitingRating(threadId: number, referralId: string | null, now: Date): Promise<void> {
    this.db
      .prepare("UPDATE threads SET context = json_set(context, '$.awaitingRating', ?), updated_at = ? WHERE id = ?")
      .run(referralId, iso(now), threadId);
  }

  async appendMessage(threadId: number, msg: NewThreadMessage, now: Date): Promise<ThreadMessageRow> {
    return this.insertMessage(threadId, msg, iso(now));
  }

  async listMessages(threadId: number): Promise<ThreadMessageRow[]> {
    return (this.db.prepare("SELECT * FROM thread_messages WHERE thread_id = ? ORDER BY id").all(threadId) as Row[]).map(toMessage);
  }

  async addLawyerReply(threadId: number, authorId: string, text: string, now: Date, opts: LawyerReplyOptions = {}): Promise<{ message: ThreadMessageRow; outbox: OutboxRow }> {
    const at = iso(now);
    return this.db.transaction(() => {
      const thread = this.threadOrThrow(threadId);
      const outbox = this.insertOutbox(thread, { threadId, kind: "lawyer_reply", text: opts.outboxText ?? text }, at);
      const message = this.insertMessage(threadId, { role: "lawyer", text, authorId, meta: { ...opts.meta, outboxId: String(outbox.id) } }, at);
      return { message, outbox };
    })();
  }

  async getEscalation(id: number): Promise<EscalationRow | undefined> {
    const r = this.db.prepare("SELECT * FROM escalations WHERE id = ?").get(id) as Row | undefined;
    return r ? toEscalation(r) : undefined;
  }

  async findEscalationByInbound(inboundId: number): Promise<EscalationRow | undefined> {
    const r = this.db.prepare("SELECT * FROM escalations WHERE inbound_id = ?").get(inboundId) as Row | undefined;
    return r ? toEscalation(r) : undefined;
  }

  async listEscalations(filter: { status?: string; threadId?: number } = {}): Promise<EscalationRow[]> {
    return (
      this.db
        .prepare("SELECT * FROM escalations WHERE (@status IS NULL OR status = @status) AND (@threadId IS NULL OR thread_id = @threadId) ORDER BY id")
        .all({ status: filter.status ?? null, threadId: filter.threadId ?? null }) as Row[]
    ).map(toEscalation);
  }

  async markEscalation(id: number, status: string, now: Date): Promise<void> {
    this.db.prepare("UPDATE escalations SET status = ?, updated_at = ? WHERE id = ?").run(status, iso(now), id);
  }

  async enqueueOutbox(row: NewOutbox, now: Date): Promise<OutboxRow> {
    return this.db.transaction(() => this.insertOutbox(this.threadOrThrow(row.threadId), row, iso(now)))();
  }

  async getOutbox(id: number): Promise<OutboxRow | undefined> {
    const r = this.db.prepare("SELECT * FROM outbox WHERE id = ?").get(id) as Row | undefined;
    return r ? toOutbox(r) : undefined;
  }

  async findOutboxByInbound(inboundId: number): Promise<OutboxRow | undefined> {
    const r = this.db.prepare("SELECT * FROM outbox WHERE inbound_id = ?").get(inboundId) as Row | undefined;
    return r ? toOutbox(r) : undefined;
  }

  async listOutbox(filter: { threadId?: number; status?: OutboxStatus } = {}): Promise<OutboxRow[]> {
    return (
      this.db
        .prepare("SELECT * FROM outbox WHERE (@status IS NULL OR status = @status) AND (@threadId IS NULL OR thread_id = @threadId) ORDER BY id")
        .all({ status: filter.status ?? null, threadId: filter.threadId ?? null }) as Row[]
    ).map(toOutbox);
  }

  async claimOutbox(channel: ChannelName, opts: { now: Date; leaseMs: number; limit?: number }): Promise<OutboxRow[]> {
    const staleBefore = iso(new Date(opts.now.getTime() - opts.leaseMs));
    return (
      this.db
        .prepare(
          `UPDATE outbox SET claimed_at = ?, attempts = attempts + 1
           WHERE id IN (SELECT id FROM outbox WHERE channel = ? AND status IN ('pending', 'failed')
                          AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY id LIMIT ?)
           RETURNING *`,
        )
        .all(iso(opts.now), channel, staleBefore, opts.limit ?? 20) as Row[]
    )
      .map(toOutbox)
      .sort((a, b) => a.id - b.id);
  }

  async markOutboxSent(id: number, now: Date): Promise<void> {
    this.db.prepare("UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?").run(iso(now), id);
  }

  async markOutboxPassive(id: number, now: Date): Promise<boolean> {
    const at = iso(now);
    return this.db.prepare(PASSIVE_MARK).run(at, at, id).changes === 1;
  }

  async unmarkOutboxPassive(id: number): Promise<void> {
    this.db.prepare(PASSIVE_UNMARK).run(id);
  }

  async markOutboxFailed(id: number, error: string): Promise<void> {
    this.db.prepare("UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ? AND status != 'sent'").run(error, id);
  }

  async markOutboxUndelivered(id: number, error: string): Promise<void> {
    this.db.prepare("UPDATE outbox SET status = 'undelivered', last_error = ? WHERE id = ? AND status != 'sent'").run(error, id);
  }

  private threadOrThrow(id: number): ThreadRow {
    const r = this.db.prepare("SELECT * FROM threads WHERE id = ?").get(id) as Row | undefined;
    if (!r) throw new Error(`thread ${id} not found`);
    return toThread(r);
  }

  private insertMessage(threadId: number, m: NewThreadMessage, at: string): ThreadMessageRow {
    return toMessage(
      this.db
        .prepare("INSERT INTO thread_messages (thread_id, role, text, created_at, inbound_id, author_id, meta) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *")
        .get(threadId, m.role, m.text, at, m.inboundId ?? null, m.authorId ?? null, JSON.stringify(m.meta ?? {})) as Row,
    );
  }

  private insertOutbox(thread: ThreadRow, o: NewOutbox, at: string): OutboxRow {
    return toOutbox(
      this.db
        .prepare(
          `INSERT INTO outbox (thread_id, channel, thread_key, group_key, inbound_id, kind, text, status, created_at, sent_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(thread.id, thread.channel, thread.threadKey, thread.groupKey, o.inboundId ?? null, o.kind, o.text, o.sent ? "sent" : "pending", at, o.sent ? at : null) as Row,
    );
  }
}
