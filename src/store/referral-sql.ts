// The referral store on either database, over SqlDb. Every state change and its audit entries
// are written in one transaction. Claims and other transitions are one conditional UPDATE (the
// compare-and-set): SQLite serialises writers on the file, and under PostgreSQL's READ
// COMMITTED a concurrent second UPDATE waits for the first, re-checks its guard on the new row
// and changes nothing, so exactly one of many processes wins. Referral numbers come from a
// per-year sequence row (INSERT … ON CONFLICT DO UPDATE … RETURNING, serialised by its row
// lock); creation for one thread is serialised by a transaction lock so it stays idempotent
// across processes without burning numbers.

import type { Referral, ReferralEvent } from "../referral/types.ts";
import { SqlAccountStore } from "./account-sql.ts";
import { formatReferralNumber, REFERRAL_PATCH_FIELDS, toEvent, toNotice, toRating, toReferral } from "./referral-rows.ts";
import type {
  DeadlineNotice,
  NewAuditEntry,
  NewReferral,
  NewReferralEvent,
  RatingRow,
  ReferralChange,
  ReferralQuery,
} from "./referral-store.ts";
import { num, reader, text, type Row } from "./rows.ts";
import { chunks, conditions, marks, regionClause, selectWhere, whereAll, type SqlDb } from "./sql.ts";

const RUNNING = "status <> 'closed' AND responded_at IS NULL";

/** The referral queue: accounts (SqlAccountStore) plus referrals, their timeline, notices and ratings. */
export class SqlReferralStore extends SqlAccountStore {
  private async event(tx: SqlDb, referralId: string, e: NewReferralEvent): Promise<void> {
    await tx.run(
      "INSERT INTO referral_events (referral_id, at, actor_id, kind, text, detail, outbox_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [referralId, e.at, e.actorId, e.kind, e.text ?? null, this.d.toJson(e.detail ?? {}), e.outboxId ?? null],
    );
  }

  // ---------------------------------------------------------------- referrals

