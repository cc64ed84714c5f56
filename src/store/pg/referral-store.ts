// PostgreSQL implementation of ReferralStore, the counterpart of SqliteReferralStore.
// Every state change and its audit entries are written in one transaction. Claims and
// other transitions are one conditional UPDATE (the compare-and-set): under READ COMMITTED
// a concurrent second UPDATE waits for the first, re-checks its guard on the new row and
// changes nothing, so exactly one of many processes wins. Referral numbers come from a
// per-year sequence row (INSERT … ON CONFLICT DO UPDATE … RETURNING, serialised by its row
// lock); creation from one escalation is serialised by a transaction advisory lock so it
// stays idempotent across processes without burning numbers.

import type {
  AuditEntry,
  Referral,
  ReferralEvent,
  ReplyTemplate,
  RotaEntry,
  SessionRecord,
  User,
  UserRecord,
} from "../../referral/types.ts";
import {
  formatReferralNumber,
  type DeadlineNotice,
  type NewAuditEntry,
  type NewReferral,
  type NewReferralEvent,
  type RatingRow,
  type ReferralChange,
  type ReferralPatch,
  type ReferralQuery,
  type ReferralStore,
  type UserPatch,
} from "../referral-store.ts";
import { pgJson, q, withTransaction, type PgPool, type PgQueryable } from "./pool.ts";
import {
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
} from "../referral-store.ts";

type Row = Record<string, unknown>;

/** Parameter value: arrays go to JSONB columns as JSON text (node-postgres would send a PG array). */
function sqlValue(v: unknown): unknown {
  if (Array.isArray(v) || (v !== null && typeof v === "object")) return pgJson(v);
  return v === undefined ? null : v;
}

/** Collects positional parameters: p.add(v) returns "$n". */
class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** `region` is covered by `scope` (same rule as regions.ts). substr, not LIKE: ids contain `_`. */
function regionClause(scopes: string[], p: Params): string {
  const parts: string[] = [];
  for (const s of scopes) {
    parts.push(`region = ${p.add(s)}`, `substr(region, 1, ${p.add(s.length + 1)}::int) = ${p.add(s + ".")}`);
    if (!s.includes(".")) parts.push("region IS NULL");
  }
  return parts.length ? `(${parts.join(" OR ")})` : "false";
}

const RUNNING = "status <> 'closed' AND responded_at IS NULL";

async function audit(db: PgQueryable, entries: NewAuditEntry[]): Promise<void> {
  if (!entries.length) return;
  await q(db,
    `INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail)
     SELECT u.at::timestamptz, u.actor, u.action, u.ttype, u.tid, u.detail::jsonb
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(at, actor, action, ttype, tid, detail, ord)
     ORDER BY u.ord`,
    [
      entries.map((e) => e.at),
      entries.map((e) => e.actorId),
      entries.map((e) => e.action),
      entries.map((e) => e.targetType),
      entries.map((e) => e.targetId),
      entries.map((e) => pgJson(e.detail ?? {})),
    ],
  );
}

async function event(db: PgQueryable, referralId: string, e: NewReferralEvent): Promise<void> {
  await q(db,
    "INSERT INTO referral_events (referral_id, at, actor_id, kind, text, detail, outbox_id) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)",
    [referralId, e.at, e.actorId, e.kind, e.text ?? null, pgJson(e.detail ?? {}), e.outboxId ?? null],
  );
}

export class PgReferralStore implements ReferralStore {
  constructor(private readonly pool: PgPool) {}

