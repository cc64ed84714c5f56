// The conversation store on either database, over SqlDb. Claims are status + claimed_at leases
// with attempts as the fencing token, taken with FOR UPDATE SKIP LOCKED on PostgreSQL so
// several processes share the work without waiting on each other (SQLite serialises writers);
// complete() writes everything in one transaction.

import type { ChannelName, InboundMessage } from "../channel-message.ts";
import { ClaimLostError, EMPTY_STORED_CONTEXT, toEscalation, toInbound, toMessage, toOutbox, toThread, toUnlogged } from "./conversation-rows.ts";
import type {
  ClaimOptions,
  Completed,
  Completion,
  EscalationRow,
  InboundRow,
  LawyerReplyOptions,
  NewOutbox,
  NewThreadMessage,
  OutboxRow,
  OutboxStatus,
  ThreadMessageRow,
  ThreadRow,
  UnloggedReply,
} from "./conversation-store.ts";
import { num, reader, text } from "./rows.ts";
import { SqlAccountStore } from "./account-sql.ts";
import { chunks, insertInto, marks, selectWhere, type SqlDb } from "./sql.ts";
import { SqlStore } from "./sql-store.ts";

const DUE = "status IN ('pending', 'failed')";
const UNFINISHED = "status IN ('received', 'processing')";

export class SqlConversationStore extends SqlStore {
  /** Records a message (and its thread) unless (channel, platformMessageId) is known already. */
  async recordInbound(msg: InboundMessage, now: Date): Promise<{ inbound: InboundRow; created: boolean }> {
    const find = "SELECT * FROM inbound_messages WHERE channel = ? AND platform_message_id = ?";
    const known = await this.one(find, [msg.channel, msg.platformMessageId], toInbound);
    if (known) return { inbound: known, created: false };
    const region = msg.region ?? null;
    return this.db.transaction(async (tx) => {
      const thread = (await tx.get<{ id: number }>(
        `${insertInto("threads", "channel, thread_key, sender_key, group_key, region, context, created_at, updated_at")}
         ON CONFLICT (channel, thread_key) DO UPDATE SET region = COALESCE(excluded.region, threads.region), updated_at = excluded.updated_at
         RETURNING id`,
        [msg.channel, msg.threadKey, msg.senderKey, msg.groupKey ?? null, region, this.d.toJson({ ...EMPTY_STORED_CONTEXT, region }), now, now],
      ))!;
      // A concurrent retry of the same platform message: ON CONFLICT DO NOTHING, then read the winner's row.
      const row = await this.one(
        `${insertInto("inbound_messages", "channel, platform_message_id, thread_id, thread_key, sender_key, group_key, region, text, received_at")}
         ON CONFLICT (channel, platform_message_id) DO NOTHING RETURNING *`,
        [msg.channel, msg.platformMessageId, thread.id, msg.threadKey, msg.senderKey, msg.groupKey ?? null, region, msg.text, msg.receivedAt],
        toInbound,
        tx,
      );
      if (row) return { inbound: row, created: true };
      return { inbound: (await this.one(find, [msg.channel, msg.platformMessageId], toInbound, tx))!, created: false };
    });
  }

  async getInbound(id: number): Promise<InboundRow | undefined> {
    return this.one("SELECT * FROM inbound_messages WHERE id = ?", [id], toInbound);
  }

  /** Takes a message for processing: 'received', or 'processing' with a stale claim. Increments attempts. */
  async claimInbound(id: number, opts: ClaimOptions): Promise<InboundRow | undefined> {
    // SKIP LOCKED: a message another process is claiming right now is simply not ours.
    return this.one(
      `UPDATE inbound_messages SET status = 'processing', attempts = attempts + 1, claimed_at = ?
       WHERE id = (SELECT id FROM inbound_messages
                   WHERE id = ? AND (status = 'received' OR (status = 'processing' AND claimed_at < ?))${this.d.skipLocked})
       RETURNING *`,
      [opts.now, id, opts.staleBefore],
      toInbound,
    );
  }

