// Rows of the conversation tables: each type is what its mapper reads, the same way from both
// drivers (see rows.ts), so a field is declared once, where its column is read.

import type { ChannelName } from "../channel-message.ts";
import type { EscalationReason, EscalationRequest, PipelineResult, Urgency } from "../pipeline/types.ts";
import { EMPTY_CONTEXT, type ThreadContext } from "../thread-context.ts";
import { intOrNull, iso, isoOrNull, jsonOr, num, oneOf, reader, text, textOrNull, type Read } from "./rows.ts";

export type InboundStatus = "received" | "processing" | "done" | "failed";
export type OutcomeReason = "rate_limited" | "owned_by_person" | "rating";
export type MessageRole = "resident" | "bot" | "lawyer" | "system";
export type OutboxKind = "answer" | "notice" | "lawyer_reply";
export type OutboxStatus = "pending" | "sent" | "failed" | "undelivered";

/** The context as stored: ownership lives in its own column, not in the JSON. */
export type StoredContext = Omit<ThreadContext, "ownedByPerson">;

const { ownedByPerson: _owner, ...emptyStored } = EMPTY_CONTEXT;
/** A new thread's stored context. */
export const EMPTY_STORED_CONTEXT: StoredContext = emptyStored;

export class ClaimLostError extends Error {
  constructor(inboundId: number) {
    super(`inbound ${inboundId}: claim lost (processed elsewhere)`);
    this.name = "ClaimLostError";
  }
}

const channel = oneOf<ChannelName>();

export const toInbound = reader({
  id: num, channel, platformMessageId: text, threadId: num, threadKey: text, senderKey: text, groupKey: textOrNull,
  region: textOrNull, text, receivedAt: iso, status: oneOf<InboundStatus>(), attempts: num, claimedAt: isoOrNull,
  result: jsonOr<PipelineResult | null>(() => null), reason: textOrNull as Read<OutcomeReason | null>, error: textOrNull,
  processedAt: isoOrNull,
});
export type InboundRow = ReturnType<typeof toInbound>;

export const toThread = reader({
  id: num, channel, threadKey: text, senderKey: text, groupKey: textOrNull, region: textOrNull,
  context: jsonOr<StoredContext>(() => EMPTY_STORED_CONTEXT), ownedBy: textOrNull, ownerNoticeFor: textOrNull, createdAt: iso, updatedAt: iso,
});
export type ThreadRow = ReturnType<typeof toThread>;

export const toMessage = reader({
  id: num, threadId: num, role: oneOf<MessageRole>(), text, createdAt: iso, inboundId: intOrNull, authorId: textOrNull,
  meta: jsonOr<Record<string, unknown>>(() => ({})),
});
export type ThreadMessageRow = ReturnType<typeof toMessage>;

export const toEscalation = reader({
  id: num, threadId: num, inboundId: intOrNull, reason: oneOf<EscalationReason>(), urgency: oneOf<Urgency>(), topic: text, region: textOrNull,
  summary: text, findings: jsonOr<EscalationRequest["findings"]>(() => ({ articles: [], guides: [] })), status: text, createdAt: iso, updatedAt: iso,
});
export type EscalationRow = ReturnType<typeof toEscalation>;

export const toOutbox = reader({
  id: num, threadId: num, channel, threadKey: text, groupKey: textOrNull, inboundId: intOrNull, kind: oneOf<OutboxKind>(), text,
  status: oneOf<OutboxStatus>(), attempts: num, claimedAt: isoOrNull, lastError: textOrNull, createdAt: iso, sentAt: isoOrNull,
  /** Handed to a passive reply (the platform's own request) at this time; such a row is never sent another way. */
  passiveAt: isoOrNull,
});
export type OutboxRow = ReturnType<typeof toOutbox>;

/** A lawyer's reply whose referral event is missing (see ConversationStore.listUnloggedLawyerReplies). */
export const toUnlogged = reader({ text, authorId: textOrNull, createdAt: iso, referralId: text, outboxId: text });
export type UnloggedReply = ReturnType<typeof toUnlogged>;
