// Console accounts on either database, over SqlDb: users, their sessions, the duty rota, saved
// replies and the audit log. Every write that changes state takes the audit entries to append
// in the same transaction, so the audit log cannot miss a change that happened. The referral
// store (referral-sql.ts) builds on this.

import type { AuditEntry, ReplyTemplate, RotaEntry, SessionRecord, User, UserRecord } from "../referral/types.ts";
import { toAudit, toRota, toSession, toTemplate, toUser, USER_PATCH_FIELDS } from "./referral-rows.ts";
import type { NewAuditEntry, UserPatch } from "./referral-store.ts";
import { snakeCase, type Row } from "./rows.ts";
import { chunks, insertInto, selectWhere, type SqlDb } from "./sql.ts";
import { SqlStore } from "./sql-store.ts";

type AuditFilter = { targetType?: AuditEntry["targetType"]; targetId?: string; actorId?: string; action?: string; limit?: number };

export class SqlAccountStore extends SqlStore {
  /** A patch value as the column stores it: objects and arrays as JSON text. */
  protected value(v: unknown): unknown {
    if (Array.isArray(v) || (v !== null && typeof v === "object")) return this.d.toJson(v);
    return v === undefined ? null : v;
  }

  /** one(), with null for no row (the referral side's convention). */
  protected async row<T>(sql: string, params: unknown[], map: (r: Row) => T): Promise<T | null> {
    return (await this.one(sql, params, map)) ?? null;
  }

  /** Runs `write` and appends `entries` in one transaction. */
  protected withAudit<T>(entries: NewAuditEntry[], write: (tx: SqlDb) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      const out = await write(tx);
      await this.audit(tx, entries);
      return out;
    });
  }

  protected async audit(tx: SqlDb, entries: NewAuditEntry[]): Promise<void> {
    // One multi-row INSERT per run of entries: ids follow the order given.
    for (const part of chunks(entries, 500)) {
      await tx.run(
        insertInto("audit_log", "at, actor_id, action, target_type, target_id, detail", part.length),
        part.flatMap((e) => [e.at, e.actorId, e.action, e.targetType, e.targetId, this.d.toJson(e.detail ?? {})]),
      );
    }
  }

  // ---------------------------------------------------------------- users

  async insertUser(u: UserRecord, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        insertInto("users", "id, username, name, password_hash, role, regions, topics, phone, active, failed_logins, locked_until, must_change_password, created_at, updated_at"),
        [
          u.id, u.username, u.name, u.passwordHash, u.role, this.d.toJson(u.regions), this.d.toJson(u.topics), u.phone,
          u.active, u.failedLogins, u.lockedUntil, u.mustChangePassword, u.createdAt, u.updatedAt,
        ],
      ),
    );
  }

  async updateUser(id: string, patch: UserPatch, at: string, audit: NewAuditEntry[]): Promise<UserRecord | null> {
    const { sets, params } = this.assignments(patch, USER_PATCH_FIELDS);
    sets.push("updated_at = ?");
    params.push(at, id);
    return this.updateAudited(`UPDATE users SET ${sets.join(", ")} WHERE id = ? RETURNING *`, params, audit, toUser);
  }

  /** `column = ?` for each field of `patch` that is set (and allowed). */
  protected assignments(patch: object, fields: readonly string[]): { sets: string[]; params: unknown[] } {
    const given = Object.entries(patch).filter(([k, v]) => v !== undefined && fields.includes(k));
    return { sets: given.map(([k]) => `${snakeCase(k)} = ?`), params: given.map(([, v]) => this.value(v)) };
  }

  /** One UPDATE … RETURNING; the audit entries are appended only when it matched a row. */
  protected updateAudited<T>(sql: string, params: unknown[], audit: NewAuditEntry[], map: (r: Row) => T): Promise<T | null> {
    return this.db.transaction(async (tx) => {
      const r = await tx.get<Row>(sql, params);
      if (!r) return null;
      await this.audit(tx, audit);
      return map(r);
    });
  }

  /** Counts a failed login atomically; locks the account until `lockUntil` at `maxFailures`. */
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
    const q = selectWhere("users", { role: filter.role || undefined, active: filter.activeOnly || undefined }, "lower(username), id");
    return this.many(q.sql, q.params, toUser);
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

  protected rotaValues(e: RotaEntry): unknown[] {
    const j = this.d.toJson;
    return [e.userId, j(e.regions), j(e.topics), j(e.schedule), j(e.datesOff), j(e.datesOn), e.note, e.active];
  }

  async insertRotaEntry(e: RotaEntry, audit: NewAuditEntry[]): Promise<void> {
    await this.withAudit(audit, (tx) =>
      tx.run(
        insertInto("rota_entries", "user_id, regions, topics, schedule, dates_off, dates_on, note, active, id, created_at, updated_at"),
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
    const q = selectWhere("rota_entries", { active: filter.activeOnly || undefined, user_id: filter.userId || undefined }, "created_at, id");
    return this.many(q.sql, q.params, toRota);
  }

  // ---------------------------------------------------------------- saved replies

  async listTemplates(userId: string): Promise<ReplyTemplate[]> {
    return this.many("SELECT * FROM reply_templates WHERE owner_id IS NULL OR owner_id = ? ORDER BY owner_id IS NOT NULL, title, id", [userId], toTemplate);
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
    const q = selectWhere("audit_log", { target_type: targetType, target_id: targetId, actor_id: actorId, action }, "id", filter.limit ?? 1000);
    return this.many(q.sql, q.params, toAudit);
  }
}
