// The answering pipeline: normalise -> intent -> (emergency | human | retrieval) ->
// confidence -> compose -> reply, escalation, or both. No language model is needed; when
// one is configured it only rewrites the explanation, and is checked before use.

import type { Logger } from "pino";
import type { ServiceDirectory } from "../knowledge/directory.ts";
import type { ArticleHit, ArticleUnit, Guide, GuideBasis, GuideHit } from "../knowledge/types.ts";
import { compose, cutToFit, splitForChannel } from "./compose.ts";
import { ANSWER_THRESHOLD, confidenceOf, features, type ConfidenceFeatures } from "./confidence.ts";
import { detectEmergency, emergencyTopic, kindLabels, safetyReply, urgencyFor } from "./emergency.ts";
import { classifyIntent } from "./intent.ts";
import type { LlmExplainer } from "./llm.ts";
import type { NeighbourEvidence } from "../retrieval/question-bank.ts";
import { normalizeText, type Typo } from "./normalize.ts";
import * as R from "./replies.ts";
import { classifyTopic, type TopicDef } from "./topic.ts";
import { isNonsense, isRepeat } from "./unclear.ts";
import {
  CHANNEL_LIMITS,
  type AnswerPipeline,
  type ChannelName,
  type EscalationReason,
  type EscalationRequest,
  type Intent,
  type PipelineResult,
  type ThreadContext,
  type Urgency,
} from "./types.ts";
import { verifyExplanation } from "./verify.ts";

/** What the pipeline needs from the knowledge base. */
export interface Retriever {
  searchArticles(query: string, k: number): Promise<ArticleHit[]>;
  searchGuides(query: string, k: number): GuideHit[];
  /** The current version of an article a guide names, or null. */
  basisArticle(basis: GuideBasis): ArticleUnit | null;
  /** Content words of a question, as retrieval sees them. */
  queryTerms(query: string): string[];
  /** The labelled questions nearest to this one, or null without a question bank. */
  neighbours(query: string): NeighbourEvidence | null;
}

export interface Assessment {
  articles: ArticleHit[];
  guides: GuideHit[];
  features: ConfidenceFeatures;
  confidence: number;
  /** The guide the answer is built on, or null when the articles carry it alone. */
  guide: Guide | null;
  /** Current articles of the best guide's legal basis. */
  basis: ArticleUnit[];
}

export interface AnswererOptions {
  retriever: Retriever;
  directory: ServiceDirectory;
  topics: TopicDef[];
  typos: Typo[];
  llm?: LlmExplainer | null;
  log?: Logger;
  threshold?: number;
  maxMessageChars?: number;
  now?: () => Date;
}

// Matters a person must take over even when the answer is clear.
const ALWAYS_LAWYER: { re: RegExp; topic: string; urgency: Urgency }[] = [
  { re: /(?:被|让|给)(?:警察|公安|派出所)?(?:抓|带走|拘留|刑拘|关起来)|刑事拘留|逮捕|羁押|看守所/, topic: "criminal", urgency: "urgent" },
  { re: /(?:明天|后天|下周|这周|过几天|[0-9一二三四五六七八九十两]+天(?:后|内|就))(?:就)?(?:要)?开庭|上诉期(?:快|还剩|只剩)|(?:还剩|只剩|只有)[0-9一二三四五六七八九十两]+天.{0,6}(?:上诉|开庭|答辩|举证)/, topic: "lawyer", urgency: "urgent" },
  { re: /(?:被|我)(?:公诉|起诉.{0,4}(?:罪|刑事))|检察院.{0,6}(?:起诉|审查)|刑事(?:案件|责任|附带)|判刑|坐牢|犯罪嫌疑人|被告人/, topic: "criminal", urgency: "urgent" },
];

export class Answerer implements AnswerPipeline {
  private readonly threshold: number;
  private readonly now: () => Date;

  constructor(private readonly o: AnswererOptions) {
    this.threshold = o.threshold ?? ANSWER_THRESHOLD;
    this.now = o.now ?? (() => new Date());
  }

