// The referral store on either database, over SqlDb. Every state change and its audit entries
// are written in one transaction. Claims and other transitions are one conditional UPDATE (the
// compare-and-set): SQLite serialises writers on the file, and under PostgreSQL's READ
// COMMITTED a concurrent second UPDATE waits for the first, re-checks its guard on the new row
// and changes nothing, so exactly one of many processes wins. Referral numbers come from a
// per-year sequence row (INSERT … ON CONFLICT DO UPDATE … RETURNING, serialised by its row
// lock); creation for one thread is serialised by a transaction lock so it stays idempotent
// across processes without burning numbers.

import type { AuditEntry, Referral, ReferralEvent, ReplyTemplate, RotaEntry, SessionRecord, User, UserRecord } from "../referral/types.ts";
import {
  formatReferralNumber,
  REFERRAL_COLUMNS,
  toAudit,
  toEvent,
  toNotice,
  toRating,
  toReferral,
  toRota,
  toSession,
  toTemplate,
  toUser,
  USER_COLUMNS,
} from "./referral-rows.ts";
import type {
  DeadlineNotice,
  NewAuditEntry,
  NewReferral,
  NewReferralEvent,
  RatingRow,
  ReferralChange,
  ReferralQuery,
  ReferralStore,
  UserPatch,
} from "./referral-store.ts";
import type { Row } from "./rows.ts";
import { chunks, marks, asSql, whereAll, type SqlDb, type SqlHandle } from "./sql.ts";

const RUNNING = "status <> 'closed' AND responded_at IS NULL";

type AuditFilter = { targetType?: AuditEntry["targetType"]; targetId?: string; actorId?: string; action?: string; limit?: number };

export class SqlReferralStore implements ReferralStore {
  private readonly db: SqlDb;

  constructor(handle: SqlHandle) {
    this.db = asSql(handle);
  }

  private get d() {
    return this.db.dialect;
  }

  /** A patch value as the column stores it: objects and arrays as JSON text. */
  private value(v: unknown): unknown {
    if (Array.isArray(v) || (v !== null && typeof v === "object")) return this.d.toJson(v);
    return v === undefined ? null : v;
  }

  private async row<T>(sql: string, params: unknown[], map: (r: Row) => T): Promise<T | null> {
    const r = await this.db.get<Row>(sql, params);
    return r ? map(r) : null;
  }

  private async rows<T>(sql: string, params: unknown[], map: (r: Row) => T): Promise<T[]> {
    return (await this.db.all<Row>(sql, params)).map(map);
  }

