// Persistence of the referral queue: console users and sessions, the duty rota, referrals
// with their timeline, deadline notices, ratings, saved replies and the audit log.
// Async interface so a PostgreSQL implementation can stand beside the SQLite one. Every
// write that changes state takes the audit entries to append in the same transaction, so
// the audit log cannot miss a change that happened.

import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import type {
  AssignedQueue,
  AuditEntry,
  EscalationInput,
  NewAuditEntry,
  Referral,
  ReferralEvent,
  ReferralEventKind,
  ReferralStatus,
  ReplyTemplate,
  RotaEntry,
  SessionRecord,
  User,
  UserRecord,
} from "../referral/types.ts";
import type { SqliteDb } from "./sqlite.ts";

export type { NewAuditEntry };

export type UserPatch = Partial<
  Pick<UserRecord, "name" | "role" | "regions" | "topics" | "phone" | "active" | "passwordHash" | "mustChangePassword" | "failedLogins" | "lockedUntil">
>;

export interface NewReferral extends EscalationInput {
  id: string;
  /** Year (Asia/Shanghai) whose sequence numbers the referral. */
  year: number;
  status: ReferralStatus;
  ownerId: string | null;
  assignedTo: string | null;
  assignedQueue: AssignedQueue;
  createdAt: string;
  responseDue: string;
}

export type NewReferralEvent = Omit<ReferralEvent, "id" | "referralId" | "text" | "detail" | "outboxId"> &
  Partial<Pick<ReferralEvent, "text" | "detail" | "outboxId">>;

/** Conditions a referral must meet for a change to apply (a compare-and-set). */
export interface ReferralGuard {
  statuses?: ReferralStatus[];
  /** The current owner must be exactly this (null = unowned). */
  ownerId?: string | null;
  cycle?: number;
  /** No rating yet in the current cycle. */
  unrated?: boolean;
  /** No event of this referral records this escalation id yet (a join applies once). */
  notJoinedBy?: string;
}

export interface ReferralPatch {
  status?: ReferralStatus;
  ownerId?: string | null;
  assignedTo?: string | null;
  assignedQueue?: AssignedQueue;
  threadOwned?: boolean;
  cycle?: number;
  clockStartedAt?: string;
  responseDue?: string;
  respondedAt?: string | null;
  /** Stops the clock: sets responded_at and (the first time only) first_response_at. */
  respondedAtIfUnset?: string;
  claimedAt?: string | null;
  closedAt?: string | null;
  outcome?: string | null;
  rating?: number | null;
  ratingComment?: string | null;
  /** Raised when a later, more urgent escalation joins the open referral. */
  urgency?: Referral["urgency"];
  /** What the bot found, widened when a later escalation joins. */
  findings?: Referral["findings"];
}

export interface ReferralChange {
  guard?: ReferralGuard;
  patch: ReferralPatch;
  events?: NewReferralEvent[];
  audit?: NewAuditEntry[];
  rating?: { cycle: number; stars: number; comment: string | null; ownerId: string | null; at: string };
}

export interface ReferralQuery {
  statuses?: ReferralStatus[];
  ownerId?: string;
  /** Owned by nobody. */
  unowned?: boolean;
  /** Owned by this user, or assigned to them while nobody owns it (their personal queue). */
  involving?: string;
  /** Nobody has answered yet and the referral is not closed. */
  clockRunning?: boolean;
  /** Only referrals this viewer may see (see access.ts for the same rule in code). */
  visibleTo?: { userId: string; regions: string[]; all: boolean };
  /** The clock runs (not responded, not closed) and the response is due before this instant. */
  overdueAt?: string;
  /** Closed at or after this instant. */
  closedSince?: string;
  threadId?: string;
  /** One resident's referrals (with `channel`: the key is per channel). */
  residentKey?: string;
  channel?: string;
  order?: "due" | "created_desc" | "closed_desc";
  limit?: number;
  offset?: number;
}

export interface DeadlineNotice {
  referralId: string;
  cycle: number;
  kind: "reminder" | "overdue";
  at: string;
  recipients: string[];
}

export interface RatingRow {
  referralId: string;
  cycle: number;
  stars: number;
  comment: string | null;
  ownerId: string | null;
  at: string;
}

