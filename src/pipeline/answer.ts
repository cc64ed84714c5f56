// The answering pipeline: normalise -> intent -> (emergency | human | retrieval) ->
// confidence -> compose -> reply, escalation, or both. No language model is needed; when
// one is configured it only rewrites the explanation, and is checked before use.

import type { Logger } from "pino";
import type { ServiceDirectory } from "../knowledge/directory.ts";
import type { ArticleHit, ArticleUnit, Guide, GuideBasis, GuideHit } from "../knowledge/types.ts";
import { pickArticles, relevanceGate } from "./citations.ts";
import { compose } from "./compose.ts";
import { renderText } from "./render.ts";
import { cutToFit } from "../text-fit.ts";
import { ANSWER_THRESHOLD, confidenceOf, features, type ConfidenceFeatures } from "./confidence.ts";
import { detectEmergency, emergencyTopic, kindLabels, safetyReply, urgencyFor } from "./emergency.ts";
import { classifyIntent } from "./intent.ts";
import type { LlmExplainer } from "./llm.ts";
import type { NeighbourEvidence } from "../retrieval/question-bank.ts";
import { normalizeText, type Typo } from "./normalize.ts";
import * as R from "./replies.ts";
import { classifyTopic, type TopicDef } from "./topic.ts";
import { isNonsense, isRepeat, repeatKey } from "./unclear.ts";
import {
  type AnswerParts,
  type AnswerPipeline,
  type EscalationReason,
  type EscalationRequest,
  type FollowUpAsk,
  type Intent,
  type PipelineResult,
  type ReplyFormat,
  type ThreadContext,
  type Urgency,
} from "./types.ts";
import { verifyExplanation } from "./verify.ts";
import { composeFollowUp } from "./followup-answer.ts";
import { readFollowUp, withoutOpener } from "./followup.ts";
import { detailPage, statuteTexts } from "./thread-replies.ts";

/** What the pipeline needs from the knowledge base. */
export interface Retriever {
  searchArticles(query: string, k: number): Promise<ArticleHit[]>;
  searchGuides(query: string, k: number): GuideHit[];
  /** The current version of an article a guide names, or null. */
  basisArticle(basis: GuideBasis): ArticleUnit | null;
  /** Content words of a question, as retrieval sees them. */
  queryTerms(query: string): string[];
  /** The question's words and the legal terms its lay words stand for. */
  legalTerms?(query: string): string[];
  /** The labelled questions nearest to this one, or null without a question bank. */
  neighbours(query: string): NeighbourEvidence | null;
  /** A guide by its id (for follow-ups to the answer built on it), or null. */
  guideById?(id: string): Guide | null;
}

/** What retrieval found for a question and how sure the pipeline is, before any answer is written. */
export interface Assessment {
  articles: ArticleHit[];
  guides: GuideHit[];
  features: ConfidenceFeatures;
  confidence: number;
  /** The guide the answer is built on, or null when the articles carry it alone. */
  guide: Guide | null;
  /** Current articles of the best guide's legal basis. */
  basis: ArticleUnit[];
  /** The labelled questions nearest to this one, or null without a labelled bank. */
  neighbours: NeighbourEvidence | null;
}

/** What the answering pipeline reads (retriever, directory, topics, language model) and its thresholds. */
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

/** Places that decide a dispute (their guides say how long a case takes). */
const DECIDING = ["labour_arbitration", "arbitration", "court"];

/** A guide found again for a follow-up must be at least this close to the last question. */
const GUIDE_FALLBACK_SCORE = 0.5;

/**
 * The answering pipeline: understands a question, retrieves statutes and guides, and either
 * answers with citations and the next step or says why it escalates.
 *
 * @example
 * ```ts
 * const answerer = await createAnswerer(config, knowledge, directory, log);
 * const result = await answerer.run("单位拖欠工资怎么办", context, profileOf("web").format);
 * result.text;        // the reply, fitted to the channel
 * result.escalation;  // non-null when a person should take the question over
 * ```
 */
export class Answerer implements AnswerPipeline {
  private readonly threshold: number;
  private readonly now: () => Date;

  constructor(private readonly o: AnswererOptions) {
    this.threshold = o.threshold ?? ANSWER_THRESHOLD;
    this.now = o.now ?? (() => new Date());
  }

