// The contract between the conversation core and the answering pipeline: the thread context
// in, the result out, and the reply format the core asks for. The pipeline knows no platform:
// a channel's name and limits stay with the channel (its profile); the core passes the format.
// Data flows one way: channel -> conversation core -> pipeline -> reply | escalation | silence.

import type { TextLimits } from "../text-fit.ts";
import type { ThreadContext } from "../thread-context.ts";

// The thread context is the core's and the store's data too: it lives in a module of its own.
export { EMPTY_CONTEXT, type CitedRef, type ThreadContext } from "../thread-context.ts";

/** What a resident's message is for, as the pipeline reads it. */
export type Intent =
  | "legal_question"
  | "follow_up"
  | "greeting"
  | "ask_human"
  | "feedback"
  | "emergency"
  | "out_of_scope"
  | "abuse"
  /** Nothing to act on (random letters, keyboard mash, symbols): asked to describe the problem. */
  | "unclear"
  /** The same text as the thread's previous message: acknowledged, not answered or referred again. */
  | "repeated";

/** How soon a person must pick a referral up; sets its deadline. */
export type Urgency = "normal" | "urgent" | "emergency";

/** Why the pipeline hands a question to a person. */
export type EscalationReason =
  | "low_confidence"
  | "asked_human"
  | "emergency"
  | "dissatisfied"
  | "always_lawyer"
  | "llm_failed_check"
  /** The pipeline itself failed (an exception or a timeout): a person takes over. */
  | "system_error";

/** A statute article an answer quotes, verbatim, with its validity. */
export interface Citation {
  law: string;
  article: string;
  status: string;
  /** The article text exactly as quoted to the resident (verbatim from the corpus). */
  quote: string;
  articleId: string;
}

/** What the pipeline hands on when a person should take over: why, how urgent, topic, region and findings. */
export interface EscalationRequest {
  reason: EscalationReason;
  urgency: Urgency;
  topic: string;
  region: string | null;
  summary: string;
  /** What the bot found: article ids and guide ids with scores, for the lawyer. */
  findings: { articles: { id: string; law: string; article: string; score: number }[]; guides: { id: string; title: string; score: number }[] };
}

/**
 * An answer in parts, before any layout: what a renderer turns into the message a resident
 * sees (render.ts). The first message's parts, cut to the budget that fits; `fullText` is
 * everything, for 回复【详细】.
 */
export interface AnswerParts {
  /** A sentence before the answer (the case goes to a lawyer too, the region is unknown …); "" when none. */
  lead: string;
  /** The service guide's title, when the answer is built on one. */
  title: string | null;
  /** The direct answer in two or three sentences. */
  direct: string;
  /** Next steps, most important first: a guide's steps, else one piece of general advice. */
  steps: string[];
  /** Where to go: offices with their phone numbers. */
  places: string[];
  /** The statutes the answer rests on (their text quoted verbatim). */
  citations: Citation[];
  fullText: string;
}

/** What the pipeline decided for one message. */
export interface PipelineResult {
  kind: "reply" | "silence";
  /** The reply as the resident sees it (already fitted to the channel). */
  text: string;
  /** The full reply before cutting, kept for 回复【详细】. */
  fullText: string;
  intent: Intent;
  topic: string | null;
  /** Evidence-based confidence in [0, 1]; null when no retrieval was involved. */
  confidence: number | null;
  citations: Citation[];
  guideId: string | null;
  escalation: EscalationRequest | null;
  /** Which composer wrote the explanation. */
  composer: "template" | "llm" | "none";
  /** The resident's verdict on the previous answer, when this message was feedback. */
  feedback?: "positive" | "negative";
  /**
   * What was asked after an answer ("那去哪里申请仲裁"): the answer to it leaves the thread's
   * last answer, question and guide in place, so the next follow-up still refers to them.
   */
  followUp?: FollowUpAsk[];
  /** The page of the last answer's full text this reply showed (回复【详细】), 1-based. */
  detailPart?: number;
  /** An answer composed from guides and statutes, in parts (`text` is them rendered); unset for fixed replies. */
  parts?: AnswerParts;
}

/** What a follow-up asks about the matter already answered. */
export type FollowUpAsk =
  | "where"
  | "materials"
  | "evidence"
  | "cost"
  | "legal_aid"
  | "duration"
  | "deadline"
  | "amount"
  | "refuse"
  | "how"
  | "law"
  | "detail";


/**
 * How a reply is to be shaped, as the core asks for it on behalf of a channel: its size
 * limit, how the statutes' text reaches the resident, and the wording that offers more.
 */
export interface ReplyFormat extends TextLimits {
  /**
   * "folded" when the statutes' text is shown in a fold-out list beside the message (web
   * chat), "on_request" when the resident replies 【法条】 for it (text-only channels).
   */
  statutes?: "folded" | "on_request";
  /** Replaces the first message's offers of the rest (a group asks to be @-mentioned first). */
  hints?: { detail?: string; statutes?: string };
}

/** What an answer offers beyond its first message: the full text (【详细】), the statutes' text (【法条】). */
export type AnswerOffer = "detail" | "statutes";

/** The answering pipeline as the conversation core calls it: a message, its thread's context and the channel's format in, a result out. */
export interface AnswerPipeline {
  run(text: string, ctx: ThreadContext, format: ReplyFormat): Promise<PipelineResult>;
}
