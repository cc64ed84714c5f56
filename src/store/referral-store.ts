// Persistence of the referral queue: console users and sessions, the duty rota, referrals
// with their timeline, deadline notices, ratings, saved replies and the audit log.
// What the store takes; SqlReferralStore (referral-sql.ts, on account-sql.ts) is the one
// implementation, for both databases, and its methods are the interface. Every write that changes state takes the audit entries
// to append in the same transaction, so the audit log cannot miss a change that happened.

import type { AssignedQueue, EscalationInput, NewAuditEntry, Referral, ReferralEvent, ReferralStatus, UserRecord } from "../referral/types.ts";
import type { DeadlineNotice, RatingRow, REFERRAL_PATCH_FIELDS, USER_PATCH_FIELDS } from "./referral-rows.ts";
import { SqlReferralStore } from "./referral-sql.ts";

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

/**
 * What the rest of the application may call: the public methods of the one implementation,
 * documented there (referral-sql.ts, account-sql.ts), as a structural type.
 */
export type ReferralStore = Pick<SqlReferralStore, keyof SqlReferralStore>;

export { formatReferralNumber } from "./referral-rows.ts";
export { SqlReferralStore };