  async run(raw: string, ctx: ThreadContext, format: ReplyFormat): Promise<PipelineResult> {
    const norm = normalizeText(raw, { maxChars: this.o.maxMessageChars ?? 500, typos: this.o.typos });
    if (norm.empty || norm.emojiOnly) return this.fixed(R.EMPTY_TEXT, "greeting", format);

    const intent = classifyIntent(norm.text, { lastTopic: ctx.lastTopic, lastIntent: ctx.lastIntent, turnsInThread: ctx.turns });
    const note = norm.truncated ? "（您的消息较长，我先看了前面的部分。）\n\n" : "";
    const asking = intent.intent === "legal_question" || (intent.intent === "follow_up" && intent.detail !== "show_full");
    // Neither gibberish nor the same text sent again opens a referral (an emergency always does).
    if (asking && isNonsense(norm.text)) return this.fixed(R.UNCLEAR, "unclear", format);
    // A question sent again after it was referred is acknowledged, not referred again; one that
    // was answered is answered again (the first answer may not have reached them, or the
    // knowledge may have changed since) and opens no referral either way.
    if ((asking || intent.intent === "ask_human") && ctx.lastMessage?.escalated && isRepeat(ctx, raw, this.now())) {
      return { ...this.fixed(R.REPEATED_REFERRED, "repeated", format), topic: ctx.lastTopic };
    }

    switch (intent.intent) {
      case "emergency": {
        const em = intent.emergency ?? detectEmergency(norm.text);
        const urgency = urgencyFor(em.kinds);
        const text = cutToFit(safetyReply(em.kinds), format);
        const topic = emergencyTopic(em.kinds, norm.text) ?? this.topicOf(norm.text);
        return {
          ...this.base("emergency"),
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
          ...this.base("ask_human"),
          text,
          fullText: text,
          topic,
          escalation: this.escalation("asked_human", "normal", topic, ctx, ctx.lastQuestion ? `${ctx.lastQuestion}\n${norm.text}` : norm.text, [], []),
        };
      }
      case "greeting":
        return this.fixed(R.WELCOME, "greeting", format);
      case "abuse":
        return this.fixed(R.ABUSE, "abuse", format);
      case "out_of_scope":
        return this.fixed(R.OUT_OF_SCOPE, "out_of_scope", format);
      case "feedback": {
        if (intent.feedback !== "negative") return { ...this.fixed(R.THANKS, "feedback", format), feedback: "positive" };
        if (ctx.negativeFeedbackCount + 1 >= 2) {
          const text = R.escalatedNotice(R.FIRST_RESPONSE_HOURS.normal, "抱歉一直没能帮到您，");
          return {
            ...this.base("feedback"),
            feedback: "negative",
            text,
            fullText: text,
            topic: ctx.lastTopic,
            escalation: this.escalation("dissatisfied", "normal", ctx.lastTopic ?? "other", ctx, ctx.lastQuestion ?? norm.text, [], []),
          };
        }
        return { ...this.fixed(R.NEGATIVE_FEEDBACK, "feedback", format), feedback: "negative" };
      }
      case "follow_up":
      case "legal_question":
      default: {
        if (intent.detail === "show_full") return this.detailPage(ctx, format);
        if (intent.detail === "show_law") return this.statutes(ctx, format);
        // The question itself sent again is answered again in full, not read as a follow-up to itself.
        const again = ctx.lastQuestion !== null && repeatKey(ctx.lastQuestion) === repeatKey(norm.text);
        const lastGuide = ctx.lastGuideId ? this.o.retriever.guideById?.(ctx.lastGuideId) : null;
        const thread = {
          lastTopic: ctx.lastTopic,
          lastGuideId: ctx.lastGuideId,
          lastQuestion: ctx.lastQuestion,
          guideTopics: lastGuide?.topics,
          matterText: () => this.matterText(lastGuide ?? null, ctx, norm.text),
        };
        const reading = again ? ({ kind: "none" } as const) : readFollowUp(norm.text, thread, this.o.topics);
        if (reading.kind === "follow_up") {
          const answer = this.answerFollowUp(reading.asks, norm.text, ctx, format);
          if (answer) return answer;
        }
        // A matter of its own is answered fresh, not read together with the last question.
        if (reading.kind === "new_topic") return this.answerLegal(withoutOpener(norm.text), norm.text, "legal_question", ctx, format, note);
        if (intent.intent !== "follow_up") return this.answerLegal(norm.text, norm.text, "legal_question", ctx, format, note);
        // "那要赔多少钱？" is read together with the question it follows.
        return this.answerLegal(`${ctx.lastQuestion ?? ""} ${norm.text}`.trim(), norm.text, "follow_up", ctx, format, note);
      }
    }
  }