  async run(raw: string, ctx: ThreadContext, channel: ChannelName): Promise<PipelineResult> {
    const limits = CHANNEL_LIMITS[channel];
    const norm = normalizeText(raw, { maxChars: this.o.maxMessageChars ?? 500, typos: this.o.typos });
    if (norm.empty || norm.emojiOnly) return this.fixed(R.EMPTY_TEXT, "greeting", channel);

    const intent = classifyIntent(norm.text, { lastTopic: ctx.lastTopic, lastIntent: ctx.lastIntent, turnsInThread: ctx.turns });
    const note = norm.truncated ? "（您的消息较长，我先看了前面的部分。）\n\n" : "";
    const asking = intent.intent === "legal_question" || (intent.intent === "follow_up" && intent.detail !== "show_full");
    // Neither gibberish nor the same text sent again opens a referral (an emergency always does).
    if (asking && isNonsense(norm.text)) return this.fixed(R.UNCLEAR, "unclear", channel);
    if ((asking || intent.intent === "ask_human") && isRepeat(ctx, raw, this.now())) {
      const text = ctx.lastMessage?.escalated ? R.REPEATED_REFERRED : R.REPEATED_ANSWERED;
      return { ...this.fixed(text, "repeated", channel), topic: ctx.lastTopic };
    }

    switch (intent.intent) {
      case "emergency": {
        const em = intent.emergency ?? detectEmergency(norm.text);
        const urgency = urgencyFor(em.kinds);
        const text = cutToFit(safetyReply(em.kinds), limits);
        const topic = emergencyTopic(em.kinds, norm.text) ?? this.topicOf(norm.text);
        return {
          ...this.base("emergency", channel),
          text,
          fullText: text,
          topic,
          escalation: this.escalation("emergency", urgency, topic, ctx, norm.text, [], [], `紧急情况（${kindLabels(em.kinds)}）：${em.cues.join("；")}`),
        };
      }
      case "ask_human": {
        const topic = ctx.lastTopic ?? this.topicOf(norm.text);
        const text = R.escalatedNotice(R.FIRST_RESPONSE_HOURS.normal, "好的，");
        return {
          ...this.base("ask_human", channel),
          text,
          fullText: text,
          topic,
          escalation: this.escalation("asked_human", "normal", topic, ctx, ctx.lastQuestion ? `${ctx.lastQuestion}\n${norm.text}` : norm.text, [], []),
        };
      }
      case "greeting":
        return this.fixed(R.WELCOME, "greeting", channel);
      case "abuse":
        return this.fixed(R.ABUSE, "abuse", channel);
      case "out_of_scope":
        return this.fixed(R.OUT_OF_SCOPE, "out_of_scope", channel);
      case "feedback": {
        if (intent.feedback !== "negative") return { ...this.fixed(R.THANKS, "feedback", channel), feedback: "positive" };
        if (ctx.negativeFeedbackCount + 1 >= 2) {
          const text = R.escalatedNotice(R.FIRST_RESPONSE_HOURS.normal, "抱歉一直没能帮到您，");
          return {
            ...this.base("feedback", channel),
            feedback: "negative",
            text,
            fullText: text,
            topic: ctx.lastTopic,
            escalation: this.escalation("dissatisfied", "normal", ctx.lastTopic ?? "other", ctx, ctx.lastQuestion ?? norm.text, [], []),
          };
        }
        return { ...this.fixed(R.NEGATIVE_FEEDBACK, "feedback", channel), feedback: "negative" };
      }
      case "follow_up":
        if (intent.detail === "show_full") {
          const full = ctx.lastFullAnswer;
          const text = full ? splitForChannel(full, limits)[0] : R.NO_PREVIOUS_ANSWER;
          return { ...this.fixed(text, "follow_up", channel), fullText: full ?? text, topic: ctx.lastTopic };
        }
        // "那要赔多少钱？" is read together with the question it follows.
        return this.answerLegal(`${ctx.lastQuestion ?? ""} ${norm.text}`.trim(), norm.text, "follow_up", ctx, channel, note);
      case "legal_question":
      default:
        return this.answerLegal(norm.text, norm.text, "legal_question", ctx, channel, note);
    }
  }

  /** Retrieval and the evidence-based confidence for a question, without composing. */
  async assess(query: string): Promise<Assessment> {
    const { retriever } = this.o;
    const articles = await retriever.searchArticles(query, 20);
    const guides = retriever.searchGuides(query, 5);
    const bestGuide = guides[0]?.guide ?? null;
    const basis = bestGuide ? bestGuide.legalBasis.map((b) => retriever.basisArticle(b)).filter((a): a is ArticleUnit => a !== null) : [];
    const f = features({ articles, guides, queryTerms: retriever.queryTerms(query), guideBasisIds: basis.map((a) => a.id), neighbours: retriever.neighbours(query) });
    // Use the guide when it is the evidence's centre of gravity; otherwise answer from articles.
    // An article named exactly keeps a guide only when the guide itself rests on it.
    const exactId = articles[0]?.exact ? articles[0].article.id : null;
    const guideUsable = bestGuide !== null && (f.guide >= 0.5 || f.agreement > 0) && (exactId === null || basis.some((a) => a.id === exactId));
    return { articles, guides, features: f, confidence: confidenceOf(f), guide: guideUsable ? bestGuide : null, basis };
  }

