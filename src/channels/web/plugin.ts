// The residents' web chat (channel "web", 门户网站): an anonymous resident key in a signed
// httpOnly cookie identifies the thread; messages go through the conversation core with a
// client-generated id, so a double click or a network retry yields one answer.
//
//   GET  /api/chat/history    the thread as the resident sees it (with citations)
//   POST /api/chat/messages   { id, text, region? } → the answer
//   GET  /api/chat/events     SSE: "update" whenever a lawyer reply or notice arrives
//   GET  /api/chat/regions    townships to choose from (optional)
//   GET  /favicon.ico         the portal's icon

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { App } from "../../app.ts";
import type { Citation } from "../../pipeline/types.ts";
import { DEFAULT_DEADLINE_POLICY, type Referral } from "../../referral/index.ts";
import { HttpError } from "../../server/errors.ts";
import type { ThreadMessageRow } from "../../store/conversation-store.ts";
import type { WebChatLive } from "./live.ts";

/** The cookie that keeps a web resident's anonymous key, so the same browser sees its own thread. */
export const RESIDENT_COOKIE = "ld_rk";
/** Longer than any legal question needs; beyond this the request is refused, not cut. */
export const WEB_MAX_CHARS = 2000;
const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
const RESIDENT_KEY = /^web-[A-Za-z0-9-]{36}$/;

/** What the web chat is mounted with: the app, its live push and whether cookies are Secure. */
export interface WebChatOptions {
  app: App;
  live: WebChatLive;
  secureCookies: boolean;
  /** Per-IP limit on posted messages (the core also limits each resident). */
  messageRateLimit?: { max: number; timeWindow: number };
}

const FAVICON = readFileSync(fileURLToPath(new URL("./public/favicon.ico", import.meta.url)));

/** Where the resident's referral stands, in the resident's words. */
export type ReferralStateView = "waiting" | "claimed" | "replied" | "closed";

/** A referral as the resident's page shows it: number, plain state and the response promised, nothing internal. */
export interface ReferralView {
  number: string;
  state: ReferralStateView;
  urgency: Referral["urgency"];
  /** The promised response window ("15分钟", "2小时", "24小时"). */
  window: string;
  /** When the first response is due (ISO); null once answered or closed. */
  due: string | null;
  createdAt: string;
  closedAt: string | null;
}

function windowText(minutes: number): string {
  return minutes < 60 ? `${minutes}分钟` : minutes % 60 === 0 ? `${minutes / 60}小时` : `${(minutes / 60).toFixed(1)}小时`;
}

/** The rating request as the web shows it: its first sentence, then a pointer to the panel below. */
export function webRatingText(text: string): string {
  const first = /^[^。！？]*[。！？]/.exec(text)?.[0] ?? "";
  return `${first}请在下方为本次服务打分。`;
}

/** The resident's view of a referral (no lawyer names, notes or internal status). */
export function referralView(r: Referral): ReferralView {
  const state: ReferralStateView =
    r.status === "closed" ? "closed" : r.status === "replied" ? "replied" : r.status === "claimed" ? "claimed" : "waiting";
  return {
    number: r.number,
    state,
    urgency: r.urgency,
    window: windowText(DEFAULT_DEADLINE_POLICY.windowsMinutes[r.urgency]),
    due: r.respondedAt === null && state !== "closed" ? r.responseDue : null,
    createdAt: r.createdAt,
    closedAt: r.closedAt,
  };
}

/** One message of the resident's history as the web page draws it. */
export interface ChatMessageView {
  id: number;
  role: "resident" | "bot" | "lawyer" | "system";
  text: string;
  at: string;
  citations?: Citation[];
  escalated?: boolean;
  ratingRequest?: boolean;
  rating?: number;
}

/** The resident key from the signed cookie, or a new one (set on the reply) when `create`. */
function residentKey(request: FastifyRequest, reply: FastifyReply, create: boolean, secure: boolean): string | null {
  const raw = request.cookies[RESIDENT_COOKIE];
  if (raw) {
    const un = request.unsignCookie(raw);
    if (un.valid && un.value && RESIDENT_KEY.test(un.value)) return un.value;
  }
  if (!create) return null;
  const key = `web-${randomUUID()}`;
  void reply.setCookie(RESIDENT_COOKIE, key, {
    signed: true,
    httpOnly: true,
    sameSite: "lax",
    secure,
    path: "/",
    maxAge: 365 * 24 * 3600,
  });
  return key;
}

/**
 * The portal's chat box: the page, the resident's messages and history, and the live stream of
 * replies. Registered by the server.
 *
 * @example
 * ```ts
 * await server.register(webChatPlugin, { app, live: new WebChatLive(hub), secureCookies: true });
 * ```
 */
