// The thread context the pipeline sees, and how one answered turn moves it forward.
// Pure functions: no language work happens here, only bookkeeping of what the pipeline said.

import type { PipelineResult, ThreadContext } from "../pipeline/types.ts";
import { repeatKey } from "../pipeline/unclear.ts";
import { EMPTY_STORED_CONTEXT, type StoredContext, type ThreadRow } from "../store/conversation-store.ts";

/** The context handed to the pipeline: the stored one plus ownership and the thread's region. */
export function contextOf(thread: ThreadRow): ThreadContext {
  return {
    ...EMPTY_STORED_CONTEXT,
    ...thread.context,
    region: thread.region ?? thread.context.region ?? null,
    ownedByPerson: thread.ownedBy !== null,
  };
}

const ANSWERING_INTENTS = new Set(["legal_question", "follow_up"]);

export function nextContext(ctx: ThreadContext, question: string, result: PipelineResult, now = new Date()): StoredContext {
  const answered = result.kind === "reply" && ANSWERING_INTENTS.has(result.intent) && result.fullText.length > 0;
  const negative = result.feedback === "negative";
  // Once escalated for dissatisfaction, start counting again rather than escalating every turn.
  const dissatisfied = result.escalation?.reason === "dissatisfied";
  return {
    lastTopic: result.topic ?? ctx.lastTopic,
    lastIntent: result.intent,
    lastQuestion: result.intent === "legal_question" ? question : ctx.lastQuestion,
    // Keeps the last real answer for 回复【详细】; a greeting must not overwrite it.
    lastFullAnswer: answered ? result.fullText : ctx.lastFullAnswer,
    negativeFeedbackCount: dissatisfied ? 0 : ctx.negativeFeedbackCount + (negative ? 1 : 0),
    turns: ctx.turns + 1,
    region: ctx.region,
    // Any message other than the rating itself ends the wait: the request is not repeated.
    awaitingRating: null,
    // A repeat keeps what its original led to (referred or answered) for the next repeat.
    lastMessage: {
      key: repeatKey(question),
      at: now.toISOString(),
      escalated: result.intent === "repeated" ? (ctx.lastMessage?.escalated ?? false) : result.escalation !== null,
    },
  };
}

/** The stored part of a context (ownership lives on the thread row, not in the JSON). */
export function contextWithoutOwner(ctx: ThreadContext): StoredContext {
  const { ownedByPerson: _owned, ...stored } = ctx;
  return stored;
}
