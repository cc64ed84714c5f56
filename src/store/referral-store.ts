// Persistence of the referral queue: console users and sessions, the duty rota, referrals
// with their timeline, deadline notices, ratings, saved replies and the audit log.
// The interface and its types; SqlReferralStore (referral-sql.ts, on account-sql.ts) is the
// implementation for both databases. Every write that changes state takes the audit entries
// to append in the same transaction, so the audit log cannot miss a change that happened.

import type {
  AssignedQueue,
  AuditEntry,
  EscalationInput,
  NewAuditEntry,
  Referral,
  ReferralEvent,
  ReferralStatus,
  ReplyTemplate,
  RotaEntry,
  SessionRecord,
  User,
  UserRecord,
} from "../referral/types.ts";
import type { DeadlineNotice, RatingRow, REFERRAL_PATCH_FIELDS, USER_PATCH_FIELDS } from "./referral-rows.ts";

export type { DeadlineNotice, NewAuditEntry, RatingRow };

/** The user fields an update may set (USER_PATCH_FIELDS). */
export type UserPatch = Partial<Pick<UserRecord, (typeof USER_PATCH_FIELDS)[number]>>;

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

/** The referral fields a change may set (REFERRAL_PATCH_FIELDS), each written to its column. */
export type ReferralPatch = Partial<Pick<Referral, (typeof REFERRAL_PATCH_FIELDS)[number]>> & {
  /** Stops the clock: sets responded_at and (the first time only) first_response_at. */
  respondedAtIfUnset?: string;
};

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
  /** Referrals by current status (the metrics). */
  countByStatus(): Promise<{ status: string; n: number }[]>;
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

export { formatReferralNumber, toAudit, toEvent, toNotice, toRating, toReferral, toRota, toSession, toTemplate, toUser } from "./referral-rows.ts";
export { SqlReferralStore } from "./referral-sql.ts";