export async function webChatPlugin(server: FastifyInstance, opts: WebChatOptions): Promise<void> {
  const { app, live, secureCookies } = opts;
  const townships = app.directory.data.townships.map((t) => ({ id: t.id, name: t.name }));
  const regionIds = new Set(townships.map((t) => t.id));

  /** History with each bot answer's citations re-quoted verbatim from the corpus. */
  async function historyView(
    threadKey: string,
  ): Promise<{ messages: ChatMessageView[]; awaitingRating: boolean; withLawyer: boolean; referral: ReferralView | null }> {
    const thread = await app.conversations.findThread("web", threadKey);
    if (!thread) return { messages: [], awaitingRating: false, withLawyer: false, referral: null };
    const latest = await app.referrals.latestForThread(String(thread.id));
    const rows = await app.conversations.listMessages(thread.id);
    const ids = new Set<string>();
    for (const m of rows) for (const c of citationsMeta(m)) ids.add(c.articleId);
    const articles = new Map((await app.knowledge.store.getArticles([...ids])).map((a) => [a.id, a]));
    const messages: ChatMessageView[] = [];
    for (const m of rows) {
      // System rows are notes for lawyers, except the rating request the resident must see.
      if (m.role === "system" && !m.meta.ratingRequest) continue;
      const view: ChatMessageView = { id: m.id, role: m.role, text: m.text, at: m.createdAt };
      if (m.role === "bot") {
        const cites = citationsMeta(m).map((c) => ({ ...c, quote: articles.get(c.articleId)?.text ?? "" }));
        if (cites.length) view.citations = cites;
        if (m.meta.escalation) view.escalated = true;
      }
      if (m.meta.ratingRequest) {
        view.ratingRequest = true;
        // The text asks for a digit in reply, for channels without a rating panel; the web has one.
        // (A purged request keeps its blank.)
        if (/回复数字/.test(m.text)) view.text = webRatingText(m.text);
      }
      if (typeof m.meta.rating === "number") view.rating = m.meta.rating;
      messages.push(view);
    }
    return {
      messages,
      awaitingRating: !!thread.context.awaitingRating,
      withLawyer: thread.ownedBy !== null,
      referral: latest ? referralView(latest) : null,
    };
  }

  server.get("/favicon.ico", async (request, reply) => {
    void reply.header("content-type", "image/x-icon").header("cache-control", "public, max-age=86400");
    return reply.send(FAVICON);
  });

  // The referral's state shows on the resident's page: claimed, replied, closed arrive live.
  const stop = app.referrals.events.onEvent("referral.changed", (e) => {
    if (e.referral.channel === "web") live.push(e.referral.residentKey, { kind: "referral", state: referralView(e.referral).state });
  });
  server.addHook("onClose", async () => stop());

  server.get("/api/chat/regions", async () => ({ regions: townships }));

  server.get("/api/chat/history", async (request, reply) => {
    const key = residentKey(request, reply, true, secureCookies)!;
    void reply.header("cache-control", "no-store");
    return historyView(key);
  });

  server.post<{ Body: { id?: unknown; text?: unknown; region?: unknown } }>(
    "/api/chat/messages",
    { config: opts.messageRateLimit ? { rateLimit: opts.messageRateLimit } : {} },
    async (request, reply) => {
      const body = request.body ?? {};
      const text = typeof body.text === "string" ? body.text.trim() : "";
      if (!text) throw new HttpError(400, "请输入您要咨询的问题", "empty");
      if (text.length > WEB_MAX_CHARS) throw new HttpError(413, `消息过长（最多${WEB_MAX_CHARS}字），请精简或分几次发送`, "too_long");
      const clientId = typeof body.id === "string" && CLIENT_ID.test(body.id) ? body.id : null;
      if (!clientId) throw new HttpError(400, "消息编号不正确，请刷新页面后重试", "bad_id");
      const region = typeof body.region === "string" && regionIds.has(body.region) ? body.region : null;
      const key = residentKey(request, reply, true, secureCookies)!;
      const receipt = await app.core.receive({
        channel: "web",
        threadKey: key,
        senderKey: key,
        text,
        // Scoped to the resident: another resident presenting the same id must not see this answer.
        platformMessageId: `${key}:${clientId}`,
        receivedAt: new Date(),
        region,
      });
      const r = receipt.outcome.result;
      return {
        duplicate: receipt.duplicate,
        reply:
          r.kind === "reply"
            ? { text: r.text, intent: r.intent, citations: r.citations, escalated: r.escalation !== null || receipt.outcome.escalationId !== null }
            : null,
      };
    },
  );

  server.get("/api/chat/events", async (request, reply) => {
    const key = residentKey(request, reply, false, secureCookies);
    if (!key) throw new HttpError(401, "会话已失效，请刷新页面", "no_resident");
    live.subscribe(key, request, reply).send("ready", {});
  });
}

function citationsMeta(m: ThreadMessageRow): Omit<Citation, "quote">[] {
  const c = m.meta.citations;
  return Array.isArray(c) ? (c as Omit<Citation, "quote">[]).filter((x) => x && typeof x.articleId === "string") : [];
}
