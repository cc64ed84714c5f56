// Row mappers of the referral tables, read the same way from both drivers (see rows.ts), and
// the patch-field-to-column maps the store builds its UPDATEs from.

import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import type { AssignedQueue, AuditEntry, Referral, ReferralEvent, ReferralEventKind, ReferralStatus, ReplyTemplate, RotaEntry, SessionRecord, User, UserRecord } from "../referral/types.ts";
import type { DeadlineNotice, RatingRow, ReferralPatch, UserPatch } from "./referral-store.ts";

/** Referral numbers: year and a zero-padded per-year sequence, `2026-000123`. */
export function formatReferralNumber(year: number, seq: number): string {
  return `${year}-${String(seq).padStart(6, "0")}`;
}

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

/** Patch field -> column. */
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