  private async answerLegal(query: string, asked: string, intent: Intent, ctx: ThreadContext, channel: ChannelName, note: string): Promise<PipelineResult> {
    const limits = CHANNEL_LIMITS[channel];
    const { directory } = this.o;
    const { articles, guides, confidence, guide, basis, features: f } = await this.assess(query);
    const quoted = pickArticles(guide ? basis : [], articles, f.exact > 0);
    const topic = guide?.topics[0] ?? this.topicOf(query);
    const region = ctx.region;

    const always = ALWAYS_LAWYER.find((r) => r.re.test(asked)) ?? (guide?.alwaysEscalate ? { topic, urgency: "urgent" as Urgency } : undefined);
    if (confidence < this.threshold && !always) {
      const text = cutToFit(
        note + R.escalatedNotice(R.FIRST_RESPONSE_HOURS.normal, "您的问题比较具体，我没有把握给出准确答案，为避免误导，"),
        limits,
      );
      return {
        ...this.base(intent, channel),
        text,
        fullText: text,
        topic,
        confidence,
        escalation: this.escalation("low_confidence", "normal", topic, ctx, asked, articles, guides),
      };
    }

    let explanation: string | undefined;
    let composer: PipelineResult["composer"] = "template";
    if (this.o.llm && quoted.length + (guide ? 1 : 0) > 0) {
      try {
        const materials = quoted.map((a, i) => ({ n: i + 1, label: `《${a.law}》${a.article}`, text: a.text }));
        const draft = await this.o.llm.explain(query, materials);
        const check = verifyExplanation(draft, materials, quoted);
        if (check.ok) {
          explanation = check.text;
          composer = "llm";
        } else {
          this.o.log?.warn({ reason: check.reason }, "language model answer failed the citation check; using the template");
        }
      } catch (e) {
        this.o.log?.warn({ err: (e as Error).message }, "language model unavailable; using the template");
      }
    }

    const composed = compose({ guide, articles: quoted, directory, region, explanation, now: this.now() }, limits);
    const prefix = always ? "这类情况需要律师尽快介入，我已同时转给值班律师。先为您介绍一般规定：\n\n" : note;
    const text = prefix ? cutToFit(prefix + composed.text, limits) : composed.text;
    return {
      ...this.base(intent, channel),
      kind: "reply",
      text,
      fullText: prefix + composed.fullText,
      topic,
      confidence,
      citations: composed.citations,
      guideId: guide?.id ?? null,
      composer,
      escalation: always ? this.escalation("always_lawyer", always.urgency, always.topic, ctx, asked, articles, guides) : null,
    };
  }

  private topicOf(text: string): string {
    return classifyTopic(text, this.o.topics)[0]?.topic ?? "other";
  }

  private base(intent: Intent, _channel: ChannelName): PipelineResult {
    return { kind: "reply", text: "", fullText: "", intent, topic: null, confidence: null, citations: [], guideId: null, escalation: null, composer: "none" };
  }

  private fixed(text: string, intent: Intent, channel: ChannelName): PipelineResult {
    const fitted = cutToFit(text, CHANNEL_LIMITS[channel]);
    return { ...this.base(intent, channel), text: fitted, fullText: text };
  }

  private escalation(
    reason: EscalationReason,
    urgency: Urgency,
    topic: string,
    ctx: ThreadContext,
    question: string,
    articles: ArticleHit[],
    guides: GuideHit[],
    extra?: string,
  ): EscalationRequest {
    return {
      reason,
      urgency,
      topic,
      region: ctx.region,
      summary: (extra ? `${extra}\n` : "") + question.slice(0, 500),
      findings: {
        articles: articles.slice(0, 8).map((h) => ({ id: h.article.id, law: h.article.law, article: h.article.article, score: round(h.score) })),
        guides: guides.slice(0, 3).map((g) => ({ id: g.guide.id, title: g.guide.title, score: round(g.score) })),
      },
    };
  }
}

/**
 * At most three articles, no repeats, most trustworthy first: an exact citation; the guide's
 * basis that retrieval found too; the rest of the guide's basis; then the top retrieved
 * articles. (Putting articles that answered similar labelled questions first was measured
 * and cited the relevant article less often.)
 */
function pickArticles(basis: ArticleUnit[], hits: ArticleHit[], exact: boolean): ArticleUnit[] {
  const out: ArticleUnit[] = [];
  const add = (a: ArticleUnit) => {
    if (!out.some((x) => x.id === a.id) && out.length < 3) out.push(a);
  };
  if (exact && hits[0]) add(hits[0].article);
  const top = new Set(hits.slice(0, 10).map((h) => h.article.id));
  for (const a of basis) if (top.has(a.id)) add(a);
  for (const a of basis.slice(0, 2)) add(a);
  if (basis.length === 0) for (const h of hits.slice(0, 3)) add(h.article);
  else if (hits[0] && !basis.some((a) => a.law === hits[0].article.law)) add(hits[0].article);
  return out;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