  private tx<T>(fn: (c: PgQueryable) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, fn);
  }

  // ---------------------------------------------------------------- users

  async insertUser(u: UserRecord, entries: NewAuditEntry[]): Promise<void> {
    await this.tx(async (c) => {
      await q(c,
        `INSERT INTO users (id, username, name, password_hash, role, regions, topics, phone, active, failed_logins, locked_until, must_change_password, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12, $13, $14)`,
        [
          u.id, u.username, u.name, u.passwordHash, u.role, pgJson(u.regions), pgJson(u.topics), u.phone,
          u.active, u.failedLogins, u.lockedUntil, u.mustChangePassword, u.createdAt, u.updatedAt,
        ],
      );
      await audit(c, entries);
    });
  }

  async updateUser(id: string, patch: UserPatch, at: string, entries: NewAuditEntry[]): Promise<UserRecord | null> {
    const p = new Params();
    const sets: string[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      sets.push(`${USER_COLUMNS[k as keyof UserPatch]} = ${p.add(sqlValue(v))}`);
    }
    sets.push(`updated_at = ${p.add(at)}`);
    const sql = `UPDATE users SET ${sets.join(", ")} WHERE id = ${p.add(id)} RETURNING *`;
    return this.tx(async (c) => {
      const r = (await q(c, sql, p.values)).rows[0] as Row | undefined;
      if (!r) return null;
      await audit(c, entries);
      return toUser(r);
    });
  }

  async recordLoginFailure(id: string, maxFailures: number, lockUntil: string, entries: NewAuditEntry[]): Promise<UserRecord | null> {
    return this.tx(async (c) => {
      // Right-hand sides see the old row, so both CASEs test the same count.
      const r = (
        await q(c,
          `UPDATE users SET
             failed_logins = CASE WHEN failed_logins + 1 >= $1 THEN 0 ELSE failed_logins + 1 END,
             locked_until = CASE WHEN failed_logins + 1 >= $1 THEN $2::timestamptz ELSE locked_until END
           WHERE id = $3 RETURNING *`,
          [maxFailures, lockUntil, id],
        )
      ).rows[0] as Row | undefined;
      if (!r) return null;
      await audit(c, entries);
      return toUser(r);
    });
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = (await q(this.pool, "SELECT * FROM users WHERE id = $1", [id])).rows[0] as Row | undefined;
    return r ? toUser(r) : null;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const r = (await q(this.pool, `SELECT * FROM users WHERE lower(username) = lower($1::text COLLATE "C")`, [username])).rows[0] as Row | undefined;
    return r ? toUser(r) : null;
  }

  async listUsers(filter: { role?: User["role"]; activeOnly?: boolean } = {}): Promise<UserRecord[]> {
    const p = new Params();
    const where: string[] = [];
    if (filter.role) where.push(`role = ${p.add(filter.role)}`);
    if (filter.activeOnly) where.push("active");
    const sql = `SELECT * FROM users ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY lower(username), id`;
    return ((await q(this.pool, sql, p.values)).rows as Row[]).map(toUser);
  }

  // ---------------------------------------------------------------- sessions

  async insertSession(s: SessionRecord, entries: NewAuditEntry[]): Promise<void> {
    await this.tx(async (c) => {
      await q(c,
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, revoked_at, ip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [s.tokenHash, s.userId, s.csrfToken, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt, s.ip],
      );
      await audit(c, entries);
    });
  }

  async getSession(tokenHash: string): Promise<SessionRecord | null> {
    const r = (await q(this.pool, "SELECT * FROM sessions WHERE token_hash = $1", [tokenHash])).rows[0] as Row | undefined;
    return r ? toSession(r) : null;
  }

  async touchSession(tokenHash: string, at: string): Promise<void> {
    await q(this.pool, "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2", [at, tokenHash]);
  }

  async revokeSession(tokenHash: string, at: string, entries: NewAuditEntry[]): Promise<boolean> {
    return this.tx(async (c) => {
      const changed = (await q(c, "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL", [at, tokenHash])).rowCount ?? 0;
      if (changed) await audit(c, entries);
      return changed === 1;
    });
  }

  async revokeUserSessions(userId: string, at: string, entries: NewAuditEntry[]): Promise<number> {
    return this.tx(async (c) => {
      const changed = (await q(c, "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", [at, userId])).rowCount ?? 0;
      await audit(c, entries);
      return changed;
    });
  }

  // ---------------------------------------------------------------- rota

  async insertRotaEntry(e: RotaEntry, entries: NewAuditEntry[]): Promise<void> {
    await this.tx(async (c) => {
      await q(c,
        `INSERT INTO rota_entries (id, user_id, regions, topics, schedule, dates_off, dates_on, note, active, created_at, updated_at)
         VALUES ($1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9, $10, $11)`,
        [
          e.id, e.userId, pgJson(e.regions), pgJson(e.topics), pgJson(e.schedule),
          pgJson(e.datesOff), pgJson(e.datesOn), e.note, e.active, e.createdAt, e.updatedAt,
        ],
      );
      await audit(c, entries);
    });
  }

  async updateRotaEntry(e: RotaEntry, entries: NewAuditEntry[]): Promise<void> {
    await this.tx(async (c) => {
      await q(c,
        `UPDATE rota_entries SET user_id = $1, regions = $2::jsonb, topics = $3::jsonb, schedule = $4::jsonb, dates_off = $5::jsonb,
           dates_on = $6::jsonb, note = $7, active = $8, updated_at = $9
         WHERE id = $10`,
        [
          e.userId, pgJson(e.regions), pgJson(e.topics), pgJson(e.schedule), pgJson(e.datesOff),
          pgJson(e.datesOn), e.note, e.active, e.updatedAt, e.id,
        ],
      );
      await audit(c, entries);
    });
  }

  async getRotaEntry(id: string): Promise<RotaEntry | null> {
    const r = (await q(this.pool, "SELECT * FROM rota_entries WHERE id = $1", [id])).rows[0] as Row | undefined;
    return r ? toRota(r) : null;
  }

  async listRotaEntries(filter: { activeOnly?: boolean; userId?: string } = {}): Promise<RotaEntry[]> {
    const p = new Params();
    const where: string[] = [];
    if (filter.activeOnly) where.push("active");
    if (filter.userId) where.push(`user_id = ${p.add(filter.userId)}`);
    const sql = `SELECT * FROM rota_entries ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at, id`;
    return ((await q(this.pool, sql, p.values)).rows as Row[]).map(toRota);
  }

  // ---------------------------------------------------------------- referrals

  async insertReferral(n: NewReferral, events: NewReferralEvent[], entries: NewAuditEntry[]): Promise<{ referral: Referral; created: boolean }> {
    return this.tx(async (c) => {
      // Two processes creating from one escalation, or from two of one thread: the second waits
      // here, then finds the first's row (one escalation is always of one thread).
      await q(c, "SELECT pg_advisory_xact_lock(hashtext('lawdesk.referral.thread'), hashtext($1::text))", [n.threadId ?? ""]);
      const existing = (await q(c, "SELECT * FROM referrals WHERE escalation_id = $1", [n.escalationId])).rows[0] as Row | undefined;
      if (existing) return { referral: toReferral(existing), created: false };
      // One conversation, one open referral: the caller joins the one already open.
      const open = (await q(c, "SELECT * FROM referrals WHERE thread_id = $1 AND status <> 'closed' ORDER BY created_at DESC LIMIT 1", [n.threadId])).rows[0] as Row | undefined;
      if (open) return { referral: toReferral(open), created: false };
      const { last } = (
        await q(c,
          "INSERT INTO referral_sequences (year, last) VALUES ($1, 1) ON CONFLICT (year) DO UPDATE SET last = referral_sequences.last + 1 RETURNING last",
          [n.year],
        )
      ).rows[0] as { last: number };
      const r = (
        await q(c,
          `INSERT INTO referrals (id, number, escalation_id, thread_id, channel, resident_key, region, topic, urgency, reason, summary, findings,
             status, owner_id, assigned_to, assigned_queue, created_at, updated_at, first_response_due, clock_started_at, response_due)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16, $17, $17, $18, $17, $18) RETURNING *`,
          [
            n.id, formatReferralNumber(n.year, Number(last)), n.escalationId, n.threadId, n.channel, n.residentKey, n.region, n.topic, n.urgency,
            n.reason, n.summary, pgJson(n.findings), n.status, n.ownerId, n.assignedTo, n.assignedQueue, n.createdAt, n.responseDue,
          ],
        )
      ).rows[0] as Row;
      for (const e of events) await event(c, n.id, e);
      await audit(c, entries.map((a) => ({ ...a, targetId: a.targetId ?? n.id, detail: { ...a.detail, number: r.number } })));
      return { referral: toReferral(r), created: true };
    });
  }

  async getReferral(id: string): Promise<Referral | null> {
    const r = (await q(this.pool, "SELECT * FROM referrals WHERE id = $1", [id])).rows[0] as Row | undefined;
    return r ? toReferral(r) : null;
  }

  async getReferralByNumber(number: string): Promise<Referral | null> {
    const r = (await q(this.pool, "SELECT * FROM referrals WHERE number = $1", [number])).rows[0] as Row | undefined;
    return r ? toReferral(r) : null;
  }

  async applyChange(id: string, change: ReferralChange, at: string): Promise<Referral | null> {
    const p = new Params();
    const sets: string[] = [`updated_at = ${p.add(at)}`];
    for (const [k, v] of Object.entries(change.patch)) {
      if (v === undefined || k === "respondedAtIfUnset") continue;
      sets.push(`${REFERRAL_COLUMNS[k as keyof typeof REFERRAL_COLUMNS]} = ${p.add(sqlValue(v))}`);
    }
    if (change.patch.respondedAtIfUnset) {
      const x = p.add(change.patch.respondedAtIfUnset);
      sets.push(`responded_at = COALESCE(responded_at, ${x}::timestamptz)`, `first_response_at = COALESCE(first_response_at, ${x}::timestamptz)`);
    }
    const where = [`id = ${p.add(id)}`];
    const g = change.guard ?? {};
    if (g.statuses) where.push(`status = ANY(${p.add(g.statuses)}::text[])`);
    if (g.ownerId === null) where.push("owner_id IS NULL");
    else if (g.ownerId !== undefined) where.push(`owner_id = ${p.add(g.ownerId)}`);
    if (g.cycle !== undefined) where.push(`cycle = ${p.add(g.cycle)}`);
    if (g.unrated) where.push("rating IS NULL");
    if (g.notJoinedBy !== undefined) {
      where.push(`NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = referrals.id AND e.detail->>'escalationId' = ${p.add(g.notJoinedBy)})`);
    }
    const sql = `UPDATE referrals SET ${sets.join(", ")} WHERE ${where.join(" AND ")} RETURNING *`;

    // One conditional UPDATE is the compare-and-set: a concurrent one blocks on the row lock,
    // re-evaluates the guard against the committed row and matches nothing.
    return this.tx(async (c) => {
      // The row lock alone does not re-run the NOT EXISTS above after a concurrent join
      // commits; this lock makes the second join start after the first has committed.
      if (g.notJoinedBy !== undefined) await q(c, "SELECT pg_advisory_xact_lock(hashtext('lawdesk.referral.join'), hashtext($1::text))", [id]);
      const r = (await q(c, sql, p.values)).rows[0] as Row | undefined;
      if (!r) return null;
      for (const e of change.events ?? []) await event(c, id, e);
      if (change.rating) {
        const x = change.rating;
        await q(c, "INSERT INTO referral_ratings (referral_id, cycle, stars, comment, owner_id, at) VALUES ($1, $2, $3, $4, $5, $6)", [
          id, x.cycle, x.stars, x.comment, x.ownerId, x.at,
        ]);
      }
      await audit(c, (change.audit ?? []).map((a) => ({ ...a, detail: { ...a.detail, number: r.number } })));
      return toReferral(r);
    });
  }

  async listReferrals(query: ReferralQuery): Promise<Referral[]> {
    const p = new Params();
    const where: string[] = [];
    if (query.statuses) where.push(`status = ANY(${p.add(query.statuses)}::text[])`);
    if (query.ownerId) where.push(`owner_id = ${p.add(query.ownerId)}`);
    if (query.unowned) where.push("owner_id IS NULL");
    if (query.involving) {
      const who = p.add(query.involving);
      where.push(`(owner_id = ${who} OR (owner_id IS NULL AND assigned_to = ${who}))`);
    }
    if (query.clockRunning) where.push(RUNNING);
    if (query.threadId) where.push(`thread_id = ${p.add(query.threadId)}`);
    if (query.residentKey) where.push(`resident_key = ${p.add(query.residentKey)}`);
    if (query.channel) where.push(`channel = ${p.add(query.channel)}`);
    if (query.visibleTo && !query.visibleTo.all) {
      const who = p.add(query.visibleTo.userId);
      where.push(`(owner_id = ${who} OR assigned_to = ${who} OR ${regionClause(query.visibleTo.regions, p)})`);
    }
    if (query.overdueAt) where.push(`${RUNNING} AND response_due < ${p.add(query.overdueAt)}::timestamptz`);
    if (query.closedSince) where.push(`closed_at >= ${p.add(query.closedSince)}::timestamptz`);
    const order =
      query.order === "created_desc"
        ? "created_at DESC"
        : query.order === "closed_desc"
          ? "closed_at DESC NULLS LAST"
          : "CASE urgency WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, response_due, created_at";
    const sql = `SELECT * FROM referrals ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY ${order}, id LIMIT ${p.add(query.limit ?? 200)} OFFSET ${p.add(query.offset ?? 0)}`;
    return ((await q(this.pool, sql, p.values)).rows as Row[]).map(toReferral);
  }

  async countOpen(userIds: string[]): Promise<Map<string, number>> {
    const out = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return out;
    const rows = (
      await q(this.pool,
        `SELECT COALESCE(owner_id, assigned_to) AS who, COUNT(*) AS n FROM referrals
         WHERE status <> 'closed' AND COALESCE(owner_id, assigned_to) = ANY($1::text[]) GROUP BY who`,
        [userIds],
      )
    ).rows as { who: string; n: string }[];
    for (const r of rows) out.set(r.who, Number(r.n));
    return out;
  }

  async listEvents(referralId: string): Promise<ReferralEvent[]> {
    return ((await q(this.pool, "SELECT * FROM referral_events WHERE referral_id = $1 ORDER BY id", [referralId])).rows as Row[]).map(toEvent);
  }

  async findEventByOutbox(outboxId: string): Promise<ReferralEvent | null> {
    const r = (await q(this.pool, "SELECT * FROM referral_events WHERE outbox_id = $1 ORDER BY id LIMIT 1", [outboxId])).rows[0] as Row | undefined;
    return r ? toEvent(r) : null;
  }

  async recordNotice(n: DeadlineNotice, e: NewReferralEvent, entries: NewAuditEntry[]): Promise<boolean> {
    return this.tx(async (c) => {
      const inserted =
        (
          await q(c,
            `INSERT INTO referral_deadline_notices (referral_id, cycle, kind, sent_at, recipients) VALUES ($1, $2, $3, $4, $5::jsonb)
             ON CONFLICT DO NOTHING`,
            [n.referralId, n.cycle, n.kind, n.at, pgJson(n.recipients)],
          )
        ).rowCount ?? 0;
      if (inserted !== 1) return false;
      await event(c, n.referralId, e);
      await audit(c, entries);
      return true;
    });
  }

  async listNotices(referralId: string): Promise<DeadlineNotice[]> {
    const rows = (await q(this.pool, "SELECT * FROM referral_deadline_notices WHERE referral_id = $1 ORDER BY cycle, sent_at, kind", [referralId]))
      .rows as Row[];
    return rows.map(toNotice);
  }

  async listRatings(filter: { ownerId?: string; referralId?: string }): Promise<RatingRow[]> {
    const p = new Params();
    const where: string[] = [];
    if (filter.ownerId) where.push(`owner_id = ${p.add(filter.ownerId)}`);
    if (filter.referralId) where.push(`referral_id = ${p.add(filter.referralId)}`);
    const sql = `SELECT * FROM referral_ratings ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY at, referral_id, cycle`;
    return ((await q(this.pool, sql, p.values)).rows as Row[]).map(toRating);
  }

  async redactClosedBefore(cutoff: string, at: string, entries: NewAuditEntry[]): Promise<number> {
    return this.tx(async (c) => {
      // Locks the rows it blanks: a purge running in two processes counts each referral once.
      const ids = (
        (
          await q(c,
            "SELECT id FROM referrals WHERE status = 'closed' AND closed_at < $1::timestamptz AND redacted_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED",
            [cutoff],
          )
        ).rows as { id: string }[]
      ).map((r) => r.id);
      if (!ids.length) return 0;
      await q(c,
        "UPDATE referrals SET summary = '[已清除]', resident_key = '[已清除]', outcome = NULL, rating_comment = NULL, redacted_at = $1 WHERE id = ANY($2::text[])",
        [at, ids],
      );
      await q(c, "UPDATE referral_events SET text = NULL WHERE referral_id = ANY($1::text[]) AND text IS NOT NULL", [ids]);
      await q(c, "UPDATE referral_ratings SET comment = NULL WHERE referral_id = ANY($1::text[])", [ids]);
      await audit(c, entries.map((a) => ({ ...a, detail: { ...a.detail, count: ids.length } })));
      return ids.length;
    });
  }

  // ---------------------------------------------------------------- saved replies

  async listTemplates(userId: string): Promise<ReplyTemplate[]> {
    return (
      (await q(this.pool, "SELECT * FROM reply_templates WHERE owner_id IS NULL OR owner_id = $1 ORDER BY owner_id IS NOT NULL, title, id", [userId]))
        .rows as Row[]
    ).map(toTemplate);
  }

  async getTemplate(id: string): Promise<ReplyTemplate | null> {
    const r = (await q(this.pool, "SELECT * FROM reply_templates WHERE id = $1", [id])).rows[0] as Row | undefined;
    return r ? toTemplate(r) : null;
  }

  async upsertTemplate(t: ReplyTemplate, entries: NewAuditEntry[]): Promise<void> {
    await this.tx(async (c) => {
      await q(c,
        `INSERT INTO reply_templates (id, owner_id, title, body, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id, title = excluded.title, body = excluded.body, updated_at = excluded.updated_at`,
        [t.id, t.ownerId, t.title, t.body, t.createdBy, t.createdAt, t.updatedAt],
      );
      await audit(c, entries);
    });
  }

  async deleteTemplate(id: string, entries: NewAuditEntry[]): Promise<boolean> {
    return this.tx(async (c) => {
      const n = (await q(c, "DELETE FROM reply_templates WHERE id = $1", [id])).rowCount ?? 0;
      if (n) await audit(c, entries);
      return n === 1;
    });
  }

  // ---------------------------------------------------------------- audit

  async appendAudit(entries: NewAuditEntry[]): Promise<void> {
    await audit(this.pool, entries);
  }

  async listAudit(
    filter: { targetType?: AuditEntry["targetType"]; targetId?: string; actorId?: string; action?: string; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    const p = new Params();
    const where: string[] = [];
    for (const [col, v] of [
      ["target_type", filter.targetType],
      ["target_id", filter.targetId],
      ["actor_id", filter.actorId],
      ["action", filter.action],
    ] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ${p.add(v)}`);
    }
    const sql = `SELECT * FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id LIMIT ${p.add(filter.limit ?? 1000)}`;
    return ((await q(this.pool, sql, p.values)).rows as Row[]).map(toAudit);
  }
}
