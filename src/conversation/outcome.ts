// What the core tells a channel about a message it handled, and what it tells its
// listeners: the receipt (duplicate or not), the outcome, and the events after a commit.

import type { PipelineResult } from "../pipeline/types.ts";
import type { Completed, InboundRow, InboundStatus, OutcomeReason, ThreadMessageRow, ThreadRow } from "../store/conversation-store.ts";
import type { GroupDecision } from "./group-privacy.ts";
import type { RateVerdict } from "./rate-limit.ts";
import { coreResult } from "./replies.ts";

/** A resident's answer to a rating request, for the referral it rates. */
export interface RatingEvent {
  threadId: number;
  referralId: string;
  stars: number;
  comment: string | null;
}

/** What became of a handled message: the result and the ids of the escalation and reply it led to. */
export interface Outcome {
  inboundId: number;
  threadId: number;
  result: PipelineResult;
  escalationId: number | null;
  outboxId: number | null;
  reason?: OutcomeReason;
}

/** What a channel gets back for a message: whether it was handled before, and its outcome. */
export interface Receipt {
  /** The message was handled before: the channel must not send the reply again. */
  duplicate: boolean;
  outcome: Outcome;
}

/** A recorded message: what a channel may acknowledge to its platform. */
export interface Ticket {
  inboundId: number;
  threadId: number;
  result: Promise<Receipt>;
  /** For a message posted in a group: its assessment, and whether it moved to a private thread. */
  group?: GroupDecision;
}

/** A resident's message in a thread, with the thread, for the referral queue to attach. */
export interface OwnedMessageEvent {
  thread: ThreadRow;
  inbound: InboundRow;
  /** The resident's message as appended to the thread history. */
  message: ThreadMessageRow;
}

/** One message to process. */
export interface Job {
  inbound: InboundRow;
  verdict: RateVerdict;
  /** A caller is waiting for this answer (not a recovery run). */
  live: boolean;
}

const FINISHED: readonly InboundStatus[] = ["done", "failed"];

/** Answered or given up on: never processed again. */
export const isFinished = (row: InboundRow) => FINISHED.includes(row.status);

/** The same ticket, its receipt marked as a duplicate (a retry joined the first attempt). */
export function asDuplicate(t: Ticket): Ticket {
  return { ...t, result: t.result.then((r) => ({ duplicate: true, outcome: r.outcome })) };
}

export function outcomeOf(done: Completed): Outcome {
  return {
    inboundId: done.inbound.id,
    threadId: done.thread.id,
    result: done.inbound.result ?? coreResult(null),
    escalationId: done.escalation?.id ?? null,
    outboxId: done.outbox?.id ?? null,
    ...(done.inbound.reason ? { reason: done.inbound.reason } : {}),
  };
}
