// Row mappers of the conversation tables, read the same way from both drivers (see rows.ts).

import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import type { ChannelName, EscalationReason, EscalationRequest, PipelineResult, Urgency } from "../pipeline/types.ts";
import type {
  EscalationRow,
  InboundRow,
  InboundStatus,
  MessageRole,
  OutboxKind,
  OutboxRow,
  OutboxStatus,
  OutcomeReason,
  StoredContext,
  ThreadMessageRow,
  ThreadRow,
} from "./conversation-store.ts";

export class ClaimLostError extends Error {
  constructor(inboundId: number) {
    super(`inbound ${inboundId}: claim lost (processed elsewhere)`);
    this.name = "ClaimLostError";
  }
}

export function toInbound(r: Row): InboundRow {
  return {
    id: Number(r.id),
    channel: r.channel as ChannelName,
    platformMessageId: String(r.platform_message_id),
    threadId: Number(r.thread_id),
    threadKey: String(r.thread_key),
    senderKey: String(r.sender_key),
    groupKey: read.textOrNull(r.group_key),
    region: read.textOrNull(r.region),
    text: String(r.text),
    receivedAt: read.iso(r.received_at),
    status: r.status as InboundStatus,
    attempts: Number(r.attempts),
    claimedAt: read.isoOrNull(r.claimed_at),
    result: read.json<PipelineResult | null>(r.result, null),
    reason: read.textOrNull(r.reason) as OutcomeReason | null,
    error: read.textOrNull(r.error),
    processedAt: read.isoOrNull(r.processed_at),
  };
}

export function toThread(r: Row): ThreadRow {
  return {
    id: Number(r.id),
    channel: r.channel as ChannelName,
    threadKey: String(r.thread_key),
    senderKey: String(r.sender_key),
    groupKey: read.textOrNull(r.group_key),
    region: read.textOrNull(r.region),
    context: read.json<StoredContext>(r.context, EMPTY_STORED_CONTEXT),
    ownedBy: read.textOrNull(r.owned_by),
    ownerNoticeFor: read.textOrNull(r.owner_notice_for),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

export function toMessage(r: Row): ThreadMessageRow {
  return {
    id: Number(r.id),
    threadId: Number(r.thread_id),
    role: r.role as MessageRole,
    text: String(r.text),
    createdAt: read.iso(r.created_at),
    inboundId: read.intOrNull(r.inbound_id),
    authorId: read.textOrNull(r.author_id),
    meta: read.json<Record<string, unknown>>(r.meta, {}),
  };
}

export function toEscalation(r: Row): EscalationRow {
  return {
    id: Number(r.id),
    threadId: Number(r.thread_id),
    inboundId: read.intOrNull(r.inbound_id),
    reason: r.reason as EscalationReason,
    urgency: r.urgency as Urgency,
    topic: String(r.topic),
    region: read.textOrNull(r.region),
    summary: String(r.summary),
    findings: read.json<EscalationRequest["findings"]>(r.findings, { articles: [], guides: [] }),
    status: String(r.status),
    createdAt: read.iso(r.created_at),
    updatedAt: read.iso(r.updated_at),
  };
}

export function toOutbox(r: Row): OutboxRow {
  return {
    id: Number(r.id),
    threadId: Number(r.thread_id),
    channel: r.channel as ChannelName,
    threadKey: String(r.thread_key),
    groupKey: read.textOrNull(r.group_key),
    inboundId: read.intOrNull(r.inbound_id),
    kind: r.kind as OutboxKind,
    text: String(r.text),
    status: r.status as OutboxStatus,
    attempts: Number(r.attempts),
    claimedAt: read.isoOrNull(r.claimed_at),
    lastError: read.textOrNull(r.last_error),
    createdAt: read.iso(r.created_at),
    sentAt: read.isoOrNull(r.sent_at),
    passiveAt: read.isoOrNull(r.passive_at),
  };
}

export const EMPTY_STORED_CONTEXT: StoredContext = {
  lastTopic: null,
  lastIntent: null,
  lastQuestion: null,
  lastFullAnswer: null,
  negativeFeedbackCount: 0,
  turns: 0,
  region: null,
  awaitingRating: null,
  lastGuideId: null,
  lastCitations: [],
  lastDetailPart: 0,
  lastMessage: null,
};
