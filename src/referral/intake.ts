// How referrals come in: created from an escalation and dispatched (routing, notices), a later
// escalation of the same thread joined to the open one, and what the conversation core
// reports afterwards (the resident writing while a lawyer owns the thread, reply delivery).

import { randomUUID } from "node:crypto";
import type { NewReferralEvent } from "../store/referral-store.ts";
import { responseDue } from "./deadlines.ts";
import { isRegionId } from "./regions.ts";
import { MAX_TEXT, NOT_CLOSED, type ReferralContext } from "./service-context.ts";
import { toShanghai } from "./time.ts";
import { ConflictError, ValidationError, type EscalationInput, type Referral } from "./types.ts";

const URGENCIES = new Set(["normal", "urgent", "emergency"]);
const URGENCY_RANK: Record<Referral["urgency"], number> = { normal: 0, urgent: 1, emergency: 2 };
/** How many earlier messages of a thread are searched for the bot's findings. */
const FINDINGS_LOOKBACK = 60;

/**
 * Creates the referral for an escalation and dispatches it. Idempotent per escalation id:
 * a second call (a retry after a crash) returns the existing referral and notifies nobody.
 */
export async function createFromEscalation(ctx: ReferralContext, e: EscalationInput): Promise<Referral> {
  if (!e.escalationId || !e.threadId) throw new ValidationError("escalation id and thread id are required");
  if (!URGENCIES.has(e.urgency)) throw new ValidationError(`unknown urgency: ${e.urgency}`);
  // One conversation, one open referral: a later escalation of the same thread (转人工
  // after a low-confidence hand-over, an emergency word) joins the referral already open.
  const [open] = await ctx.store.listReferrals({ threadId: e.threadId, statuses: NOT_CLOSED, order: "created_desc", limit: 1 });
  if (open) return open.escalationId === e.escalationId ? open : joinEscalation(ctx, open, e);
  const now = ctx.clock();
  // An unknown region id is treated as unknown rather than dropped on the floor.
  const region = e.region && isRegionId(e.region) ? e.region : null;
  const topic = e.topic?.trim() || "other";
  const decision = await ctx.router.route(region, topic, now);
  const id = randomUUID();
  const assigned = decision.assignee !== null;

  const events: NewReferralEvent[] = [
    ctx.event(null, "created", { detail: { reason: e.reason, urgency: e.urgency, region, topic } }),
    assigned
      ? ctx.event(null, "assigned", { detail: { to: decision.assignee, matchedRegion: decision.matchedRegion, candidates: decision.candidates } })
      : ctx.event(null, "queued", { detail: { queue: "supervisor", why: "nobody_on_duty" } }),
  ];
  const audit = [
    ctx.audit(null, "referral.create", id, { escalationId: e.escalationId, urgency: e.urgency, region, topic, reason: e.reason }),
    assigned
      ? ctx.audit(null, "referral.assign", id, { to: decision.assignee, matchedRegion: decision.matchedRegion })
      : ctx.audit(null, "referral.queue", id, { queue: "supervisor" }),
  ];
  const { referral, created } = await ctx.store.insertReferral(
    {
      ...e,
      region,
      topic,
      summary: e.summary ?? "",
      // 转人工 carries no findings of its own: the bot's earlier answers in the thread do.
      findings: mergeFindings(e.findings ?? { articles: [], guides: [] }, await threadFindings(ctx, e.threadId)),
      id,
      year: toShanghai(now).year,
      status: "open",
      ownerId: null,
      assignedTo: decision.assignee,
      assignedQueue: assigned ? "lawyer" : "supervisor",
      createdAt: now.toISOString(),
      responseDue: responseDue(now, e.urgency, ctx.policy).toISOString(),
    },
    events,
    audit,
  );
  // Another escalation of this thread opened one meanwhile (another process, or recovery).
  if (!created) return referral.escalationId === e.escalationId ? referral : joinEscalation(ctx, referral, e);

  ctx.publish("referral.created", referral, null);
  const supervisors = await ctx.router.supervisorsFor(region);
  if (e.urgency === "emergency") {
    // An emergency cannot wait for one person to notice: everyone on duty and the supervisors.
    const everyone = (await ctx.router.onDuty(now)).map((m) => m.userId);
    await ctx.notify([...everyone, ...supervisors], referral, "emergency");
  } else if (assigned) {
    await ctx.notify([decision.assignee], referral, "assigned");
  } else {
    await ctx.notify(supervisors, referral, "queued");
  }
  return referral;
}

/**
 * A later escalation of a thread whose referral is still open: the resident's message lands
 * on that referral's timeline, its findings are added, a more urgent escalation raises the
 * referral's urgency (and brings its deadline forward), and the people responsible are told.
 * Idempotent per escalation id (a retry at recovery does not add the message twice).
 */
