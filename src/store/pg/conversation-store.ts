// PostgreSQL implementation of ConversationStore. Same semantics as SqliteConversationStore:
// claims are status + claimed_at leases with attempts as the fencing token, taken with
// FOR UPDATE SKIP LOCKED so several processes share the work without waiting on each other;
// complete() writes everything in one transaction.

import type { ChannelName, InboundMessage } from "../../pipeline/types.ts";
import {
  ClaimLostError,
  EMPTY_STORED_CONTEXT,
  PASSIVE_MARK,
  PASSIVE_UNMARK,
  type ClaimOptions,
  type Completed,
  type Completion,
  type ConversationStore,
  type EscalationRow,
  type InboundRow,
  type LawyerReplyOptions,
  type NewOutbox,
  type NewThreadMessage,
  type OutboxRow,
  type OutboxStatus,
  type ThreadMessageRow,
  type ThreadRow,
  toEscalation,
  toInbound,
  toMessage,
  toOutbox,
  toThread,
} from "../conversation-store.ts";
import { numberPlaceholders as numbered } from "../sql.ts";
import { pgJson, q, withTransaction, type PgPool, type PgQueryable } from "./pool.ts";

type Raw = Record<string, unknown>;

const json = (v: unknown): string => pgJson(v);

async function one(db: PgQueryable, sql: string, params: unknown[]): Promise<Raw | undefined> {
  const r = await q(db, sql, params);
  return r.rows[0] as Raw | undefined;
}

async function all(db: PgQueryable, sql: string, params: unknown[] = []): Promise<Raw[]> {
  return (await q(db, sql, params)).rows as Raw[];
}

export class PgConversationStore implements ConversationStore {
  constructor(private readonly pool: PgPool) {}

  async recordInbound(msg: InboundMessage, now: Date): Promise<{ inbound: InboundRow; created: boolean }> {
    const known = await one(this.pool, "SELECT * FROM inbound_messages WHERE channel = $1 AND platform_message_id = $2", [
      msg.channel,
      msg.platformMessageId,
    ]);
    if (known) return { inbound: toInbound(known), created: false };
    const region = msg.region ?? null;
    return withTransaction(this.pool, async (c) => {
      const thread = (await one(
        c,
        `INSERT INTO threads (channel, thread_key, sender_key, group_key, region, context, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $7)
         ON CONFLICT (channel, thread_key) DO UPDATE SET region = COALESCE(excluded.region, threads.region), updated_at = excluded.updated_at
         RETURNING id`,
        [msg.channel, msg.threadKey, msg.senderKey, msg.groupKey ?? null, region, json({ ...EMPTY_STORED_CONTEXT, region }), now],
      ))!;
      // A concurrent retry of the same platform message: ON CONFLICT DO NOTHING, then read the winner's row.
      const row = await one(
        c,
        `INSERT INTO inbound_messages (channel, platform_message_id, thread_id, thread_key, sender_key, group_key, region, text, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (channel, platform_message_id) DO NOTHING RETURNING *`,
        [msg.channel, msg.platformMessageId, thread.id, msg.threadKey, msg.senderKey, msg.groupKey ?? null, region, msg.text, msg.receivedAt],
      );
      if (row) return { inbound: toInbound(row), created: true };
      const other = (await one(c, "SELECT * FROM inbound_messages WHERE channel = $1 AND platform_message_id = $2", [
        msg.channel,
        msg.platformMessageId,
      ]))!;
      return { inbound: toInbound(other), created: false };
    });
  }