  /**
   * Creates the referral unless one exists for the escalation or the thread has one open: then
   * that one comes back with created false (atomic per thread, across processes).
   */
  async insertReferral(n: NewReferral, events: NewReferralEvent[], audit: NewAuditEntry[]): Promise<{ referral: Referral; created: boolean }> {
    return this.db.transaction(async (tx) => {
      // Two processes creating from one escalation, or from two of one thread: the second waits
      // here, then finds the first's row (one escalation is always of one thread).
      await tx.lock(`lawdesk.referral.thread:${n.threadId ?? ""}`);
      const existing = await tx.get<Row>("SELECT * FROM referrals WHERE escalation_id = ?", [n.escalationId]);
      if (existing) return { referral: toReferral(existing), created: false };
      // One conversation, one open referral: the caller joins the one already open.
      const open = await tx.get<Row>("SELECT * FROM referrals WHERE thread_id = ? AND status <> 'closed' ORDER BY created_at DESC LIMIT 1", [n.threadId]);
      if (open) return { referral: toReferral(open), created: false };
      const seq = await tx.get<{ last: number }>(
        "INSERT INTO referral_sequences (year, last) VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = referral_sequences.last + 1 RETURNING last",
        [n.year],
      );
      const r = (await tx.get<Row>(
        `INSERT INTO referrals (id, number, escalation_id, thread_id, channel, resident_key, region, topic, urgency, reason, summary, findings,
           status, owner_id, assigned_to, assigned_queue, created_at, updated_at, first_response_due, clock_started_at, response_due)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          n.id, formatReferralNumber(n.year, Number(seq!.last)), n.escalationId, n.threadId, n.channel, n.residentKey, n.region, n.topic, n.urgency,
          n.reason, n.summary, this.d.toJson(n.findings), n.status, n.ownerId, n.assignedTo, n.assignedQueue, n.createdAt, n.createdAt,
          n.responseDue, n.createdAt, n.responseDue,
        ],
      ))!;
      for (const e of events) await this.event(tx, n.id, e);
      await this.audit(tx, audit.map((a) => ({ ...a, targetId: a.targetId ?? n.id, detail: { ...a.detail, number: r.number } })));
      return { referral: toReferral(r), created: true };
    });
  }

  async getReferral(id: string): Promise<Referral | null> {
    return this.row("SELECT * FROM referrals WHERE id = ?", [id], toReferral);
  }

  async getReferralByNumber(number: string): Promise<Referral | null> {
    return this.row("SELECT * FROM referrals WHERE number = ?", [number], toReferral);
  }

  /** Applies the change only when the guard holds; null when it did not (nothing written). */
  async applyChange(id: string, change: ReferralChange, at: string): Promise<Referral | null> {
    const { sets, params } = this.assignments(change.patch, REFERRAL_PATCH_FIELDS);
    sets.unshift("updated_at = ?");
    params.unshift(at);
    if (change.patch.respondedAtIfUnset) {
      const x = this.d.ts("?");
      sets.push(`responded_at = COALESCE(responded_at, ${x})`, `first_response_at = COALESCE(first_response_at, ${x})`);
      params.push(change.patch.respondedAtIfUnset, change.patch.respondedAtIfUnset);
    }
    const where = conditions();
    where.add("id = ?", id);
    const g = change.guard ?? {};
    if (g.statuses) where.add(`status IN (${marks(g.statuses.length)})`, ...g.statuses);
    if (g.ownerId === null) where.add("owner_id IS NULL");
    else if (g.ownerId !== undefined) where.add("owner_id = ?", g.ownerId);
    if (g.cycle !== undefined) where.add("cycle = ?", g.cycle);
    if (g.unrated) where.add("rating IS NULL");
    if (g.notJoinedBy !== undefined) {
      where.add(`NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = referrals.id AND ${this.d.json("e.detail", "escalationId")} = ?)`, g.notJoinedBy);
    }

    // One conditional UPDATE is the compare-and-set: whichever runs second finds the guard false.
    return this.db.transaction(async (tx) => {
      // PostgreSQL's row lock alone does not re-run the NOT EXISTS above after a concurrent join
      // commits; this lock makes the second join start after the first has committed.
      if (g.notJoinedBy !== undefined) await tx.lock(`lawdesk.referral.join:${id}`);
      const r = await tx.get<Row>(`UPDATE referrals SET ${sets.join(", ")} ${whereAll(where.parts)} RETURNING *`, [...params, ...where.params]);
      if (!r) return null;
      for (const e of change.events ?? []) await this.event(tx, id, e);
      if (change.rating) {
        const x = change.rating;
        await tx.run("INSERT INTO referral_ratings (referral_id, cycle, stars, comment, owner_id, at) VALUES (?, ?, ?, ?, ?, ?)", [
          id, x.cycle, x.stars, x.comment, x.ownerId, x.at,
        ]);
      }
      await this.audit(tx, (change.audit ?? []).map((a) => ({ ...a, detail: { ...a.detail, number: r.number } })));
      return toReferral(r);
    });
  }

  async listReferrals(q: ReferralQuery): Promise<Referral[]> {
    const { parts, params, add } = conditions();
    if (q.statuses) add(`status IN (${marks(q.statuses.length)})`, ...q.statuses);
    if (q.ownerId) add("owner_id = ?", q.ownerId);
    if (q.unowned) add("owner_id IS NULL");
    if (q.involving) add("(owner_id = ? OR (owner_id IS NULL AND assigned_to = ?))", q.involving, q.involving);
    if (q.clockRunning) add(RUNNING);
    if (q.threadId) add("thread_id = ?", q.threadId);
    if (q.residentKey) add("resident_key = ?", q.residentKey);
    if (q.channel) add("channel = ?", q.channel);
    if (q.visibleTo && !q.visibleTo.all) {
      const region = regionClause(q.visibleTo.regions, { none: this.d.bool(false) });
      add(`(owner_id = ? OR assigned_to = ? OR ${region.sql})`, q.visibleTo.userId, q.visibleTo.userId, ...region.params);
    }
    if (q.overdueAt) add(`${RUNNING} AND response_due < ?`, q.overdueAt);
    if (q.closedSince) add("closed_at >= ?", q.closedSince);
    const order =
      q.order === "created_desc"
        ? "created_at DESC"
        : q.order === "closed_desc"
          ? "closed_at DESC NULLS LAST"
          : // Most urgent first, then the nearest deadline.
            "CASE urgency WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, response_due, created_at";
    params.push(q.limit ?? 200, q.offset ?? 0);
    return this.many(`SELECT * FROM referrals ${whereAll(parts)} ORDER BY ${order}, id LIMIT ? OFFSET ?`, params, toReferral);
  }

  /** Referrals by current status (the metrics). */
  async countByStatus(): Promise<{ status: string; n: number }[]> {
    return this.many("SELECT status, COUNT(*) AS n FROM referrals GROUP BY status", [], reader({ status: text, n: num }));
  }

  /** Referrals not closed per owner (or assignee while unowned), the routing load. */
  async countOpen(userIds: string[]): Promise<Map<string, number>> {
    const out = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return out;
    const rows = await this.db.all<{ who: string; n: number | string }>(
      `SELECT COALESCE(owner_id, assigned_to) AS who, COUNT(*) AS n FROM referrals
       WHERE status <> 'closed' AND COALESCE(owner_id, assigned_to) IN (${marks(userIds.length)}) GROUP BY COALESCE(owner_id, assigned_to)`,
      userIds,
    );
    for (const r of rows) out.set(r.who, Number(r.n));
    return out;
  }

  async listEvents(referralId: string): Promise<ReferralEvent[]> {
    return this.many("SELECT * FROM referral_events WHERE referral_id = ? ORDER BY id", [referralId], toEvent);
  }

  async findEventByOutbox(outboxId: string): Promise<ReferralEvent | null> {
    return this.row("SELECT * FROM referral_events WHERE outbox_id = ? ORDER BY id LIMIT 1", [outboxId], toEvent);
  }

  /** Records a deadline notice once; false when it was already sent (nothing written). */
  async recordNotice(n: DeadlineNotice, event: NewReferralEvent, audit: NewAuditEntry[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run(
        "INSERT INTO referral_deadline_notices (referral_id, cycle, kind, sent_at, recipients) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [n.referralId, n.cycle, n.kind, n.at, this.d.toJson(n.recipients)],
      );
      if (changes !== 1) return false;
      await this.event(tx, n.referralId, event);
      await this.audit(tx, audit);
      return true;
    });
  }

  async listNotices(referralId: string): Promise<DeadlineNotice[]> {
    return this.many("SELECT * FROM referral_deadline_notices WHERE referral_id = ? ORDER BY cycle, sent_at, kind", [referralId], toNotice);
  }

  async listRatings(filter: { ownerId?: string; referralId?: string }): Promise<RatingRow[]> {
    const q = selectWhere("referral_ratings", { owner_id: filter.ownerId, referral_id: filter.referralId }, "at, referral_id, cycle");
    return this.many(q.sql, q.params, toRating);
  }

  /** Blanks resident text of referrals closed before `cutoff`; returns how many. */
  async redactClosedBefore(cutoff: string, at: string, audit: NewAuditEntry[]): Promise<number> {
    return this.db.transaction(async (tx) => {
      // Locks the rows it blanks (PostgreSQL): a purge running in two processes counts each referral once.
      const ids = (
        await tx.all<{ id: string }>(
          `SELECT id FROM referrals WHERE status = 'closed' AND closed_at < ? AND redacted_at IS NULL ORDER BY id${this.d.skipLocked}`,
          [cutoff],
        )
      ).map((r) => r.id);
      if (!ids.length) return 0;
      for (const part of chunks(ids, 500)) {
        const inList = `IN (${marks(part.length)})`;
        await tx.run(
          `UPDATE referrals SET summary = '[已清除]', resident_key = '[已清除]', outcome = NULL, rating_comment = NULL, redacted_at = ? WHERE id ${inList}`,
          [at, ...part],
        );
        await tx.run(`UPDATE referral_events SET text = NULL WHERE referral_id ${inList} AND text IS NOT NULL`, part);
        await tx.run(`UPDATE referral_ratings SET comment = NULL WHERE referral_id ${inList}`, part);
      }
      await this.audit(tx, audit.map((a) => ({ ...a, detail: { ...a.detail, count: ids.length } })));
      return ids.length;
    });
  }
}
