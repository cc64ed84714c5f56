// Row mappers of the referral tables, read the same way from both drivers (see rows.ts), and
// the patch fields the store may write. The rows the store itself defines (deadline notices,
// ratings) are typed by their mappers; the others are the referral queue's types.

import type { AuditEntry, Referral, ReferralEvent, ReplyTemplate, RotaEntry, SessionRecord, UserRecord } from "../referral/types.ts";
import { flag, iso, isoOrNull, intOrNull, jsonOr, num, oneOf, reader, text, textOrNull } from "./rows.ts";

/** Referral numbers: year and a zero-padded per-year sequence, `2026-000123`. */
export function formatReferralNumber(year: number, seq: number): string {
  return `${year}-${String(seq).padStart(6, "0")}`;
}

const list = jsonOr<string[]>(() => []);
const detail = jsonOr<Record<string, unknown>>(() => ({}));

export const toUser = reader<UserRecord>({
  id: text, username: text, name: text, passwordHash: text, role: oneOf(), regions: list, topics: list, phone: textOrNull,
  active: flag, failedLogins: num, lockedUntil: isoOrNull, mustChangePassword: flag, createdAt: iso, updatedAt: iso,
});

export const toSession = reader<SessionRecord>({
  tokenHash: text, userId: text, csrfToken: text, createdAt: iso, expiresAt: iso, lastSeenAt: iso, revokedAt: isoOrNull, ip: textOrNull,
});

export const toRota = reader<RotaEntry>({
  id: text, userId: text, regions: list, topics: list, schedule: jsonOr(() => []), datesOff: list, datesOn: jsonOr(() => []),
  note: (v) => String(v ?? ""), active: flag, createdAt: iso, updatedAt: iso,
});

export const toReferral = reader<Referral>({
  id: text, number: text, escalationId: textOrNull, threadId: text, channel: oneOf(), residentKey: text, region: textOrNull,
  topic: text, urgency: oneOf(), reason: oneOf(), summary: text, findings: jsonOr(() => ({ articles: [], guides: [] })),
  status: oneOf(), ownerId: textOrNull, assignedTo: textOrNull, assignedQueue: oneOf(), threadOwned: flag, cycle: num,
  createdAt: iso, updatedAt: iso, firstResponseDue: iso, firstResponseAt: isoOrNull, clockStartedAt: iso, responseDue: iso,
  respondedAt: isoOrNull, claimedAt: isoOrNull, closedAt: isoOrNull, outcome: textOrNull, rating: intOrNull,
  ratingComment: textOrNull, redactedAt: isoOrNull,
});

export const toEvent = reader<ReferralEvent>({
  id: num, referralId: text, at: iso, actorId: textOrNull, kind: oneOf(), text: textOrNull, detail, outboxId: textOrNull,
});

export const toAudit = reader<AuditEntry>({
  id: num, at: iso, actorId: textOrNull, action: text, targetType: oneOf(), targetId: textOrNull, detail,
});

export const toTemplate = reader<ReplyTemplate>({
  id: text, ownerId: textOrNull, title: text, body: text, createdBy: text, createdAt: iso, updatedAt: iso,
});

export const toNotice = reader({ referralId: text, cycle: num, kind: oneOf<"reminder" | "overdue">(), at: ["sent_at", iso], recipients: list });
export type DeadlineNotice = ReturnType<typeof toNotice>;

export const toRating = reader({ referralId: text, cycle: num, stars: num, comment: textOrNull, ownerId: textOrNull, at: iso });
export type RatingRow = ReturnType<typeof toRating>;

/** The fields a patch may set; each is written to its column (the name in snake_case). */
export const USER_PATCH_FIELDS = [
  "name", "role", "regions", "topics", "phone", "active", "passwordHash", "mustChangePassword", "failedLogins", "lockedUntil",
] as const satisfies readonly (keyof UserRecord)[];

/** `urgency` is raised and `findings` widened when a later escalation joins the open referral. */
export const REFERRAL_PATCH_FIELDS = [
  "status", "ownerId", "assignedTo", "assignedQueue", "threadOwned", "cycle", "clockStartedAt", "responseDue", "respondedAt",
  "claimedAt", "closedAt", "outcome", "rating", "ratingComment", "urgency", "findings",
] as const satisfies readonly (keyof Referral)[];
