// The test console (测试台) and the guide editor's preview: a question run through the real
// answering pipeline as a resident on a chosen channel would get it, beside what retrieval
// found (scores and their parts), the confidence features and the escalate decision. A
// preview swaps a draft guide in for the saved one and saves nothing.

import type { FastifyInstance } from "fastify";
import type { App } from "../../app.ts";
import { Answerer, type Assessment } from "../../pipeline/answer.ts";
import { normalizeText } from "../../pipeline/normalize.ts";
import { loadTopics } from "../../pipeline/topic.ts";
import type { ChannelName } from "../../channel-message.ts";
import { profileOf } from "../../channels/profiles.ts";
import { presentAnswer, renderAnswer } from "../../conversation/index.ts";
import { EMPTY_CONTEXT, type AnswerOffer, type PipelineResult } from "../../pipeline/types.ts";
import type { GuideSearchHit } from "../../retrieval/guide-index.ts";
import type { Guide } from "../../knowledge/types.ts";
import { HttpError } from "../../server/errors.ts";
import { requireRole, str, type Body } from "./common.ts";

/** Channels a resident uses (the terminal and evaluation are not offered). */
export const RESIDENT_CHANNELS: ChannelName[] = ["web", "wechat_oa", "wechaty", "telegram"];

export function channelOf(b: Body | undefined): ChannelName {
  const c = str(b, "channel", 20) || "web";
  if (!RESIDENT_CHANNELS.includes(c as ChannelName)) throw new HttpError(400, "未知的渠道", "bad_channel");
  return c as ChannelName;
}

export function questionOf(b: Body | undefined): string {
  const q = str(b, "question", 2000).trim();
  if (!q) throw new HttpError(400, "请输入要测试的问题", "missing");
  return q;
}

/** What a resident would receive and why: the shape the console draws. */
export async function trial(app: App, answerer: Answerer, question: string, channel: ChannelName) {
  const threshold = app.config.LAWDESK_ANSWER_THRESHOLD;
  const profile = profileOf(channel);
  const { format } = profile;
  // Laid out as the channel lays it out (Telegram's offers of more are buttons, not words).
  const result = presentAnswer(profile, await answerer.run(question, { ...EMPTY_CONTEXT }, format), format);
  const buttons = result.parts ? renderAnswer(profile, result.parts, format).buttons : [];
  const norm = normalizeText(question, { maxChars: app.config.LAWDESK_MAX_MESSAGE_CHARS, typos: app.knowledge.terms.typos });
  const assessment = norm.empty ? null : await answerer.assess(norm.text);
  return { channel, limits: format, threshold, reply: replyView(result, buttons), assessment: assessment && assessmentView(assessment, threshold) };
}

function replyView(r: PipelineResult, buttons: AnswerOffer[]) {
  return {
    kind: r.kind,
    text: r.text,
    /** The offers of more the channel shows as buttons under the text. */
    buttons,
    fullText: r.fullText,
    intent: r.intent,
    topic: r.topic,
    confidence: r.confidence,
    citations: r.citations,
    guideId: r.guideId,
    composer: r.composer,
    escalated: r.escalation !== null,
    escalation: r.escalation && { reason: r.escalation.reason, urgency: r.escalation.urgency, topic: r.escalation.topic },
  };
}

function assessmentView(a: Assessment, threshold: number) {
  return {
    confidence: a.confidence,
    belowThreshold: a.confidence < threshold,
    guide: a.guide && { id: a.guide.id, title: a.guide.title },
    basis: a.basis.map((x) => ({ id: x.id, law: x.law, article: x.article, status: x.status })),
    features: a.features,
    articles: a.articles.slice(0, 10).map((h) => ({ id: h.article.id, law: h.article.law, article: h.article.article, status: h.article.status, score: h.score, exact: h.exact, parts: h.parts, excerpt: h.article.text.slice(0, 80) })),
    guides: a.guides.map((h) => ({ id: h.guide.id, title: h.guide.title, score: h.score, margin: (h as Partial<GuideSearchHit>).margin ?? null, matched: (h as Partial<GuideSearchHit>).matched ?? [] })),
  };
}

/** The pipeline with a draft guide in place: same directory, topics, threshold; no language model. */
export function previewAnswerer(app: App, draft: Guide): Answerer {
  return new Answerer({
    retriever: app.knowledge.withDraftGuide(draft),
    directory: app.directory,
    topics: loadTopics(app.config.knowledgeDir),
    typos: app.knowledge.terms.typos,
    threshold: app.config.LAWDESK_ANSWER_THRESHOLD,
    maxMessageChars: app.config.LAWDESK_MAX_MESSAGE_CHARS,
  });
}

export function testbenchRoutes(api: FastifyInstance, app: App): void {
  api.post<{ Body: Body }>("/api/console/admin/test", async (request) => {
    requireRole(request, "supervisor", "admin");
    return trial(app, app.answerer, questionOf(request.body), channelOf(request.body));
  });
}