  /** Messages not yet finished ('received' or 'processing'), in the order they were received. */
  async listUnfinishedInbound(): Promise<InboundRow[]> {
    return this.many(`SELECT * FROM inbound_messages WHERE ${UNFINISHED} ORDER BY id`, [], toInbound);
  }

  /** The oldest unfinished message of a thread received before message `beforeId`, if any. */
  async earlierUnfinishedInbound(threadId: number, beforeId: number): Promise<InboundRow | undefined> {
    return this.one(`SELECT * FROM inbound_messages WHERE thread_id = ? AND id < ? AND ${UNFINISHED} ORDER BY id LIMIT 1`, [threadId, beforeId], toInbound);
  }

  /** Writes result, context, history, escalation, outbox row and the final status atomically. */
  async complete(c: Completion, now: Date): Promise<Completed> {
    return this.db.transaction(async (tx) => {
      const inbound = await this.one(
        `UPDATE inbound_messages SET status = ?, result = ?, reason = ?, error = ?, processed_at = ?
         WHERE id = ? AND status = 'processing' AND attempts = ? RETURNING *`,
        [c.status, this.d.toJson(c.result), c.reason, c.error, now, c.inboundId, c.claim],
        toInbound,
        tx,
      );
      if (!inbound) throw new ClaimLostError(c.inboundId);
      const threadId = inbound.threadId;

      if (c.context) await tx.run("UPDATE threads SET context = ? WHERE id = ?", [this.d.toJson(c.context), threadId]);
      if (c.ownerNoticeFor !== undefined) await tx.run("UPDATE threads SET owner_notice_for = ? WHERE id = ?", [c.ownerNoticeFor, threadId]);
      const thread = (await this.one("UPDATE threads SET updated_at = ? WHERE id = ? RETURNING *", [now, threadId], toThread, tx))!;

      const messages: ThreadMessageRow[] = [];
      for (const m of c.messages) messages.push(await this.insertMessage(tx, threadId, { ...m, inboundId: c.inboundId }, now));

      let escalation: EscalationRow | null = null;
      if (c.escalation) {
        const e = c.escalation;
        escalation = (await this.one(
          `${insertInto("escalations", "thread_id, inbound_id, reason, urgency, topic, region, summary, findings, created_at, updated_at")} RETURNING *`,
          [threadId, c.inboundId, e.reason, e.urgency, e.topic, e.region ?? thread.region, e.summary, this.d.toJson(e.findings), now, now],
          toEscalation,
          tx,
        ))!;
      }

      const outbox = c.reply ? await this.insertOutbox(tx, thread, { ...c.reply, threadId, inboundId: c.inboundId }, now) : null;
      return { inbound, thread, messages, escalation, outbox };
    });
  }

  async getThread(id: number): Promise<ThreadRow | undefined> {
    return this.one("SELECT * FROM threads WHERE id = ?", [id], toThread);
  }

  async findThread(channel: ChannelName, threadKey: string): Promise<ThreadRow | undefined> {
    return this.one("SELECT * FROM threads WHERE channel = ? AND thread_key = ?", [channel, threadKey], toThread);
  }

  /** Empties the context (history is kept); undefined when there is no such thread. */
  async resetThread(channel: ChannelName, threadKey: string, now: Date): Promise<ThreadRow | undefined> {
    return this.one(
      `UPDATE threads SET context = ${this.d.jsonSet("?", "region", "region")}, updated_at = ?
       WHERE channel = ? AND thread_key = ? RETURNING *`,
      [this.d.toJson(EMPTY_STORED_CONTEXT), now, channel, threadKey],
      toThread,
    );
  }

  /** Gives the thread to a person (user id) or back to the bot (null). */
  async assignThread(threadId: number, ownerId: string | null, now: Date): Promise<void> {
    await this.db.run("UPDATE threads SET owned_by = ?, owner_notice_for = NULL, updated_at = ? WHERE id = ?", [ownerId, now, threadId]);
  }

