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

/**
 * The context after one answered turn. A new answer replaces the thread's last question,
 * answer, guide and citations; a reply about the last answer (a follow-up such as "去哪里申请",
 * a page of 【详细】, the text of 【法条】) leaves them in place, so the next follow-up still
 * refers to the same matter.
 */
export function nextContext(ctx: ThreadContext, question: string, result: PipelineResult, now = new Date()): StoredContext {
  const answered = result.kind === "reply" && ANSWERING_INTENTS.has(result.intent) && result.fullText.length > 0;
  const aboutLast = result.followUp !== undefined || result.detailPart !== undefined;
  const fresh = answered && !aboutLast;
  const negative = result.feedback === "negative";
  // Once escalated for dissatisfaction, start counting again rather than escalating every turn.
  const dissatisfied = result.escalation?.reason === "dissatisfied";
  return {
    lastTopic: result.topic ?? ctx.lastTopic,
    lastIntent: result.intent,
    lastQuestion: result.intent === "legal_question" ? question : ctx.lastQuestion,
    // Keeps the last real answer for 回复【详细】; a greeting must not overwrite it.
    lastFullAnswer: fresh ? result.fullText : ctx.lastFullAnswer,
    negativeFeedbackCount: dissatisfied ? 0 : ctx.negativeFeedbackCount + (negative ? 1 : 0),
    turns: ctx.turns + 1,
    region: ctx.region,
    // Any message other than the rating itself ends the wait: the request is not repeated.
    awaitingRating: null,
    lastGuideId: fresh ? result.guideId : (ctx.lastGuideId ?? null),
    lastCitations: fresh ? result.citations.map((c) => ({ law: c.law, article: c.article, articleId: c.articleId })) : (ctx.lastCitations ?? []),
    lastDetailPart: result.detailPart ?? (fresh ? 0 : (ctx.lastDetailPart ?? 0)),
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