async function joinEscalation(ctx: ReferralContext, r: Referral, e: EscalationInput): Promise<Referral> {
  const events = await ctx.store.listEvents(r.id);
  if (events.some((x) => x.detail?.escalationId === e.escalationId)) return r;
  const now = ctx.clock();
  const raise = URGENCY_RANK[e.urgency] > URGENCY_RANK[r.urgency];
  const due = responseDue(now, e.urgency, ctx.policy).toISOString();
  const findings = mergeFindings(r.findings, e.findings ?? { articles: [], guides: [] });
  const text = (e.residentText ?? "").slice(0, MAX_TEXT) || null;
  const updated = await ctx.store.applyChange(r.id, {
    // Applied once per escalation even when two processes join it at the same moment.
    guard: { statuses: NOT_CLOSED, notJoinedBy: e.escalationId },
    patch: {
      findings,
      ...(raise ? { urgency: e.urgency } : {}),
      ...(raise && r.respondedAt === null && due < r.responseDue ? { responseDue: due } : {}),
    },
    events: [
      ctx.event(null, "resident_message", {
        text,
        detail: { joined: true, escalationId: e.escalationId, reason: e.reason, urgency: e.urgency, ...(raise ? { urgencyFrom: r.urgency } : {}) },
      }),
    ],
    audit: [ctx.audit(null, "referral.join", r.id, { escalationId: e.escalationId, reason: e.reason, urgency: e.urgency, raised: raise })],
  }, ctx.nowIso());
  if (!updated) {
    // Joined already elsewhere: done. Closed meanwhile: fail, so recovery opens a new one.
    if ((await ctx.store.listEvents(r.id)).some((x) => x.detail?.escalationId === e.escalationId)) return (await ctx.store.getReferral(r.id)) ?? r;
    throw new ConflictError("工单状态已变化，请刷新后重试");
  }
  ctx.publish("referral.resident_message", updated, null);
  if (raise && e.urgency === "emergency") {
    const everyone = (await ctx.router.onDuty(now)).map((m) => m.userId);
    await ctx.notify([updated.ownerId ?? updated.assignedTo, ...everyone, ...(await ctx.router.supervisorsFor(updated.region))], updated, "emergency");
  } else {
    await ctx.notify([updated.ownerId ?? updated.assignedTo], updated, "resident_message");
  }
  return updated;
}

/** The articles and guides the bot cited in the thread's earlier answers, newest first. */
async function threadFindings(ctx: ReferralContext, threadId: string): Promise<Referral["findings"]> {
  const history = await ctx.gateway.getHistory(threadId, FINDINGS_LOOKBACK).catch(() => []);
  const found: Referral["findings"] = { articles: [], guides: [] };
  for (const m of [...history].reverse()) {
    if (m.role !== "bot" || !m.meta) continue;
    const cites = Array.isArray(m.meta.citations) ? (m.meta.citations as { articleId?: unknown; law?: unknown; article?: unknown }[]) : [];
    for (const c of cites) {
      if (typeof c.articleId !== "string") continue;
      found.articles.push({ id: c.articleId, law: String(c.law ?? ""), article: String(c.article ?? ""), score: 0 });
    }
    if (typeof m.meta.guideId === "string" && m.meta.guideId) {
      found.guides.push({ id: m.meta.guideId, title: ctx.guideTitle(m.meta.guideId) ?? m.meta.guideId, score: 0 });
    }
  }
  return found;
}

/** The newest referral of a thread, for the resident's own channel (no viewer: internal use). */
export async function latestForThread(ctx: ReferralContext, threadId: string): Promise<Referral | null> {
  const [r] = await ctx.store.listReferrals({ threadId, order: "created_desc", limit: 1 });
  return r ?? null;
}

/**
 * The resident wrote while a person owns the thread (conversation core: onResidentMessageWhileOwned).
 * Lands on the open referral's timeline and pings its owner. Returns null when no referral is open.
 */
export async function residentMessage(ctx: ReferralContext, threadId: string, text: string): Promise<Referral | null> {
  const [r] = await ctx.store.listReferrals({ threadId, statuses: NOT_CLOSED, order: "created_desc", limit: 1 });
  if (!r) return null;
  const updated = await ctx.change(r, {
    patch: {},
    events: [ctx.event(null, "resident_message", { text: text.slice(0, MAX_TEXT) })],
    audit: [ctx.audit(null, "referral.resident_message", r.id, { length: text.length })],
  });
  ctx.publish("referral.resident_message", updated, null);
  await ctx.notify([r.ownerId ?? r.assignedTo], updated, "resident_message");
  return updated;
}

/**
 * Delivery outcome of a reply from the outbox. A failed or undelivered reply tells the owner
 * to reach the resident another way (回拨).
 */
export async function recordDelivery(ctx: ReferralContext, outboxId: string, status: "sent" | "failed" | "undelivered", detail: Record<string, unknown> = {}): Promise<Referral | null> {
  const ev = await ctx.store.findEventByOutbox(outboxId);
  if (!ev) return null;
  const r = await ctx.load(ev.referralId);
  const updated = await ctx.change(r, {
    patch: {},
    events: [ctx.event(null, "delivery", { outboxId, detail: { ...detail, status } })],
    audit: [ctx.audit(null, "referral.delivery", r.id, { outboxId, status })],
  });
  if (status !== "sent") {
    ctx.publish("referral.delivery_failed", updated, null);
    await ctx.notify([ev.actorId ?? r.ownerId], updated, "delivery_failed");
  }
  return updated;
}

/** Findings of both, each article and guide once (the first's score wins). */
export function mergeFindings(a: Referral["findings"], b: Referral["findings"]): Referral["findings"] {
  const articles = new Map<string, Referral["findings"]["articles"][number]>();
  const guides = new Map<string, Referral["findings"]["guides"][number]>();
  for (const x of [...a.articles, ...b.articles]) if (!articles.has(x.id)) articles.set(x.id, x);
  for (const x of [...a.guides, ...b.guides]) if (!guides.has(x.id)) guides.set(x.id, x);
  return { articles: [...articles.values()].slice(0, 12), guides: [...guides.values()].slice(0, 6) };
}