export interface ReferralStore {
  // users
  insertUser(user: UserRecord, audit: NewAuditEntry[]): Promise<void>;
  updateUser(id: string, patch: UserPatch, at: string, audit: NewAuditEntry[]): Promise<UserRecord | null>;
  /** Counts a failed login atomically; locks the account until `lockUntil` at `maxFailures`. */
  recordLoginFailure(id: string, maxFailures: number, lockUntil: string, audit: NewAuditEntry[]): Promise<UserRecord | null>;
  getUser(id: string): Promise<UserRecord | null>;
  getUserByUsername(username: string): Promise<UserRecord | null>;
  listUsers(filter?: { role?: User["role"]; activeOnly?: boolean }): Promise<UserRecord[]>;
  // sessions
  insertSession(session: SessionRecord, audit: NewAuditEntry[]): Promise<void>;
  getSession(tokenHash: string): Promise<SessionRecord | null>;
  touchSession(tokenHash: string, at: string): Promise<void>;
  revokeSession(tokenHash: string, at: string, audit: NewAuditEntry[]): Promise<boolean>;
  revokeUserSessions(userId: string, at: string, audit: NewAuditEntry[]): Promise<number>;
  // rota
  insertRotaEntry(entry: RotaEntry, audit: NewAuditEntry[]): Promise<void>;
  updateRotaEntry(entry: RotaEntry, audit: NewAuditEntry[]): Promise<void>;
  getRotaEntry(id: string): Promise<RotaEntry | null>;
  listRotaEntries(filter?: { activeOnly?: boolean; userId?: string }): Promise<RotaEntry[]>;
  // referrals
  /** Allocates the number and inserts; returns the existing referral when the escalation was already taken. */
  /**
   * Creates the referral unless one exists for the escalation or the thread has one open: then
   * that one comes back with created false (atomic per thread, across processes).
   */
  insertReferral(input: NewReferral, events: NewReferralEvent[], audit: NewAuditEntry[]): Promise<{ referral: Referral; created: boolean }>;
  getReferral(id: string): Promise<Referral | null>;
  getReferralByNumber(number: string): Promise<Referral | null>;
  /** Applies the change only when the guard holds; null when it did not (nothing written). */
  applyChange(id: string, change: ReferralChange, at: string): Promise<Referral | null>;
  listReferrals(query: ReferralQuery): Promise<Referral[]>;
  /** Referrals not closed per owner (or assignee while unowned), the routing load. */
  countOpen(userIds: string[]): Promise<Map<string, number>>;
  listEvents(referralId: string): Promise<ReferralEvent[]>;
  findEventByOutbox(outboxId: string): Promise<ReferralEvent | null>;
  /** Records a deadline notice once; false when it was already sent (nothing written). */
  recordNotice(notice: DeadlineNotice, event: NewReferralEvent, audit: NewAuditEntry[]): Promise<boolean>;
  listNotices(referralId: string): Promise<DeadlineNotice[]>;
  listRatings(filter: { ownerId?: string; referralId?: string }): Promise<RatingRow[]>;
  /** Blanks resident text of referrals closed before `cutoff`; returns how many. */
  redactClosedBefore(cutoff: string, at: string, audit: NewAuditEntry[]): Promise<number>;
  // saved replies
  listTemplates(userId: string): Promise<ReplyTemplate[]>;
  getTemplate(id: string): Promise<ReplyTemplate | null>;
  upsertTemplate(template: ReplyTemplate, audit: NewAuditEntry[]): Promise<void>;
  deleteTemplate(id: string, audit: NewAuditEntry[]): Promise<boolean>;
  // audit
  appendAudit(entries: NewAuditEntry[]): Promise<void>;
  listAudit(filter?: { targetType?: AuditEntry["targetType"]; targetId?: string; actorId?: string; action?: string; limit?: number }): Promise<AuditEntry[]>;
}

/** Referral numbers: year and a zero-padded per-year sequence, `2026-000123`. */
export function formatReferralNumber(year: number, seq: number): string {
  return `${year}-${String(seq).padStart(6, "0")}`;
}

// ------------------------------------------------------------------ SQLite

// Row mappers for both stores (the PostgreSQL store imports them): see rows.ts.

