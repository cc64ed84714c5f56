// The contract between channels, the conversation core and the answering pipeline.
// Data flows one way: channel -> conversation core -> pipeline -> reply | escalation | silence.

export type ChannelName = "cli" | "web" | "wechat_oa" | "wechaty" | "telegram" | "eval";

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

export type Urgency = "normal" | "urgent" | "emergency";

export type EscalationReason =
  | "low_confidence"
  | "asked_human"
  | "emergency"
  | "dissatisfied"
  | "always_lawyer"
  | "llm_failed_check"
  /** The pipeline itself failed (an exception or a timeout): a person takes over. */
  | "system_error";

/** A message as a channel hands it over. */
export interface InboundMessage {
  channel: ChannelName;
  /** Conversation key within the channel (an OpenID, a chat id, a group member key). */
  threadKey: string;
  senderKey: string;
  /** The group the message was posted in, when any (township WeChat group, Telegram group). */
  groupKey?: string | null;
  text: string;
  /** The platform's own id, used to process a message at most once. */
  platformMessageId: string;
  receivedAt: Date;
  /** Region id from the directory (township/village), when the channel knows it. */
  region?: string | null;
}

export interface Citation {
  law: string;
  article: string;
  status: string;
  /** The article text exactly as quoted to the resident (verbatim from the corpus). */
  quote: string;
  articleId: string;
}

export interface EscalationRequest {
  reason: EscalationReason;
  urgency: Urgency;
  topic: string;
  region: string | null;
  summary: string;
  /** What the bot found: article ids and guide ids with scores, for the lawyer. */
  findings: { articles: { id: string; law: string; article: string; score: number }[]; guides: { id: string; title: string; score: number }[] };
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
}

/** What a follow-up asks about the matter already answered. */
export type FollowUpAsk = "where" | "materials" | "cost" | "duration" | "deadline" | "amount" | "refuse" | "how" | "law" | "detail";

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

/** Channel limits: WeChat text ≈ 2,000 bytes, Telegram 4,096 characters. */
export interface ChannelLimits {
  maxBytes?: number;
  maxChars?: number;
  /**
   * How the full text of cited statutes reaches the resident: "folded" when the channel
   * shows it in a fold-out list beside the message (web chat), "on_request" when the
   * resident replies 【法条】 for it (text-only channels). Presentation only: the pipeline
   * never needs to know which channel it is.
   */
  statutes?: "folded" | "on_request";
}

export const CHANNEL_LIMITS: Record<ChannelName, ChannelLimits> = {
  cli: { maxChars: 4000 },
  web: { maxChars: 6000, statutes: "folded" },
  wechat_oa: { maxBytes: 2000 },
  wechaty: { maxBytes: 2000 },
  telegram: { maxChars: 4096 },
  eval: { maxChars: 6000 },
};

export interface AnswerPipeline {
  run(text: string, ctx: ThreadContext, channel: ChannelName): Promise<PipelineResult>;
}