  /** Marks the thread as waiting for the resident's rating of a referral (null clears it). */
  async setAwaitingRating(threadId: number, referralId: string | null, now: Date): Promise<void> {
    await this.db.run(`UPDATE threads SET context = ${this.d.jsonSet("context", "awaitingRating", "CAST(? AS TEXT)")}, updated_at = ? WHERE id = ?`, [
      referralId,
      now,
      threadId,
    ]);
  }

  async appendMessage(threadId: number, msg: NewThreadMessage, now: Date): Promise<ThreadMessageRow> {
    return this.insertMessage(this.db, threadId, msg, now);
  }

  async listMessages(threadId: number): Promise<ThreadMessageRow[]> {
    return this.many("SELECT * FROM thread_messages WHERE thread_id = ? ORDER BY id", [threadId], toMessage);
  }

  /**
   * A person's reply: the history row and the outbox row in one transaction. `outboxText`
   * (default `text`) is what the channel delivers; the history row's meta records `outboxId`.
   */
  async addLawyerReply(threadId: number, authorId: string, text: string, now: Date, opts: LawyerReplyOptions = {}): Promise<{ message: ThreadMessageRow; outbox: OutboxRow }> {
    return this.db.transaction(async (tx) => {
      const thread = await this.threadOrThrow(tx, threadId);
      const outbox = await this.insertOutbox(tx, thread, { threadId, kind: "lawyer_reply", text: opts.outboxText ?? text }, now);
      const meta = { ...opts.meta, outboxId: String(outbox.id) };
      const message = await this.insertMessage(tx, threadId, { role: "lawyer", text, authorId, meta }, now);
      return { message, outbox };
    });
  }

  async getEscalation(id: number): Promise<EscalationRow | undefined> {
    return this.one("SELECT * FROM escalations WHERE id = ?", [id], toEscalation);
  }

  async findEscalationByInbound(inboundId: number): Promise<EscalationRow | undefined> {
    return this.one("SELECT * FROM escalations WHERE inbound_id = ?", [inboundId], toEscalation);
  }

  async listEscalations(filter: { status?: string; threadId?: number } = {}): Promise<EscalationRow[]> {
    const q = selectWhere("escalations", { status: filter.status, thread_id: filter.threadId }, "id");
    return this.many(q.sql, q.params, toEscalation);
  }

  async markEscalation(id: number, status: string, now: Date): Promise<void> {
    await this.db.run("UPDATE escalations SET status = ?, updated_at = ? WHERE id = ?", [status, now, id]);
  }

  async enqueueOutbox(row: NewOutbox, now: Date): Promise<OutboxRow> {
    return this.db.transaction(async (tx) => this.insertOutbox(tx, await this.threadOrThrow(tx, row.threadId), row, now));
  }

  async getOutbox(id: number): Promise<OutboxRow | undefined> {
    return this.one("SELECT * FROM outbox WHERE id = ?", [id], toOutbox);
  }

  async findOutboxByInbound(inboundId: number): Promise<OutboxRow | undefined> {
    return this.one("SELECT * FROM outbox WHERE inbound_id = ?", [inboundId], toOutbox);
  }

  async listOutbox(filter: { threadId?: number; status?: OutboxStatus } = {}): Promise<OutboxRow[]> {
    const q = selectWhere("outbox", { status: filter.status, thread_id: filter.threadId }, "id");
    return this.many(q.sql, q.params, toOutbox);
  }

  /** Takes up to `limit` due rows (pending, or failed for a retry) for a channel, oldest first. */
  async claimOutbox(channel: ChannelName, opts: { now: Date; leaseMs: number; limit?: number }): Promise<OutboxRow[]> {
    const staleBefore = new Date(opts.now.getTime() - opts.leaseMs);
    const rows = await this.many(
      `UPDATE outbox SET claimed_at = ?, attempts = attempts + 1
       WHERE id IN (SELECT id FROM outbox WHERE channel = ? AND ${DUE}
                      AND (claimed_at IS NULL OR claimed_at < ?) ORDER BY id LIMIT ?${this.d.skipLocked})
       RETURNING *`,
      [opts.now, channel, staleBefore, opts.limit ?? 20],
      toOutbox,
    );
    return rows.sort((a, b) => a.id - b.id);
  }

