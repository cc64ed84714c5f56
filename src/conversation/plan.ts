// What follows from one claimed message, decided before anything is written: the owner's
// notice, the flood notice, a rating, or the pipeline's answer (in the format the message's
// channel declared), and what the core says when the pipeline fails. The core writes the
// plan in one transaction (store.complete).

import type { AnswerPipeline, PipelineResult } from "../pipeline/types.ts";
import { maskPersonalData } from "../privacy.ts";
import type { Completion, InboundRow, NewThreadMessage, OutboxKind, ThreadRow } from "../store/conversation-store.ts";
import { contextOf, contextWithoutOwner, nextContext } from "./context.ts";
import type { Job } from "./outcome.ts";
import { formatOf, presentAnswer, type ChannelProfile } from "./profile.ts";
import { OWNED_NOTICE, PIPELINE_FAILED, RATE_LIMITED, RATING_THANKS, coreResult } from "./replies.ts";

export interface PlannerOptions {
  pipeline: AnswerPipeline;
  profiles: ReadonlyMap<string, ChannelProfile>;
  pipelineTimeoutMs: number;
  maxAttempts: number;
  parseRating: (text: string) => { stars: number; comment: string | null } | null;
  now: () => Date;
}

export class MessagePlanner {
  constructor(private readonly o: PlannerOptions) {}

  /** Decides what follows from one claimed message; throws only when the pipeline fails. */
  async plan(job: Job, thread: ThreadRow): Promise<Completion> {
    const { inbound } = job;
    const base = { inboundId: inbound.id, claim: inbound.attempts, error: null };
    const reply = (kind: OutboxKind, text: string) => ({ kind, text, sent: job.live && this.repliesInRequest(inbound) });

    // The core answers (or stays silent) without the pipeline: a notice told at most once.
    const held = (reason: "owned_by_person" | "rate_limited", notice: string | null, meta: Record<string, unknown>): Completion => ({
      ...base,
      status: "done",
      result: coreResult(notice),
      reason,
      context: null,
      messages: [residentMessage(inbound, meta), ...(notice ? [noticeMessage(notice)] : [])],
      escalation: null,
      reply: notice ? reply("notice", notice) : null,
    });

    if (thread.ownedBy !== null) {
      // A lawyer has the thread: the message goes to them; the resident is told once per owner.
      const tell = thread.ownerNoticeFor !== thread.ownedBy;
      return { ...held("owned_by_person", tell ? OWNED_NOTICE : null, { ownedBy: thread.ownedBy }), ownerNoticeFor: tell ? thread.ownedBy : undefined };
    }

    if (job.verdict !== "ok") {
      // In a township group a "slow down" would be noise for everyone else: stay silent there.
      const tell = job.verdict === "notice" && !inbound.groupKey;
      return held("rate_limited", tell ? RATE_LIMITED : null, { rateLimited: true });
    }

    if (inbound.attempts > this.o.maxAttempts) throw new Error(`gave up after ${inbound.attempts - 1} interrupted attempts`);

    const ctx = contextOf(thread);
    const rating = ctx.awaitingRating ? this.o.parseRating(inbound.text) : null;
    if (rating && ctx.awaitingRating) {
      const result = coreResult(RATING_THANKS);
      return {
        ...base,
        status: "done",
        result,
        reason: "rating",
        context: { ...contextWithoutOwner(ctx), awaitingRating: null },
        rating: { referralId: ctx.awaitingRating, stars: rating.stars, comment: rating.comment },
        messages: [residentMessage(inbound, { rating: rating.stars }), noticeMessage(RATING_THANKS)],
        escalation: null,
        reply: reply("notice", RATING_THANKS),
      };
    }
    const profile = this.o.profiles.get(inbound.channel);
    const format = formatOf(profile, !!inbound.groupKey);
    const answer = await withTimeout(
      Promise.resolve().then(() => this.o.pipeline.run(inbound.text, ctx, format)),
      this.o.pipelineTimeoutMs,
    );
    // The pipeline returns parts; the channel's profile has the last word on their layout.
    const result = presentAnswer(profile, answer, format);
    const answered = result.kind === "reply";
    return {
      ...base,
      status: "done",
      result,
      reason: null,
      context: nextContext(ctx, inbound.text, result, this.o.now()),
      messages: [residentMessage(inbound), ...(answered ? [{ role: "bot" as const, text: result.text, meta: botMeta(result) }] : [])],
      escalation: result.escalation,
      reply: answered ? reply("answer", result.text) : null,
    };
  }

  /** The message's channel answers in the response to the request that brought it. */
  private repliesInRequest(inbound: InboundRow): boolean {
    return this.o.profiles.get(inbound.channel)?.repliesInRequest ?? false;
  }

  /** The pipeline failed: apologise, point to 12348, and hand the thread to a person. */
  failurePlan(inbound: InboundRow, thread: ThreadRow, err: unknown, live: boolean): Completion {
    const ctx = contextOf(thread);
    const error = describeError(err);
    const result: PipelineResult = {
      ...coreResult(PIPELINE_FAILED),
      escalation: {
        reason: "system_error",
        urgency: "normal",
        topic: ctx.lastTopic ?? "other",
        region: ctx.region,
        summary: `自动答复失败，请人工处理（系统错误：${error}）`,
        findings: { articles: [], guides: [] },
      },
    };
    return {
      inboundId: inbound.id,
      claim: inbound.attempts,
      status: "failed",
      result,
      reason: null,
      error,
      context: null,
      messages: [residentMessage(inbound), noticeMessage(PIPELINE_FAILED)],
      escalation: result.escalation,
      reply: { kind: "notice", text: PIPELINE_FAILED, sent: live && this.repliesInRequest(inbound) },
    };
  }
}

function residentMessage(inbound: InboundRow, meta: Record<string, unknown> = {}): NewThreadMessage {
  return { role: "resident", text: inbound.text, meta };
}

function noticeMessage(text: string): NewThreadMessage {
  return { role: "bot", text, meta: { source: "core" } };
}

/** What a lawyer reading the history wants beside a bot answer. */
function botMeta(r: PipelineResult): Record<string, unknown> {
  return {
    intent: r.intent,
    topic: r.topic,
    confidence: r.confidence,
    composer: r.composer,
    guideId: r.guideId,
    citations: r.citations.map((c) => ({ articleId: c.articleId, law: c.law, article: c.article, status: c.status })),
    escalation: r.escalation ? r.escalation.reason : null,
  };
}

/** Error text for the escalation summary and the inbound row; personal data masked, bounded. */
function describeError(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return maskPersonalData(text).slice(0, 500);
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`pipeline did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
