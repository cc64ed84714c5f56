// Persistence of conversations: inbound messages, threads and their history, escalations
// and the outbox of replies. What the store takes is declared here, the rows it returns by
// their mappers (conversation-rows.ts); the one implementation, for SQLite and PostgreSQL
// alike, is SqlConversationStore (conversation-sql.ts), whose methods are the interface.

import type { EscalationRequest, PipelineResult } from "../pipeline/types.ts";
import type { EscalationRow, InboundRow, MessageRole, OutboxKind, OutboxRow, OutcomeReason, StoredContext, ThreadMessageRow, ThreadRow } from "./conversation-rows.ts";
import { SqlConversationStore } from "./conversation-sql.ts";

export type * from "./conversation-rows.ts";

export interface NewThreadMessage {
  role: MessageRole;
  text: string;
  inboundId?: number | null;
  authorId?: string | null;
  meta?: Record<string, unknown>;
}

export interface NewOutbox {
  threadId: number;
  kind: OutboxKind;
  text: string;
  inboundId?: number | null;
  /** Already delivered (a channel that answers in the same request): recorded as sent. */
  sent?: boolean;
}

/** Everything that follows from processing one inbound message, written in one transaction. */
export interface Completion {
  inboundId: number;
  /** The attempts value returned by claimInbound: a completion from a lost claim is refused. */
  claim: number;
  status: "done" | "failed";
  result: PipelineResult;
  reason: OutcomeReason | null;
  error: string | null;
  /** The new thread context; null leaves it unchanged. */
  context: StoredContext | null;
  /** Record that the resident was told about this owner. */
  ownerNoticeFor?: string;
  /** History rows, appended in order and linked to the inbound message. */
  messages: NewThreadMessage[];
  escalation: EscalationRequest | null;
  reply: { kind: OutboxKind; text: string; sent: boolean } | null;
  /** The resident's rating, passed on to the referral queue after the commit. */
  rating?: { referralId: string; stars: number; comment: string | null };
}

export interface Completed {
  inbound: InboundRow;
  thread: ThreadRow;
  messages: ThreadMessageRow[];
  escalation: EscalationRow | null;
  outbox: OutboxRow | null;
}

export interface ClaimOptions {
  now: Date;
  /** A 'processing' claim older than this is taken to belong to a dead worker. */
  staleBefore: Date;
}

export interface LawyerReplyOptions {
  outboxText?: string;
  meta?: Record<string, unknown>;
}

/**
 * What the rest of the application may call: the public methods of the one implementation,
 * documented there (conversation-sql.ts), as a structural type a test double can satisfy.
 */
export type ConversationStore = Pick<SqlConversationStore, keyof SqlConversationStore>;

export { ClaimLostError, EMPTY_STORED_CONTEXT } from "./conversation-rows.ts";
export { SqlConversationStore };