  /**
   * The guide the thread's last answer was built on; else the guide closest to the last
   * question (or, when the last turn was no answer, to this one) on the thread's topic.
   */
  private lastGuide(ctx: ThreadContext, followUp = ""): Guide | null {
    const { retriever } = this.o;
    if (ctx.lastGuideId) {
      const byId = retriever.guideById?.(ctx.lastGuideId) ?? retriever.searchGuides(ctx.lastQuestion ?? "", 5).find((h) => h.guide.id === ctx.lastGuideId)?.guide;
      if (byId) return byId;
    }
    const query = (ctx.lastQuestion ?? followUp).trim();
    if (!query || (!ctx.lastQuestion && !ctx.lastTopic)) return null;
    const hits = retriever.searchGuides(query, 5);
    const onTopic = (list: typeof hits) => list.find((h) => ctx.lastTopic !== null && h.guide.topics.includes(ctx.lastTopic))?.guide;
    const found = onTopic(hits) ?? (ctx.lastQuestion && hits[0] && hits[0].score >= GUIDE_FALLBACK_SCORE ? hits[0].guide : null);
    if (found) return found;
    // Nothing close to the words: the guide that best stands for the thread's topic (家庭暴力 after an emergency).
    const label = this.o.topics.find((t) => t.id === ctx.lastTopic)?.label;
    return label ? (onTopic(retriever.searchGuides(label, 5)) ?? null) : null;
  }

  /**
   * The words of the thread's matter: its guide, and the guides on its topic closest to the
   * thread's question and this message ("误工费" is a side of a traffic accident).
   */
  private matterText(guide: Guide | null, ctx: ThreadContext, text: string): string | undefined {
    const onTopic = ctx.lastTopic ? this.o.retriever.searchGuides(`${ctx.lastQuestion ?? ""} ${text}`, 4).filter((h) => h.guide.topics.includes(ctx.lastTopic!)).map((h) => h.guide) : [];
    const guides = [guide, ...onTopic].filter((g): g is Guide => g !== null);
    return guides.length > 0 ? guides.map((g) => [g.title, ...g.steps, g.body].join("\n")).join("\n") : undefined;
  }

  /** Answers what was asked next about the last answer's matter, from its guide and the directory. */
  private answerFollowUp(asks: FollowUpAsk[], question: string, ctx: ThreadContext, format: ReplyFormat): PipelineResult | null {
    const guide = this.lastGuide(ctx, question);
    const related = this.relatedGuides(asks, question, guide, ctx);
    const legalAid = asks.includes("legal_aid") ? this.legalAidGuide() : null;
    const text = composeFollowUp(asks, { guide, directory: this.o.directory, region: ctx.region, question, related, legalAid, lastQuestion: ctx.lastQuestion });
    if (text === null) return null;
    return { ...this.fixed(text, "follow_up", format), topic: ctx.lastTopic ?? guide?.topics[0] ?? null, guideId: guide?.id ?? null, followUp: asks, composer: "template" };
  }

  /** The guide that sends residents to a legal-aid centre first: who qualifies and how to apply. */
  private legalAidGuide(): Guide | null {
    return this.o.retriever.searchGuides("法律援助 申请条件 免费律师", 5).find((h) => h.guide.where[0] === "legal_aid")?.guide ?? null;
  }

  /**
   * Guides beside the thread's own: an open question may be about a side of the matter another
   * guide covers (孩子归谁 after 离婚); a question of time may be answered by the procedure the
   * matter leads to (the guide found for the first place it sends the resident).
   */
  private relatedGuides(asks: FollowUpAsk[], question: string, guide: Guide | null, ctx: ThreadContext): Guide[] {
    const { retriever, directory } = this.o;
    if (asks.includes("detail") || asks.includes("amount")) return retriever.searchGuides(`${ctx.lastQuestion ?? ""} ${question}`, 3).map((h) => h.guide);
    if (!guide || !(asks.includes("duration") || asks.includes("deadline"))) return [];
    // The guide of a place the matter leads to is the one that sends residents there first.
    // Deciding bodies first: "要多久" after a dispute asks how long the formal procedure takes.
    const kinds = [...guide.where].sort((a, b) => Number(DECIDING.includes(b)) - Number(DECIDING.includes(a)));
    return kinds
      .slice(0, 3)
      .map((kind) => retriever.searchGuides(directory.kindLabel(kind).split("/")[0], 3).find((h) => h.guide.where[0] === kind && h.guide.id !== guide.id)?.guide)
      .filter((g): g is Guide => g !== undefined);
  }

  /** 回复【详细】: the next page of the last answer. */
  private detailPage(ctx: ThreadContext, format: ReplyFormat): PipelineResult {
    const page = detailPage(ctx, format);
    if (!page) return { ...this.fixed(R.NO_PREVIOUS_ANSWER, "follow_up", format), topic: ctx.lastTopic };
    return { ...this.fixed(page.text, "follow_up", format), topic: ctx.lastTopic, detailPart: page.part, guideId: ctx.lastGuideId ?? null };
  }