export function toUser(r: Row): UserRecord {
  return {
    id: String(r.id),
    username: String(r.username),
    name: String(r.name),
    passwordHash: String(r.password_hash),
    role: r.role as User["role"],
    regions: read.json(r.regions, []),
    topics: read.json(r.topics, []),
    phone: read.textOrNull(r.phone),
    active: read.flag(r.active),
    failedLogins: Number(r.failed_logins),
    lockedUntil: read.isoOrNull(r.locked_until),
    mustChangePassword: read.flag(r.must_change_password),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

export function toSession(r: Row): SessionRecord {
  return {
    tokenHash: String(r.token_hash),
    userId: String(r.user_id),
    csrfToken: String(r.csrf_token),
    createdAt: read.iso(r.created_at),
    expiresAt: read.iso(r.expires_at),
    lastSeenAt: read.iso(r.last_seen_at),
    revokedAt: read.isoOrNull(r.revoked_at),
    ip: read.textOrNull(r.ip),
  };
}

export function toRota(r: Row): RotaEntry {
  return {
    id: String(r.id),
    userId: String(r.user_id),
    regions: read.json(r.regions, []),
    topics: read.json(r.topics, []),
    schedule: read.json(r.schedule, []),
    datesOff: read.json(r.dates_off, []),
    datesOn: read.json(r.dates_on, []),
    note: String(r.note ?? ""),
    active: read.flag(r.active),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

export function toReferral(r: Row): Referral {
  return {
    id: String(r.id),
    number: String(r.number),
    escalationId: read.textOrNull(r.escalation_id),
    threadId: String(r.thread_id),
    channel: r.channel as Referral["channel"],
    residentKey: String(r.resident_key),
    region: read.textOrNull(r.region),
    topic: String(r.topic),
    urgency: r.urgency as Referral["urgency"],
    reason: r.reason as Referral["reason"],
    summary: String(r.summary),
    findings: read.json(r.findings, { articles: [], guides: [] }),
    status: r.status as ReferralStatus,
    ownerId: read.textOrNull(r.owner_id),
    assignedTo: read.textOrNull(r.assigned_to),
    assignedQueue: r.assigned_queue as AssignedQueue,
    threadOwned: read.flag(r.thread_owned),
    cycle: Number(r.cycle),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
    firstResponseDue: read.iso(r.first_response_due),
    firstResponseAt: read.isoOrNull(r.first_response_at),
    clockStartedAt: read.iso(r.clock_started_at),
    responseDue: read.iso(r.response_due),
    respondedAt: read.isoOrNull(r.responded_at),
    claimedAt: read.isoOrNull(r.claimed_at),
    closedAt: read.isoOrNull(r.closed_at),
    outcome: read.textOrNull(r.outcome),
    rating: r.rating === null || r.rating === undefined ? null : Number(r.rating),
    ratingComment: read.textOrNull(r.rating_comment),
    redactedAt: read.isoOrNull(r.redacted_at),
  };
}

export function toEvent(r: Row): ReferralEvent {
  return {
    id: Number(r.id),
    referralId: String(r.referral_id),
    at: read.iso(r.at),
    actorId: read.textOrNull(r.actor_id),
    kind: r.kind as ReferralEventKind,
    text: read.textOrNull(r.text),
    detail: read.json(r.detail, {}),
    outboxId: read.textOrNull(r.outbox_id),
  };
}

export function toAudit(r: Row): AuditEntry {
  return {
    id: Number(r.id),
    at: read.iso(r.at),
    actorId: read.textOrNull(r.actor_id),
    action: String(r.action),
    targetType: r.target_type as AuditEntry["targetType"],
    targetId: read.textOrNull(r.target_id),
    detail: read.json(r.detail, {}),
  };
}

export function toTemplate(r: Row): ReplyTemplate {
  return {
    id: String(r.id),
    ownerId: read.textOrNull(r.owner_id),
    title: String(r.title),
    body: String(r.body),
    createdBy: String(r.created_by),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

export function toNotice(r: Row): DeadlineNotice {
  return {
    referralId: String(r.referral_id),
    cycle: Number(r.cycle),
    kind: r.kind as DeadlineNotice["kind"],
    at: read.iso(r.sent_at),
    recipients: read.json(r.recipients, []),
  };
}

export function toRating(r: Row): RatingRow {
  return {
    referralId: String(r.referral_id),
    cycle: Number(r.cycle),
    stars: Number(r.stars),
    comment: read.textOrNull(r.comment),
    ownerId: read.textOrNull(r.owner_id),
    at: read.iso(r.at),
  };
}

/** Patch field -> column, shared with the PostgreSQL store (same schema names). */
export const USER_COLUMNS: Record<keyof UserPatch, string> = {
  name: "name",
  role: "role",
  regions: "regions",
  topics: "topics",
  phone: "phone",
  active: "active",
  passwordHash: "password_hash",
  mustChangePassword: "must_change_password",
  failedLogins: "failed_logins",
  lockedUntil: "locked_until",
};

export const REFERRAL_COLUMNS: Record<Exclude<keyof ReferralPatch, "respondedAtIfUnset">, string> = {
  status: "status",
  ownerId: "owner_id",
  assignedTo: "assigned_to",
  assignedQueue: "assigned_queue",
  threadOwned: "thread_owned",
  cycle: "cycle",
  clockStartedAt: "clock_started_at",
  responseDue: "response_due",
  respondedAt: "responded_at",
  claimedAt: "claimed_at",
  closedAt: "closed_at",
  outcome: "outcome",
  rating: "rating",
  ratingComment: "rating_comment",
  urgency: "urgency",
  findings: "findings",
};

function sqlValue(v: unknown): unknown {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (Array.isArray(v) || (v !== null && typeof v === "object")) return JSON.stringify(v);
  return v === undefined ? null : v;
}

/** `region` is covered by `scope` (same rule as regions.ts). substr, not LIKE: ids contain `_`. */
function regionClause(scopes: string[], params: unknown[]): string {
  const parts: string[] = [];
  for (const s of scopes) {
    parts.push("region = ?", "substr(region, 1, ?) = ?");
    params.push(s, s.length + 1, s + ".");
    if (!s.includes(".")) parts.push("region IS NULL");
  }
  return parts.length ? `(${parts.join(" OR ")})` : "0";
}

const RUNNING = "status <> 'closed' AND responded_at IS NULL";

// Every write transaction is BEGIN IMMEDIATE: a deferred one that reads first and writes
// later can fail with SQLITE_BUSY when another connection wrote in between, and the busy
// timeout does not help there.

export class SqliteReferralStore implements ReferralStore {
  constructor(private readonly db: SqliteDb) {}

  private audit(entries: NewAuditEntry[]): void {
    const stmt = this.db.prepare(
      "INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
    );
    for (const e of entries) stmt.run(e.at, e.actorId, e.action, e.targetType, e.targetId, JSON.stringify(e.detail));
  }

  private event(referralId: string, e: NewReferralEvent): void {
    this.db
      .prepare("INSERT INTO referral_events (referral_id, at, actor_id, kind, text, detail, outbox_id) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(referralId, e.at, e.actorId, e.kind, e.text ?? null, JSON.stringify(e.detail ?? {}), e.outboxId ?? null);
  }

  // ---------------------------------------------------------------- users

  async insertUser(u: UserRecord, audit: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO users (id, username, name, password_hash, role, regions, topics, phone, active, failed_logins, locked_until, must_change_password, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          u.id, u.username, u.name, u.passwordHash, u.role, JSON.stringify(u.regions), JSON.stringify(u.topics), u.phone,
          u.active ? 1 : 0, u.failedLogins, u.lockedUntil, u.mustChangePassword ? 1 : 0, u.createdAt, u.updatedAt,
        );
      this.audit(audit);
    }).immediate();
  }

  async updateUser(id: string, patch: UserPatch, at: string, audit: NewAuditEntry[]): Promise<UserRecord | null> {
    const sets: string[] = [];
    const params: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) continue;
      sets.push(`${USER_COLUMNS[k as keyof UserPatch]} = ?`);
      params.push(sqlValue(v));
    }
    sets.push("updated_at = ?");
    params.push(at, id);
    return this.db.transaction(() => {
      const r = this.db.prepare(`UPDATE users SET ${sets.join(", ")} WHERE id = ? RETURNING *`).get(...params) as Row | undefined;
      if (!r) return null;
      this.audit(audit);
      return toUser(r);
    }).immediate();
  }

  async recordLoginFailure(id: string, maxFailures: number, lockUntil: string, audit: NewAuditEntry[]): Promise<UserRecord | null> {
    return this.db.transaction(() => {
      // Right-hand sides see the old row, so both CASEs test the same count.
      const r = this.db
        .prepare(
          `UPDATE users SET
             failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
             locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE locked_until END
           WHERE id = ? RETURNING *`,
        )
        .get(maxFailures, maxFailures, lockUntil, id) as Row | undefined;
      if (!r) return null;
      this.audit(audit);
      return toUser(r);
    }).immediate();
  }

  async getUser(id: string): Promise<UserRecord | null> {
    const r = this.db.prepare("SELECT * FROM users WHERE id = ?").get(id) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async getUserByUsername(username: string): Promise<UserRecord | null> {
    const r = this.db.prepare("SELECT * FROM users WHERE username = ?").get(username) as Row | undefined;
    return r ? toUser(r) : null;
  }

  async listUsers(filter: { role?: User["role"]; activeOnly?: boolean } = {}): Promise<UserRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.role) {
      where.push("role = ?");
      params.push(filter.role);
    }
    if (filter.activeOnly) where.push("active = 1");
    const sql = `SELECT * FROM users ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY username`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toUser);
  }

  // ---------------------------------------------------------------- sessions

  async insertSession(s: SessionRecord, audit: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, last_seen_at, revoked_at, ip) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(s.tokenHash, s.userId, s.csrfToken, s.createdAt, s.expiresAt, s.lastSeenAt, s.revokedAt, s.ip);
      this.audit(audit);
    }).immediate();
  }

  async getSession(tokenHash: string): Promise<SessionRecord | null> {
    const r = this.db.prepare("SELECT * FROM sessions WHERE token_hash = ?").get(tokenHash) as Row | undefined;
    return r ? toSession(r) : null;
  }

  async touchSession(tokenHash: string, at: string): Promise<void> {
    this.db.prepare("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?").run(at, tokenHash);
  }

  async revokeSession(tokenHash: string, at: string, audit: NewAuditEntry[]): Promise<boolean> {
    return this.db.transaction(() => {
      const changed = this.db.prepare("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL").run(at, tokenHash).changes;
      if (changed) this.audit(audit);
      return changed === 1;
    }).immediate();
  }

  async revokeUserSessions(userId: string, at: string, audit: NewAuditEntry[]): Promise<number> {
    return this.db.transaction(() => {
      const changed = this.db.prepare("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL").run(at, userId).changes;
      this.audit(audit);
      return changed;
    }).immediate();
  }

  // ---------------------------------------------------------------- rota

  async insertRotaEntry(e: RotaEntry, audit: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO rota_entries (id, user_id, regions, topics, schedule, dates_off, dates_on, note, active, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          e.id, e.userId, JSON.stringify(e.regions), JSON.stringify(e.topics), JSON.stringify(e.schedule),
          JSON.stringify(e.datesOff), JSON.stringify(e.datesOn), e.note, e.active ? 1 : 0, e.createdAt, e.updatedAt,
        );
      this.audit(audit);
    }).immediate();
  }

  async updateRotaEntry(e: RotaEntry, audit: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE rota_entries SET user_id = ?, regions = ?, topics = ?, schedule = ?, dates_off = ?, dates_on = ?, note = ?, active = ?, updated_at = ?
           WHERE id = ?`,
        )
        .run(
          e.userId, JSON.stringify(e.regions), JSON.stringify(e.topics), JSON.stringify(e.schedule), JSON.stringify(e.datesOff),
          JSON.stringify(e.datesOn), e.note, e.active ? 1 : 0, e.updatedAt, e.id,
        );
      this.audit(audit);
    }).immediate();
  }

  async getRotaEntry(id: string): Promise<RotaEntry | null> {
    const r = this.db.prepare("SELECT * FROM rota_entries WHERE id = ?").get(id) as Row | undefined;
    return r ? toRota(r) : null;
  }

  async listRotaEntries(filter: { activeOnly?: boolean; userId?: string } = {}): Promise<RotaEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.activeOnly) where.push("active = 1");
    if (filter.userId) {
      where.push("user_id = ?");
      params.push(filter.userId);
    }
    const sql = `SELECT * FROM rota_entries ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY created_at, id`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toRota);
  }

  // ---------------------------------------------------------------- referrals

  async insertReferral(n: NewReferral, events: NewReferralEvent[], audit: NewAuditEntry[]): Promise<{ referral: Referral; created: boolean }> {
    return this.db.transaction(() => {
      const existing = this.db.prepare("SELECT * FROM referrals WHERE escalation_id = ?").get(n.escalationId) as Row | undefined;
      if (existing) return { referral: toReferral(existing), created: false };
      // One conversation, one open referral: the caller joins the one already open.
      const open = this.db.prepare(`SELECT * FROM referrals WHERE thread_id = ? AND status <> 'closed' ORDER BY created_at DESC LIMIT 1`).get(n.threadId) as Row | undefined;
      if (open) return { referral: toReferral(open), created: false };
      const { last } = this.db
        .prepare(
          "INSERT INTO referral_sequences (year, last) VALUES (?, 1) ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
        )
        .get(n.year) as { last: number };
      const r = this.db
        .prepare(
          `INSERT INTO referrals (id, number, escalation_id, thread_id, channel, resident_key, region, topic, urgency, reason, summary, findings,
             status, owner_id, assigned_to, assigned_queue, created_at, updated_at, first_response_due, clock_started_at, response_due)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          n.id, formatReferralNumber(n.year, last), n.escalationId, n.threadId, n.channel, n.residentKey, n.region, n.topic, n.urgency,
          n.reason, n.summary, JSON.stringify(n.findings), n.status, n.ownerId, n.assignedTo, n.assignedQueue, n.createdAt, n.createdAt,
          n.responseDue, n.createdAt, n.responseDue,
        ) as Row;
      for (const e of events) this.event(n.id, e);
      this.audit(audit.map((a) => ({ ...a, targetId: a.targetId ?? n.id, detail: { ...a.detail, number: r.number } })));
      return { referral: toReferral(r), created: true };
    }).immediate();
  }

  async getReferral(id: string): Promise<Referral | null> {
    const r = this.db.prepare("SELECT * FROM referrals WHERE id = ?").get(id) as Row | undefined;
    return r ? toReferral(r) : null;
  }

  async getReferralByNumber(number: string): Promise<Referral | null> {
    const r = this.db.prepare("SELECT * FROM referrals WHERE number = ?").get(number) as Row | undefined;
    return r ? toReferral(r) : null;
  }

  async applyChange(id: string, change: ReferralChange, at: string): Promise<Referral | null> {
    const sets: string[] = ["updated_at = ?"];
    const params: unknown[] = [at];
    for (const [k, v] of Object.entries(change.patch)) {
      if (v === undefined || k === "respondedAtIfUnset") continue;
      sets.push(`${REFERRAL_COLUMNS[k as keyof typeof REFERRAL_COLUMNS]} = ?`);
      params.push(sqlValue(v));
    }
    if (change.patch.respondedAtIfUnset) {
      sets.push("responded_at = COALESCE(responded_at, ?)", "first_response_at = COALESCE(first_response_at, ?)");
      params.push(change.patch.respondedAtIfUnset, change.patch.respondedAtIfUnset);
    }
    const where = ["id = ?"];
    params.push(id);
    const g = change.guard ?? {};
    if (g.statuses) {
      where.push(`status IN (${g.statuses.map(() => "?").join(", ")})`);
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
      where.push("NOT EXISTS (SELECT 1 FROM referral_events e WHERE e.referral_id = referrals.id AND json_extract(e.detail, '$.escalationId') = ?)");
      params.push(g.notJoinedBy);
    }

    // One conditional UPDATE is the compare-and-set: whichever connection runs it second
    // finds the guard false and changes nothing (SQLite serialises writers on the file).
    return this.db.transaction(() => {
      const r = this.db.prepare(`UPDATE referrals SET ${sets.join(", ")} WHERE ${where.join(" AND ")} RETURNING *`).get(...params) as
        | Row
        | undefined;
      if (!r) return null;
      for (const e of change.events ?? []) this.event(id, e);
      if (change.rating) {
        const x = change.rating;
        this.db
          .prepare("INSERT INTO referral_ratings (referral_id, cycle, stars, comment, owner_id, at) VALUES (?, ?, ?, ?, ?, ?)")
          .run(id, x.cycle, x.stars, x.comment, x.ownerId, x.at);
      }
      this.audit((change.audit ?? []).map((a) => ({ ...a, detail: { ...a.detail, number: r.number } })));
      return toReferral(r);
    }).immediate();
  }

  async listReferrals(q: ReferralQuery): Promise<Referral[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.statuses) {
      where.push(`status IN (${q.statuses.map(() => "?").join(", ")})`);
      params.push(...q.statuses);
    }
    if (q.ownerId) {
      where.push("owner_id = ?");
      params.push(q.ownerId);
    }
    if (q.unowned) where.push("owner_id IS NULL");
    if (q.involving) {
      where.push("(owner_id = ? OR (owner_id IS NULL AND assigned_to = ?))");
      params.push(q.involving, q.involving);
    }
    if (q.clockRunning) where.push(RUNNING);
    if (q.threadId) {
      where.push("thread_id = ?");
      params.push(q.threadId);
    }
    if (q.residentKey) {
      where.push("resident_key = ?");
      params.push(q.residentKey);
    }
    if (q.channel) {
      where.push("channel = ?");
      params.push(q.channel);
    }
    if (q.visibleTo && !q.visibleTo.all) {
      const p: unknown[] = [q.visibleTo.userId, q.visibleTo.userId];
      where.push(`(owner_id = ? OR assigned_to = ? OR ${regionClause(q.visibleTo.regions, p)})`);
      params.push(...p);
    }
    if (q.overdueAt) {
      where.push(`${RUNNING} AND response_due < ?`);
      params.push(q.overdueAt);
    }
    if (q.closedSince) {
      where.push("closed_at >= ?");
      params.push(q.closedSince);
    }
    const order =
      q.order === "created_desc"
        ? "created_at DESC"
        : q.order === "closed_desc"
          ? "closed_at DESC"
          : // Most urgent first, then the nearest deadline.
            "CASE urgency WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END, response_due, created_at";
    const sql = `SELECT * FROM referrals ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY ${order}, id LIMIT ? OFFSET ?`;
    params.push(q.limit ?? 200, q.offset ?? 0);
    return (this.db.prepare(sql).all(...params) as Row[]).map(toReferral);
  }

  async countOpen(userIds: string[]): Promise<Map<string, number>> {
    const out = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return out;
    const marks = userIds.map(() => "?").join(", ");
    const rows = this.db
      .prepare(
        `SELECT COALESCE(owner_id, assigned_to) AS who, COUNT(*) AS n FROM referrals
         WHERE status <> 'closed' AND COALESCE(owner_id, assigned_to) IN (${marks}) GROUP BY who`,
      )
      .all(...userIds) as { who: string; n: number }[];
    for (const r of rows) out.set(r.who, r.n);
    return out;
  }

  async listEvents(referralId: string): Promise<ReferralEvent[]> {
    return (this.db.prepare("SELECT * FROM referral_events WHERE referral_id = ? ORDER BY id").all(referralId) as Row[]).map(toEvent);
  }

  async findEventByOutbox(outboxId: string): Promise<ReferralEvent | null> {
    const r = this.db.prepare("SELECT * FROM referral_events WHERE outbox_id = ? ORDER BY id LIMIT 1").get(outboxId) as Row | undefined;
    return r ? toEvent(r) : null;
  }

  async recordNotice(n: DeadlineNotice, event: NewReferralEvent, audit: NewAuditEntry[]): Promise<boolean> {
    return this.db.transaction(() => {
      const inserted = this.db
        .prepare("INSERT OR IGNORE INTO referral_deadline_notices (referral_id, cycle, kind, sent_at, recipients) VALUES (?, ?, ?, ?, ?)")
        .run(n.referralId, n.cycle, n.kind, n.at, JSON.stringify(n.recipients)).changes;
      if (inserted !== 1) return false;
      this.event(n.referralId, event);
      this.audit(audit);
      return true;
    }).immediate();
  }

  async listNotices(referralId: string): Promise<DeadlineNotice[]> {
    return (
      this.db.prepare("SELECT * FROM referral_deadline_notices WHERE referral_id = ? ORDER BY cycle, sent_at").all(referralId) as Row[]
    ).map(toNotice);
  }

  async listRatings(filter: { ownerId?: string; referralId?: string }): Promise<RatingRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.ownerId) {
      where.push("owner_id = ?");
      params.push(filter.ownerId);
    }
    if (filter.referralId) {
      where.push("referral_id = ?");
      params.push(filter.referralId);
    }
    const sql = `SELECT * FROM referral_ratings ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY at`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toRating);
  }

  async redactClosedBefore(cutoff: string, at: string, audit: NewAuditEntry[]): Promise<number> {
    return this.db.transaction(() => {
      const ids = (
        this.db.prepare("SELECT id FROM referrals WHERE status = 'closed' AND closed_at < ? AND redacted_at IS NULL").all(cutoff) as { id: string }[]
      ).map((r) => r.id);
      const blankReferral = this.db.prepare(
        "UPDATE referrals SET summary = '[已清除]', resident_key = '[已清除]', outcome = NULL, rating_comment = NULL, redacted_at = ? WHERE id = ?",
      );
      const blankEvents = this.db.prepare("UPDATE referral_events SET text = NULL WHERE referral_id = ? AND text IS NOT NULL");
      const blankRatings = this.db.prepare("UPDATE referral_ratings SET comment = NULL WHERE referral_id = ?");
      for (const id of ids) {
        blankReferral.run(at, id);
        blankEvents.run(id);
        blankRatings.run(id);
      }
      if (ids.length) this.audit(audit.map((a) => ({ ...a, detail: { ...a.detail, count: ids.length } })));
      return ids.length;
    }).immediate();
  }

  // ---------------------------------------------------------------- saved replies

  async listTemplates(userId: string): Promise<ReplyTemplate[]> {
    return (
      this.db.prepare("SELECT * FROM reply_templates WHERE owner_id IS NULL OR owner_id = ? ORDER BY owner_id IS NOT NULL, title").all(userId) as Row[]
    ).map(toTemplate);
  }

  async getTemplate(id: string): Promise<ReplyTemplate | null> {
    const r = this.db.prepare("SELECT * FROM reply_templates WHERE id = ?").get(id) as Row | undefined;
    return r ? toTemplate(r) : null;
  }

  async upsertTemplate(t: ReplyTemplate, audit: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO reply_templates (id, owner_id, title, body, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET owner_id = excluded.owner_id, title = excluded.title, body = excluded.body, updated_at = excluded.updated_at`,
        )
        .run(t.id, t.ownerId, t.title, t.body, t.createdBy, t.createdAt, t.updatedAt);
      this.audit(audit);
    }).immediate();
  }

  async deleteTemplate(id: string, audit: NewAuditEntry[]): Promise<boolean> {
    return this.db.transaction(() => {
      const n = this.db.prepare("DELETE FROM reply_templates WHERE id = ?").run(id).changes;
      if (n) this.audit(audit);
      return n === 1;
    }).immediate();
  }

  // ---------------------------------------------------------------- audit

  async appendAudit(entries: NewAuditEntry[]): Promise<void> {
    this.db.transaction(() => this.audit(entries)).immediate();
  }

  async listAudit(
    filter: { targetType?: AuditEntry["targetType"]; targetId?: string; actorId?: string; action?: string; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    for (const [col, v] of [
      ["target_type", filter.targetType],
      ["target_id", filter.targetId],
      ["actor_id", filter.actorId],
      ["action", filter.action],
    ] as const) {
      if (v === undefined) continue;
      where.push(`${col} = ?`);
      params.push(v);
    }
    params.push(filter.limit ?? 1000);
    const sql = `SELECT * FROM audit_log ${where.length ? "WHERE " + where.join(" AND ") : ""} ORDER BY id LIMIT ?`;
    return (this.db.prepare(sql).all(...params) as Row[]).map(toAudit);
  }
}
