// The thread state the pipeline reads to understand a follow-up and the conversation store
// keeps between messages: plain data shared by the pipeline, the core and the store, here so
// that the store need not reach into the pipeline for the shape or the empty value.

import type { Intent } from "./pipeline/types.ts";

/** A statute the last answer cited, kept so that 回复【法条】 can show its text. */
export interface CitedRef {
  law: string;
  article: string;
  articleId: string;
}

/** The thread state the pipeline needs for follow-ups. */
export interface ThreadContext {
  lastTopic: string | null;
  lastIntent: Intent | null;
  /** The last legal question asked, to interpret "那要赔多少钱？". */
  lastQuestion: string | null;
  lastFullAnswer: string | null;
  negativeFeedbackCount: number;
  turns: number;
  region: string | null;
  /** The referral whose rating (1-5) the resident was asked for, until they answer. */
  awaitingRating: string | null;
  /** A person (lawyer) owns the thread: the bot does not answer. */
  ownedByPerson: boolean;
  /** The guide the last answer was built on, for follow-ups. */
  lastGuideId?: string | null;
  /** The statutes the last answer cited, for 回复【法条】. */
  lastCitations?: CitedRef[];
  /** The last page of the last answer shown through 回复【详细】 (0: only the first message). */
  lastDetailPart?: number;
  /** The thread's previous message (its repeatKey digest), when it came, and whether it was referred. */
  lastMessage?: { key: string; at: string; escalated: boolean } | null;
}

/** A new thread's context, and what a reset returns it to (the region kept). Spread it: never change it. */
export const EMPTY_CONTEXT: ThreadContext = {
  lastTopic: null,
  lastIntent: null,
  lastQuestion: null,
  lastFullAnswer: null,
  negativeFeedbackCount: 0,
  turns: 0,
  region: null,
  awaitingRating: null,
  ownedByPerson: false,
  lastGuideId: null,
  lastCitations: [],
  lastDetailPart: 0,
  lastMessage: null,
};
