// Row mappers of the conversation tables, read the same way from both drivers (see rows.ts).

import type { PipelineResult } from "../pipeline/types.ts";
import { EMPTY_CONTEXT } from "../thread-context.ts";
import type { EscalationRow, InboundRow, OutboxRow, OutcomeReason, StoredContext, ThreadMessageRow, ThreadRow, UnloggedReply } from "./conversation-store.ts";
import { intOrNull, iso, isoOrNull, jsonOr, num, oneOf, reader, text, textOrNull, type Read } from "./rows.ts";

export class ClaimLostError extends Error {
  constructor(inboundId: number) {
    super(`inbound ${inboundId}: claim lost (processed elsewhere)`);
    this.name = "ClaimLostError";
  }
}

export const toInbound = reader<InboundRow>({
  id: num, channel: oneOf(), platformMessageId: text, threadId: num, threadKey: text, senderKey: text, groupKey: textOrNull,
  region: textOrNull, text, receivedAt: iso, status: oneOf(), attempts: num, claimedAt: isoOrNull,
  result: jsonOr<PipelineResult | null>(() => null), reason: textOrNull as Read<OutcomeReason | null>, error: textOrNull,
  processedAt: isoOrNull,
});

export const toThread = reader<ThreadRow>({
  id: num, channel: oneOf(), threadKey: text, senderKey: text, groupKey: textOrNull, region: textOrNull,
  context: jsonOr(() => EMPTY_STORED_CONTEXT), ownedBy: textOrNull, ownerNoticeFor: textOrNull, createdAt: iso, updatedAt: iso,
});

export const toMessage = reader<ThreadMessageRow>({
  id: num, threadId: num, role: oneOf(), text, createdAt: iso, inboundId: intOrNull, authorId: textOrNull,
  meta: jsonOr(() => ({})),
});

export const toEscalation = reader<EscalationRow>({
  id: num, threadId: num, inboundId: intOrNull, reason: oneOf(), urgency: oneOf(), topic: text, region: textOrNull, summary: text,
  findings: jsonOr(() => ({ articles: [], guides: [] })), status: text, createdAt: iso, updatedAt: iso,
});

export const toOutbox = reader<OutboxRow>({
  id: num, threadId: num, channel: oneOf(), threadKey: text, groupKey: textOrNull, inboundId: intOrNull, kind: oneOf(), text,
  status: oneOf(), attempts: num, claimedAt: isoOrNull, lastError: textOrNull, createdAt: iso, sentAt: isoOrNull, passiveAt: isoOrNull,
});

export const toUnlogged = reader<UnloggedReply>({ text, authorId: textOrNull, createdAt: iso, referralId: text, outboxId: text });

// A thread's owner is a column of its own, not part of the stored context.
const { ownedByPerson: _owner, ...emptyStored } = EMPTY_CONTEXT;
/** A new thread's stored context. */
export const EMPTY_STORED_CONTEXT: StoredContext = emptyStored;