  async markOutboxSent(id: number, now: Date): Promise<void> {
    await this.db.run("UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?", [now, id]);
  }

  /**
   * The answer is about to leave in a passive reply: recorded as sent that way, and
   * committed, before the reply is written. False when the row was not due any more.
   */
  async markOutboxPassive(id: number, now: Date): Promise<boolean> {
    const sql = `UPDATE outbox SET status = 'sent', sent_at = ?, passive_at = ?, last_error = NULL WHERE id = ? AND ${DUE}`;
    return (await this.db.run(sql, [now, now, id])).changes === 1;
  }

  /** The passive reply could not be written (the connection closed first): the row is due again. */
  async unmarkOutboxPassive(id: number): Promise<void> {
    await this.db.run("UPDATE outbox SET status = 'pending', sent_at = NULL, passive_at = NULL WHERE id = ? AND status = 'sent' AND passive_at IS NOT NULL", [id]);
  }

  /** A delivery attempt failed; the row is due again once its claim lease runs out. */
  async markOutboxFailed(id: number, error: string): Promise<void> {
    await this.giveUp(id, "failed", error);
  }

  /** Given up for good (e.g. WeChat's 48-hour window has closed): a person must follow up. */
  async markOutboxUndelivered(id: number, error: string): Promise<void> {
    await this.giveUp(id, "undelivered", error);
  }

  /** A delivery that did not happen; a row already sent keeps its status. */
  private async giveUp(id: number, status: "failed" | "undelivered", error: string): Promise<void> {
    await this.db.run("UPDATE outbox SET status = ?, last_error = ? WHERE id = ? AND status != 'sent'", [status, error, id]);
  }

  /**
   * Lawyers' replies written between `after` and `before` (history rows whose meta names a
   * referral and an outbox row) that no referral event records: see app.ts recovery.
   */
  async listUnloggedLawyerReplies(after: Date, before: Date): Promise<UnloggedReply[]> {
    const meta = (key: string) => this.d.json("m.meta", key);
    return this.many(
      `SELECT m.text, m.author_id, m.created_at, ${meta("referralId")} AS referral_id, ${meta("outboxId")} AS outbox_id
       FROM thread_messages m
       WHERE m.role = 'lawyer' AND m.created_at < ? AND m.created_at > ?
         AND ${meta("referralId")} IS NOT NULL AND ${meta("outboxId")} IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.outbox_id = ${meta("outboxId")})`,
      [before, after],
      toUnlogged,
    );
  }

  /** Running totals for the metrics: messages by channel and intent (the core's reason, else the pipeline's). */
  async countMessages(): Promise<{ channel: string; intent: string; n: number }[]> {
    // GROUP BY position: grouping by an output alias is not portable SQL.
    const sql = `SELECT channel, COALESCE(reason, ${this.d.json("result", "intent")}, 'pending') AS intent, COUNT(*) AS n FROM inbound_messages GROUP BY 1, 2`;
    return this.many(sql, [], reader({ channel: text, intent: text, n: num }));
  }

  async countEscalations(): Promise<{ reason: string; urgency: string; n: number }[]> {
    return this.many("SELECT reason, urgency, COUNT(*) AS n FROM escalations GROUP BY reason, urgency", [], reader({ reason: text, urgency: text, n: num }));
  }