  /** 回复【法条】: the verbatim text of the statutes the last answer cited. */
  private statutes(ctx: ThreadContext, format: ReplyFormat): PipelineResult {
    const r = statuteTexts(ctx, (b) => this.o.retriever.basisArticle(b), format, this.now());
    return { ...this.fixed(r.text, "follow_up", format), topic: ctx.lastTopic, citations: r.citations, followUp: ["law"], guideId: ctx.lastGuideId ?? null };
  }

  /** Retrieval and the evidence-based confidence for a question, without composing. */
  async assess(query: string): Promise<Assessment> {
    const { retriever } = this.o;
    const articles = await retriever.searchArticles(query, 20);
    const guides = retriever.searchGuides(query, 5);
    const bestGuide = guides[0]?.guide ?? null;
    const basis = bestGuide ? bestGuide.legalBasis.map((b) => retriever.basisArticle(b)).filter((a): a is ArticleUnit => a !== null) : [];
    const neighbours = retriever.neighbours(query);
    const f = features({ articles, guides, queryTerms: retriever.queryTerms(query), guideBasisIds: basis.map((a) => a.id), neighbours });
    // Use the guide when it is the evidence's centre of gravity; otherwise answer from articles.
    // An article named exactly keeps a guide only when the guide itself rests on it.
    const exactId = articles[0]?.exact ? articles[0].article.id : null;
    const guideUsable = bestGuide !== null && (f.guide >= 0.5 || f.agreement > 0) && (exactId === null || basis.some((a) => a.id === exactId));
    return { articles, guides, features: f, confidence: confidenceOf(f), guide: guideUsable ? bestGuide : null, basis, neighbours };
  }

  private async answerLegal(query: string, asked: string, intent: Intent, ctx: ThreadContext, format: ReplyFormat, note: string): Promise<PipelineResult> {
    const { directory } = this.o;
    const { articles, guides, confidence, guide, basis, neighbours, features: f } = await this.assess(query);
    const evidence = { basis: guide ? basis : [], hits: articles, exact: f.exact > 0, neighbours, terms: this.o.retriever.legalTerms?.(query) };
    const quoted = pickArticles(evidence);
    // The lawyer's findings show only what passed the gate a quote passes, best first.
    const passes = relevanceGate(evidence);
    const findings = articles.filter((h) => h.exact || passes(h.article));
    const topic = guide?.topics[0] ?? this.topicOf(query);
    const region = ctx.region;

    const always = ALWAYS_LAWYER.find((r) => r.re.test(asked)) ?? (guide?.alwaysEscalate ? { topic, urgency: "urgent" as Urgency } : undefined);
    // Nothing to stand on: no guide, and no retrieved article that passed the gate.
    const unsupported = guide === null && quoted.length === 0;
    if ((confidence < this.threshold || unsupported) && !always) {
      const text = cutToFit(
        note + R.escalatedNotice(R.FIRST_RESPONSE_HOURS.normal, "您的问题比较具体，我没有把握给出准确答案，为避免误导，"),
        format,
      );
      return {
        ...this.base(intent),
        text,
        fullText: text,
        topic,
        confidence,
        escalation: this.escalation("low_confidence", "normal", topic, ctx, asked, findings, guides),
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

    const focus = { terms: evidence.terms ?? this.o.retriever.queryTerms(query), question: query, articles: articles.map((h) => h.article) };
    const composed = compose({ guide, articles: quoted, directory, region, explanation, focus, now: this.now() }, format);
    const prefix = always ? "这类情况需要律师尽快介入，我已同时转给值班律师。先为您介绍一般规定：\n\n" : note;
    const parts: AnswerParts = { ...composed.parts, lead: prefix, fullText: prefix + composed.fullText };
    return {
      ...this.base(intent),
      kind: "reply",
      text: renderText(parts, format),
      fullText: parts.fullText,
      parts,
      topic,
      confidence,
      citations: composed.citations,
      guideId: guide?.id ?? null,
      composer,
      escalation: always ? this.escalation("always_lawyer", always.urgency, always.topic, ctx, asked, findings, guides) : null,
    };
  }

  private topicOf(text: string): string {
    return classifyTopic(text, this.o.topics)[0]?.topic ?? "other";
  }

  private base(intent: Intent): PipelineResult {
    return { kind: "reply", text: "", fullText: "", intent, topic: null, confidence: null, citations: [], guideId: null, escalation: null, composer: "none" };
  }

  private fixed(text: string, intent: Intent, format: ReplyFormat): PipelineResult {
    const fitted = cutToFit(text, format);
    return { ...this.base(intent), text: fitted, fullText: text };
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

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