  /** Runs `write` and appends `entries` in one transaction. */
  private withAudit<T>(entries: NewAuditEntry[], write: (tx: SqlDb) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const out = await write(tx);
      await this.audit(tx, entries);
      return out;
    });
  }

  private async audit(tx: SqlDb, entries: NewAuditEntry[]): Promise<void> {
    // One multi-row INSERT per run of entries: ids follow the order given.
    for (const part of chunks(entries, 500)) {
      await tx.run(
        `INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail) VALUES ${part.map(() => "(?, ?, ?, ?, ?, ?)").join(", ")}`,
        part.flatMap((e) => [e.at, e.actorId, e.action, e.targetType, e.targetId, this.d.toJson(e.detail ?? {})]),
      );
    }
  }

  private async event(tx: SqlDb, referralId: string, e: NewReferralEvent): Promise<void> {
    await tx.run(
      "INSERT INTO referral_events (referral_id, at, actor_id, kind, text, detail, outbox_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [referralId, e.at, e.actorId, e.kind, e.text ?? null, this.d.toJson(e.detail ?? {}), e.outboxId ?? null],
    );
  }

  // ---------------------------------------------------------------- users

  async insertUser(u: UserRecord, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        `INSERT INTO users (id, username, name, password_hash, role, regions, topics, phone, active, failed_logins, locked_until, must_change_password, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          u.id, u.username, u.name, u.passwordHash, u.role, this.d.toJson(u.regions), this.d.toJson(u.topics), u.phone,
          u.active, u.failedLogins, u.lockedUntil, u.mustChangePassword, u.createdAt, u.updatedAt,
        ],
      ),
    );
  }

  async updateUser(id: string, patch: UserPatch, at: string, audit: NewAuditEntry[]): Promise<UserRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      sets.push(`${USER_COLUMNS[k as keyof UserPatch]} = ?`);
      params.push(this.value(v));
    }
    sets.push("updated_at = ?");
    params.push(at, id);
    return this.updateAudited(`UPDATE users SET ${sets.join(", ")} WHERE id = ? RETURNING *`, params, audit, toUser);
  }

  /** One UPDATE … RETURNING; the audit entries are appended only when it matched a row. */
  private updateAudited<T>(sql: string, params: unknown[], audit: NewAuditEntry[], map: (r: Row) => T): Promise<T | null> {
    return this.db.transaction(async (tx) => {
      const r = await tx.get<Row>(sql, params);
      if (!r) return null;
      await this.audit(tx, audit);
      return map(r);
    });
  }

  async recordLoginFailure(id: string, maxFailures: number, lockUntil: string, audit: NewAuditEntry[]): Promise<UserRecord | null> {
    // Right-hand sides see the old row, so both CASEs test the same count.
    return this.updateAudited(
      `UPDATE users SET
         failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
         locked_until = CASE WHEN failed_logins + 1 >= ? THEN ${this.d.ts("?")} ELSE locked_until END
       WHERE id = ? RETURNING *`,
      [maxFailures, maxFailures, lockUntil, id],
      audit,
      toUser,
    );
  }

  async getUser(id: string): Promise<UserRecord | null> {
    return this.row("SELECT * FROM users WHERE id = ?", [id], toUser);
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    return this.row(`SELECT * FROM users WHERE ${this.d.nocaseEquals("username", "?")}`, [username], toUser);
  }

  async listUsers(filter: { role?: User["role"]; activeOnly?: boolean } = {}): Promise<UserRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role) {
      where.push("role = ?");
      params.push(filter.role);
    }
    if (filter.activeOnly) where.push(`active = ${this.d.bool(true)}`);
    return this.rows(`SELECT * FROM users ${whereAll(where)} ORDER BY lower(username), id`, params, toUser);
  }

  // ---------------------------------------------------------------- sessions

  async insertSession(s: SessionRecord, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, revoked_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [s.tokenHash, s.userId, s.csrfToken, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt, s.ip],
      ),
    );
  }

  async getSession(tokenHash: string): Promise<SessionRecord | null> {
    return this.row("SELECT * FROM sessions WHERE token_hash = ?", [tokenHash], toSession);
  }

  async touchSession(tokenHash: string, at: string): Promise<void> {
    await this.db.run("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [at, tokenHash]);
  }

  async revokeSession(tokenHash: string, at: string, audit: NewAuditEntry[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", [at, tokenHash]);
      if (changes) await this.audit(tx, audit);
      return changes === 1;
    });
  }

  async revokeUserSessions(userId: string, at: string, audit: NewAuditEntry[]): Promise<number> {
    return this.withAudit(audit, async (tx) => {
      return (await tx.run("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [at, userId])).changes;
    });
  }

  // ---------------------------------------------------------------- rota

  private rotaValues(e: RotaEntry): unknown[] {
    const j = this.d.toJson;
    return [e.userId, j(e.regions), j(e.topics), j(e.schedule), j(e.datesOff), j(e.datesOn), e.note, e.active];
  }

  async insertRotaEntry(e: RotaEntry, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        `INSERT INTO rota_entries (user_id, regions, topics, schedule, dates_off, dates_on, note, active, id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [...this.rotaValues(e), e.id, e.createdAt, e.updatedAt],
      ),
    );
  }

  async updateRotaEntry(e: RotaEntry, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        `UPDATE rota_entries SET user_id = ?, regions = ?, topics = ?, schedule = ?, dates_off = ?, dates_on = ?, note = ?, active = ?, updated_at = ?
         WHERE id = ?`,
        [...this.rotaValues(e), e.updatedAt, e.id],
      ),
    );
  }

  async getRotaEntry(id: string): Promise<RotaEntry | null> {
    return this.row("SELECT * FROM rota_entries WHERE id = ?", [id], toRota);
  }

  async listRotaEntries(filter: { activeOnly?: boolean; userId?: string } = {}): Promise<RotaEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.activeOnly) where.push(`active = ${this.d.bool(true)}`);
    if (filter.userId) {
      where.push("user_id = ?");
      params.push(filter.userId);
    }
    return this.rows(`SELECT * FROM rota_entries ${whereAll(where)} ORDER BY created_at, id`, params, toRota);
  }

  // ---------------------------------------------------------------- referrals

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

  async applyChange(id: string, change: ReferralChange, at: string): Promise<Referral | null> {
    const sets: string[] = ["updated_at = ?"];
    const params: unknown[] = [at];
    for (const [k, v] of Object.entries(change.patch)) {
      if (v === undefined || k === "respondedAtIfUnset") continue;
      sets.push(`${REFERRAL_COLUMNS[k as keyof typeof REFERRAL_COLUMNS]} = ?`);
      params.push(this.value(v));
    }
    if (change.patch.respondedAtIfUnset) {
      const x = this.d.ts("?");
      sets.push(`responded_at = COALESCE(responded_at, ${x})`, `first_response_at = COALESCE(first_response_at, ${x})`);
      params.push(change.patch.respondedAtIfUnset, change.patch.respondedAtIfUnset);
    }
    const where = ["id = ?"];
    params.push(id);
    const g = change.guard ?? {};
    if (g.statuses) {
      where.push(`status IN (${marks(g.statuses.length)})`);
      params.push(...g.statuses);
    }
    if (g.ownerId === null) where.push("owner_id IS NULL");
    else if (g.ownerId !== undefined) {
      where.push("owner_id = ?");
      params.push(g.ownerId);
    }
    if (g.cycle !== undefined) {
      where.push("cycle = ?");
      params.push(g.cycle);
    }
    if (g.unrated) where.push("rating IS NULL");
    if (g.notJoinedBy !== undefined) {
      where.push(`NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = referrals.id AND ${this.d.json("e.detail", "escalationId")} = ?)`);
      params.push(g.notJoinedBy);
    }

    // One conditional UPDATE is the compare-and-set: whichever runs second finds the guard false.
    return this.db.transaction(async (tx) => {
      // PostgreSQL's row lock alone does not re-run the NOT EXISTS above after a concurrent join
      // commits; this lock makes the second join start after the first has committed.
      if (g.notJoinedBy !== undefined) await tx.lock(`lawdesk.referral.join:${id}`);
      const r = await tx.get<Row>(`UPDATE referrals SET ${sets.join(", ")} WHERE ${where.join(" AND ")} RETURNING *`, params);
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
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (condition: string, ...values: unknown[]) => {
      where.push(condition);
      params.push(...values);
    };
    if (q.statuses) add(`status IN (${marks(q.statuses.length)})`, ...q.statuses);
    if (q.ownerId) add("owner_id = ?", q.ownerId);
    if (q.unowned) add("owner_id IS NULL");
    if (q.involving) add("(owner_id = ? OR (owner_id IS NULL AND assigned_to = ?))", q.involving, q.involving);
    if (q.clockRunning) add(RUNNING);
    if (q.threadId) add("thread_id = ?", q.threadId);
    if (q.residentKey) add("resident_key = ?", q.residentKey);
    if (q.channel) add("channel = ?", q.channel);
    if (q.visibleTo && !q.visibleTo.all) {
      const region = regionClause(q.visibleTo.regions, this.d.bool(false));
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
    return this.rows(`SELECT * FROM referrals ${whereAll(where)} ORDER BY ${order}, id LIMIT ? OFFSET ?`, params, toReferral);
  }

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
    return this.rows("SELECT * FROM referral_events WHERE referral_id = ? ORDER BY id", [referralId], toEvent);
  }

  async findEventByOutbox(outboxId: string): Promise<ReferralEvent | null> {
    return this.row("SELECT * FROM referral_events WHERE outbox_id = ? ORDER BY id LIMIT 1", [outboxId], toEvent);
  }

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
    return this.rows("SELECT * FROM referral_deadline_notices WHERE referral_id = ? ORDER BY cycle, sent_at, kind", [referralId], toNotice);
  }

  async listRatings(filter: { ownerId?: string; referralId?: string }): Promise<RatingRow[]> {
    return this.filtered("referral_ratings", { owner_id: filter.ownerId, referral_id: filter.referralId }, "at, referral_id, cycle", toRating);
  }

  /** SELECT * with an equality per given column. */
  private filtered<T>(table: string, equal: Record<string, unknown>, order: string, map: (r: Row) => T, limit?: number): Promise<T[]> {
    const given = Object.entries(equal).filter(([, v]) => v !== undefined);
    const params = given.map(([, v]) => v);
    if (limit !== undefined) params.push(limit);
    const sql = `SELECT * FROM ${table} ${whereAll(given.map(([col]) => `${col} = ?`))} ORDER BY ${order}${limit !== undefined ? " LIMIT ?" : ""}`;
    return this.rows(sql, params, map);
  }

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

  // ---------------------------------------------------------------- saved replies

  async listTemplates(userId: string): Promise<ReplyTemplate[]> {
    return this.rows("SELECT * FROM reply_templates WHERE owner_id IS NULL OR owner_id = ? ORDER BY owner_id IS NOT NULL, title, id", [userId], toTemplate);
  }

  async getTemplate(id: string): Promise<ReplyTemplate | null> {
    return this.row("SELECT * FROM reply_templates WHERE id = ?", [id], toTemplate);
  }

  async upsertTemplate(t: ReplyTemplate, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        `INSERT INTO reply_templates (id, owner_id, title, body, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id, title = excluded.title, body = excluded.body, updated_at = excluded.updated_at`,
        [t.id, t.ownerId, t.title, t.body, t.createdBy, t.createdAt, t.updatedAt],
      ),
    );
  }

  async deleteTemplate(id: string, audit: NewAuditEntry[]): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const { changes } = await tx.run("DELETE FROM reply_templates WHERE id = ?", [id]);
      if (changes) await this.audit(tx, audit);
      return changes === 1;
    });
  }

  // ---------------------------------------------------------------- audit

  async appendAudit(entries: NewAuditEntry[]): Promise<void> {
    await this.withAudit(entries, async () => undefined);
  }

  async listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
    const { targetType, targetId, actorId, action } = filter;
    return this.filtered("audit_log", { target_type: targetType, target_id: targetId, actor_id: actorId, action }, "id", toAudit, filter.limit ?? 1000);
  }
}

/**
 * `region` is covered by one of `scopes` (the rule of regions.ts): the scope itself, a region
 * inside it, or — for a top-level scope — a referral with no region. substr, not LIKE: ids
 * contain `_`. `none` is the dialect's false, for an empty list.
 */
export function regionClause(scopes: string[], none: string, column = "region"): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const s of scopes) {
    parts.push(`${column} = ?`, `substr(${column}, 1, CAST(? AS INTEGER)) = ?`);
    params.push(s, s.length + 1, s + ".");
    if (!s.includes(".")) parts.push(`${column} IS NULL`);
  }
  return { sql: parts.length ? `(${parts.join(" OR ")})` : none, params };
}