  /**
   * Replaces with `blank` the residents' words in threads quiet since `cutoff` whose referrals
   * were all closed before it (see privacy-purge.ts); audits the purge; returns how many threads.
   */
  async purgeQuietThreads(cutoff: string, at: string, blank: string): Promise<number> {
    const d = this.d;
    const personal = (key: string) => `${d.json("t.context", key)} IS NOT NULL`;
    return this.db.transaction(async (tx) => {
      // Quiet since the cutoff, not owned by a person, nothing unfinished, every referral closed before the cutoff.
      // On PostgreSQL the thread rows are locked: a resident writing again at this moment bumps
      // updated_at under the same lock, so the thread is then re-checked and left alone
      // instead of having the new message blanked (SQLite's BEGIN IMMEDIATE already excludes writers).
      const ids = (
        await tx.all<{ id: unknown }>(
          `SELECT t.id FROM threads t
           WHERE t.updated_at < ? AND t.owned_by IS NULL
             AND NOT EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = t.id AND m.created_at >= ?)
             AND NOT EXISTS (SELECT 1 FROM inbound_messages i WHERE i.thread_id = t.id AND (i.received_at >= ? OR i.status IN ('received', 'processing')))
             AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.thread_id = CAST(t.id AS TEXT) AND (r.status <> 'closed' OR r.closed_at >= ?))
             AND (
               EXISTS (SELECT 1 FROM inbound_messages i WHERE i.thread_id = t.id AND i.text <> ?)
               OR EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = t.id AND m.text <> ?)
               OR EXISTS (SELECT 1 FROM outbox o WHERE o.thread_id = t.id AND o.text <> ?)
               OR ${personal("lastQuestion")}
               OR ${personal("lastFullAnswer")}
             )
           ORDER BY t.id${d.name === "postgres" ? " FOR UPDATE OF t" : ""}`,
          [cutoff, cutoff, cutoff, cutoff, blank, blank, blank],
        )
      ).map((r) => Number(r.id));
      // Both keys kept as JSON null (what the context type says).
      const clearContext = `context = ${d.jsonSet(d.jsonSet("context", "lastQuestion", "NULL"), "lastFullAnswer", "NULL")}`;
      for (const batch of chunks(ids, 500)) {
        const inList = `(${marks(batch.length)})`;
        await tx.run(`UPDATE inbound_messages SET text = ?, result = NULL WHERE thread_id IN ${inList}`, [blank, ...batch]);
        // Every history row: bot and system rows can repeat what the resident said (notes, 【详细】 texts).
        await tx.run(`UPDATE thread_messages SET text = ? WHERE thread_id IN ${inList}`, [blank, ...batch]);
        await tx.run(`UPDATE outbox SET text = ? WHERE thread_id IN ${inList}`, [blank, ...batch]);
        await tx.run(`UPDATE escalations SET summary = ? WHERE thread_id IN ${inList}`, [blank, ...batch]);
        await tx.run(`UPDATE threads SET ${clearContext} WHERE id IN ${inList}`, batch);
      }
      if (ids.length > 0) {
        const detail = { cutoff, threads: ids.length };
        await new SqlAccountStore(tx).appendAudit([{ at, actorId: null, action: "privacy.purge", targetType: "system", targetId: null, detail }]);
      }
      return ids.length;
    });
  }

  private async threadOrThrow(tx: SqlDb, id: number): Promise<ThreadRow> {
    const thread = await this.one("SELECT * FROM threads WHERE id = ?", [id], toThread, tx);
    if (!thread) throw new Error(`thread ${id} not found`);
    return thread;
  }

  private async insertMessage(tx: SqlDb, threadId: number, m: NewThreadMessage, at: Date): Promise<ThreadMessageRow> {
    return (await this.one(
      "INSERT INTO thread_messages (thread_id, role, text, created_at, inbound_id, author_id, meta) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
      [threadId, m.role, m.text, at, m.inboundId ?? null, m.authorId ?? null, this.d.toJson(m.meta ?? {})],
      toMessage,
      tx,
    ))!;
  }

  private async insertOutbox(tx: SqlDb, thread: ThreadRow, o: NewOutbox, at: Date): Promise<OutboxRow> {
    return (await this.one(
      `${insertInto("outbox", "thread_id, channel, thread_key, group_key, inbound_id, kind, text, status, created_at, sent_at")} RETURNING *`,
      [thread.id, thread.channel, thread.threadKey, thread.groupKey, o.inboundId ?? null, o.kind, o.text, o.sent ? "sent" : "pending", at, o.sent ? at : null],
      toOutbox,
      tx,
    ))!;
  }
}