  async getInbound(id: number): Promise<InboundRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM inbound_messages WHERE id = $1", [id]);
    return r ? toInbound(r) : undefined;
  }

  async claimInbound(id: number, opts: ClaimOptions): Promise<InboundRow | undefined> {
    // SKIP LOCKED: a message another process is claiming right now is simply not ours.
    const r = await one(
      this.pool,
      `UPDATE inbound_messages SET status = 'processing', attempts = attempts + 1, claimed_at = $1
       WHERE id = (SELECT id FROM inbound_messages
                   WHERE id = $2 AND (status = 'received' OR (status = 'processing' AND claimed_at < $3))
                   FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [opts.now, id, opts.staleBefore],
    );
    return r ? toInbound(r) : undefined;
  }

  async listUnfinishedInbound(): Promise<InboundRow[]> {
    return (await all(this.pool, "SELECT * FROM inbound_messages WHERE status IN ('received', 'processing') ORDER BY id")).map(toInbound);
  }

  async earlierUnfinishedInbound(threadId: number, beforeId: number): Promise<InboundRow | undefined> {
    const r = await one(
      this.pool,
      "SELECT * FROM inbound_messages WHERE thread_id = $1 AND id < $2 AND status IN ('received', 'processing') ORDER BY id LIMIT 1",
      [threadId, beforeId],
    );
    return r ? toInbound(r) : undefined;
  }

  async complete(c: Completion, now: Date): Promise<Completed> {
    return withTransaction(this.pool, async (db) => {
      const inbound = await one(
        db,
        `UPDATE inbound_messages SET status = $1, result = $2::jsonb, reason = $3, error = $4, processed_at = $5
         WHERE id = $6 AND status = 'processing' AND attempts = $7 RETURNING *`,
        [c.status, json(c.result), c.reason, c.error, now, c.inboundId, c.claim],
      );
      if (!inbound) throw new ClaimLostError(c.inboundId);
      const threadId = Number(inbound.thread_id);

      if (c.context) await q(db, "UPDATE threads SET context = $1::jsonb WHERE id = $2", [json(c.context), threadId]);
      if (c.ownerNoticeFor !== undefined) await q(db, "UPDATE threads SET owner_notice_for = $1 WHERE id = $2", [c.ownerNoticeFor, threadId]);
      const thread = toThread((await one(db, "UPDATE threads SET updated_at = $1 WHERE id = $2 RETURNING *", [now, threadId]))!);

      const messages: ThreadMessageRow[] = [];
      for (const m of c.messages) messages.push(await insertMessage(db, threadId, { ...m, inboundId: c.inboundId }, now));

      let escalation: EscalationRow | null = null;
      if (c.escalation) {
        const e = c.escalation;
        escalation = toEscalation(
          (await one(
            db,
            `INSERT INTO escalations (thread_id, inbound_id, reason, urgency, topic, region, summary, findings, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $9) RETURNING *`,
            [threadId, c.inboundId, e.reason, e.urgency, e.topic, e.region ?? thread.region, e.summary, json(e.findings), now],
          ))!,
        );
      }

      const outbox = c.reply ? await insertOutbox(db, thread, { ...c.reply, threadId, inboundId: c.inboundId }, now) : null;
      return { inbound: toInbound(inbound), thread, messages, escalation, outbox };
    });
  }

  async getThread(id: number): Promise<ThreadRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM threads WHERE id = $1", [id]);
    return r ? toThread(r) : undefined;
  }

  async findThread(channel: ChannelName, threadKey: string): Promise<ThreadRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM threads WHERE channel = $1 AND thread_key = $2", [channel, threadKey]);
    return r ? toThread(r) : undefined;
  }

  async resetThread(channel: ChannelName, threadKey: string, now: Date): Promise<ThreadRow | undefined> {
    const r = await one(
      this.pool,
      `UPDATE threads SET context = jsonb_set($1::jsonb, '{region}', COALESCE(to_jsonb(region), 'null'::jsonb)), updated_at = $2
       WHERE channel = $3 AND thread_key = $4 RETURNING *`,
      [json(EMPTY_STORED_CONTEXT), now, channel, threadKey],
    );
    return r ? toThread(r) : undefined;
  }

  async assignThread(threadId: number, ownerId: string | null, now: Date): Promise<void> {
    await q(this.pool, "UPDATE threads SET owned_by = $1, owner_notice_for = NULL, updated_at = $2 WHERE id = $3", [ownerId, now, threadId]);
  }

  async setAwaitingRating(threadId: number, referralId: string | null, now: Date): Promise<void> {
    await q(this.pool,
      `UPDATE threads SET context = jsonb_set(context, '{awaitingRating}', COALESCE(to_jsonb($1::text), 'null'::jsonb)), updated_at = $2
       WHERE id = $3`,
      [referralId, now, threadId],
    );
  }

  async appendMessage(threadId: number, msg: NewThreadMessage, now: Date): Promise<ThreadMessageRow> {
    return insertMessage(this.pool, threadId, msg, now);
  }

  async listMessages(threadId: number): Promise<ThreadMessageRow[]> {
    return (await all(this.pool, "SELECT * FROM thread_messages WHERE thread_id = $1 ORDER BY id", [threadId])).map(toMessage);
  }

  async addLawyerReply(threadId: number, authorId: string, text: string, now: Date, opts: LawyerReplyOptions = {}): Promise<{ message: ThreadMessageRow; outbox: OutboxRow }> {
    return withTransaction(this.pool, async (db) => {
      const thread = await threadOrThrow(db, threadId);
      const outbox = await insertOutbox(db, thread, { threadId, kind: "lawyer_reply", text: opts.outboxText ?? text }, now);
      const message = await insertMessage(db, threadId, { role: "lawyer", text, authorId, meta: { ...opts.meta, outboxId: String(outbox.id) } }, now);
      return { message, outbox };
    });
  }

  async getEscalation(id: number): Promise<EscalationRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM escalations WHERE id = $1", [id]);
    return r ? toEscalation(r) : undefined;
  }

  async findEscalationByInbound(inboundId: number): Promise<EscalationRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM escalations WHERE inbound_id = $1", [inboundId]);
    return r ? toEscalation(r) : undefined;
  }

  async listEscalations(filter: { status?: string; threadId?: number } = {}): Promise<EscalationRow[]> {
    return (
      await all(
        this.pool,
        "SELECT * FROM escalations WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR thread_id = $2) ORDER BY id",
        [filter.status ?? null, filter.threadId ?? null],
      )
    ).map(toEscalation);
  }

  async markEscalation(id: number, status: string, now: Date): Promise<void> {
    await q(this.pool, "UPDATE escalations SET status = $1, updated_at = $2 WHERE id = $3", [status, now, id]);
  }

  async enqueueOutbox(row: NewOutbox, now: Date): Promise<OutboxRow> {
    const thread = await threadOrThrow(this.pool, row.threadId);
    return insertOutbox(this.pool, thread, row, now);
  }

  async getOutbox(id: number): Promise<OutboxRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM outbox WHERE id = $1", [id]);
    return r ? toOutbox(r) : undefined;
  }

  async findOutboxByInbound(inboundId: number): Promise<OutboxRow | undefined> {
    const r = await one(this.pool, "SELECT * FROM outbox WHERE inbound_id = $1", [inboundId]);
    return r ? toOutbox(r) : undefined;
  }

  async listOutbox(filter: { threadId?: number; status?: OutboxStatus } = {}): Promise<OutboxRow[]> {
    return (
      await all(
        this.pool,
        "SELECT * FROM outbox WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR thread_id = $2) ORDER BY id",
        [filter.status ?? null, filter.threadId ?? null],
      )
    ).map(toOutbox);
  }

  async claimOutbox(channel: ChannelName, opts: { now: Date; leaseMs: number; limit?: number }): Promise<OutboxRow[]> {
    const staleBefore = new Date(opts.now.getTime() - opts.leaseMs);
    const rows = await all(
      this.pool,
      `UPDATE outbox SET claimed_at = $1, attempts = attempts + 1
       WHERE id IN (SELECT id FROM outbox WHERE channel = $2 AND status IN ('pending', 'failed')
                      AND (claimed_at IS NULL OR claimed_at < $3) ORDER BY id LIMIT $4
                    FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [opts.now, channel, staleBefore, opts.limit ?? 20],
    );
    return rows.map(toOutbox).sort((a, b) => a.id - b.id);
  }

  async markOutboxSent(id: number, now: Date): Promise<void> {
    await q(this.pool, "UPDATE outbox SET status = 'sent', sent_at = $1, last_error = NULL WHERE id = $2", [now, id]);
  }

  async markOutboxPassive(id: number, now: Date): Promise<boolean> {
    return ((await q(this.pool, numbered(PASSIVE_MARK), [now, now, id])).rowCount ?? 0) === 1;
  }

  async unmarkOutboxPassive(id: number): Promise<void> {
    await q(this.pool, numbered(PASSIVE_UNMARK), [id]);
  }

  async markOutboxFailed(id: number, error: string): Promise<void> {
    await q(this.pool, "UPDATE outbox SET status = 'failed', last_error = $1 WHERE id = $2 AND status != 'sent'", [error, id]);
  }

  async markOutboxUndelivered(id: number, error: string): Promise<void> {
    await q(this.pool, "UPDATE outbox SET status = 'undelivered', last_error = $1 WHERE id = $2 AND status != 'sent'", [error, id]);
  }
}

async function threadOrThrow(db: PgQueryable, id: number): Promise<ThreadRow> {
  const r = await one(db, "SELECT * FROM threads WHERE id = $1", [id]);
  if (!r) throw new Error(`thread ${id} not found`);
  return toThread(r);
}

async function insertMessage(db: PgQueryable, threadId: number, m: NewThreadMessage, at: Date): Promise<ThreadMessageRow> {
  return toMessage(
    (await one(
      db,
      "INSERT INTO thread_messages (thread_id, role, text, created_at, inbound_id, author_id, meta) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING *",
      [threadId, m.role, m.text, at, m.inboundId ?? null, m.authorId ?? null, json(m.meta ?? {})],
    ))!,
  );
}

async function insertOutbox(db: PgQueryable, thread: ThreadRow, o: NewOutbox, at: Date): Promise<OutboxRow> {
  return toOutbox(
    (await one(
      db,
      `INSERT INTO outbox (thread_id, channel, thread_key, group_key, inbound_id, kind, text, status, created_at, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [thread.id, thread.channel, thread.threadKey, thread.groupKey, o.inboundId ?? null, o.kind, o.text, o.sent ? "sent" : "pending", at, o.sent ? at : null],
    ))!,
  );
}
