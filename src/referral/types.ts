// Domain types of the referral queue (工单): console users, the duty rota, referrals and
// their timeline, and the typed errors every acting method throws.

import type { ChannelName } from "../channel-message.ts";
import type { EscalationReason, EscalationRequest, Urgency } from "../pipeline/types.ts";

export type { ChannelName, Urgency };

/** A console user's role: lawyer (their referrals), supervisor (their regions) or admin (everything). */
export type Role = "lawyer" | "supervisor" | "admin";

/** A console user (duty lawyer, village adviser, supervisor, admin): regions, topics and account state, no password hash. */
export interface User {
  id: string;
  username: string;
  name: string;
  role: Role;
  /** Hierarchical region ids (`qinghe`, `qinghe.dongzhen`, `qinghe.dongzhen.lijiacun`). */
  regions: string[];
  /** Topics of expertise (topic ids from knowledge/topics.yaml). */
  topics: string[];
  phone: string | null;
  active: boolean;
  failedLogins: number;
  lockedUntil: string | null;
  mustChangePassword: boolean;
  createdAt: string;
  updatedAt: string;
}

/** A user as stored, with the password hash (never leaves the auth service). */
export interface UserRecord extends User {
  passwordHash: string;
}

/** A console session as stored: only the token's hash, the CSRF token and its times. */
export interface SessionRecord {
  tokenHash: string;
  userId: string;
  csrfToken: string;
  createdAt: string;
  expiresAt: string;
  lastSeenAt: string;
  revokedAt: string | null;
  ip: string | null;
}

/** One weekly duty slot; `end <= start` means the slot runs past midnight. */
export interface WeeklySlot {
  /** ISO day of week: 1 = Monday … 7 = Sunday. */
  day: number;
  start: string;
  end: string;
}

/** An extra duty date outside the weekly slots, whole day or hours. */
export interface ExtraDuty {
  date: string;
  start?: string;
  end?: string;
}

/** One person's place on the duty rota: regions and topics, weekly slots, dates off and on. */
export interface RotaEntry {
  id: string;
  userId: string;
  regions: string[];
  /** Empty = every topic. */
  topics: string[];
  schedule: WeeklySlot[];
  /** Dates (YYYY-MM-DD, Asia/Shanghai) off: holidays, leave. A slot starting that day is off. */
  datesOff: string[];
  /** Extra duty on dates outside the weekly schedule (whole day unless start/end given). */
  datesOn: ExtraDuty[];
  note: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What a rota entry is created or edited with. */
export type RotaEntryInput = Pick<RotaEntry, "userId" | "regions"> &
  Partial<Pick<RotaEntry, "topics" | "schedule" | "datesOff" | "datesOn" | "note" | "active">>;

/** Where a referral is in its life: open, claimed, replied, closed, transferred or reopened. */
export type ReferralStatus = "open" | "claimed" | "replied" | "closed" | "transferred" | "reopened";
/** Who is expected to pick the referral up: a named person, the supervisors, or anyone in the region. */
export type AssignedQueue = "lawyer" | "supervisor" | "pool";

/** What the pipeline found before escalating (articles and guides, with scores), shown to the lawyer. */
export type Findings = EscalationRequest["findings"];

/**
 * A work order (工单): a resident's question handed to a person, with who holds it, its deadline
 * and what the pipeline found.
 */
export interface Referral {
  id: string;
  number: string;
  escalationId: string | null;
  threadId: string;
  channel: ChannelName;
  residentKey: string;
  region: string | null;
  topic: string;
  urgency: Urgency;
  reason: EscalationReason;
  summary: string;
  findings: Findings;
  status: ReferralStatus;
  ownerId: string | null;
  assignedTo: string | null;
  assignedQueue: AssignedQueue;
  threadOwned: boolean;
  cycle: number;
  createdAt: string;
  updatedAt: string;
  firstResponseDue: string;
  firstResponseAt: string | null;
  clockStartedAt: string;
  responseDue: string;
  respondedAt: string | null;
  claimedAt: string | null;
  closedAt: string | null;
  outcome: string | null;
  rating: number | null;
  ratingComment: string | null;
  redactedAt: string | null;
}

/** What the conversation core hands over when it escalates a thread. */
export interface EscalationInput extends EscalationRequest {
  /** The conversation core's escalation id; makes creation idempotent. */
  escalationId: string;
  threadId: string;
  channel: ChannelName;
  residentKey: string;
  /** The resident's message that escalated (shown on the open referral it joins). */
  residentText?: string;
}

/** The kinds of entry on a referral's timeline. */
export type ReferralEventKind =
  | "created"
  | "assigned"
  | "queued"
  | "claimed"
  | "transferred"
  | "reassigned"
  | "handed_back"
  | "reply"
  | "note"
  | "closed"
  | "reopened"
  | "rating_requested"
  | "rated"
  | "reminder"
  | "overdue"
  | "resident_message"
  | "delivery"
  | "redacted";

/** One entry on a referral's timeline (claimed, replied, note, delivery, rating …). */
export interface ReferralEvent {
  id: number;
  referralId: string;
  at: string;
  actorId: string | null;
  kind: ReferralEventKind;
  /** Reply, note or resident text. Internal notes are never sent to the resident. */
  text: string | null;
  detail: Record<string, unknown>;
  outboxId: string | null;
}

/** One audited action: who (or the system) did what to which record, with details. */
export interface AuditEntry {
  id: number;
  at: string;
  /** null = the system (routing, deadline check, resident actions). */
  actorId: string | null;
  action: string;
  targetType: "referral" | "user" | "session" | "rota" | "template" | "system";
  targetId: string | null;
  detail: Record<string, unknown>;
}

/** An audit entry before the store numbers it. */
export type NewAuditEntry = Omit<AuditEntry, "id">;

/** A common reply a lawyer may insert: personal, shared, or shipped with lawdesk. */
export interface ReplyTemplate {
  id: string;
  /** null = shared with everyone. */
  ownerId: string | null;
  title: string;
  body: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** Why a person is notified about a referral (assigned, queued, emergency, deadline reminder, overdue …). */
export type NotifyKind =
  | "assigned"
  | "queued"
  | "emergency"
  | "transferred"
  | "returned_to_pool"
  | "reopened"
  | "deadline_reminder"
  | "deadline_overdue"
  | "resident_message"
  | "delivery_failed"
  | "rated";

// ---------------------------------------------------------------- errors

/** Base of the errors the console maps to HTTP statuses; `message` is shown to the user. */
export class ReferralError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The acting user may not see or do this (HTTP 403). */
export class ForbiddenError extends ReferralError {
  constructor(message = "无权执行此操作") {
    super(message, "forbidden");
  }
}

/** The referral, user or entry asked for does not exist (HTTP 404). */
export class NotFoundError extends ReferralError {
  constructor(message = "记录不存在") {
    super(message, "not_found");
  }
}

/** The state changed under the caller (already claimed, already closed …) (HTTP 409). */
export class ConflictError extends ReferralError {
  constructor(message: string) {
    super(message, "conflict");
  }
}

/** Bad input (HTTP 400). */
export class ValidationError extends ReferralError {
  constructor(message: string) {
    super(message, "invalid");
  }
}

/** Login failed or the session is gone (HTTP 401). Deliberately vague about why. */
export class AuthError extends ReferralError {
  constructor(message = "用户名或密码错误", code = "auth_failed") {
    super(message, code);
  }
}
