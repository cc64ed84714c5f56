// What lawyers and supervisors do with a referral: claim (首问负责), transfer and reassign,
// hand the thread back to the bot, reply, note, close, reopen; and the resident's rating
// (一案一评). Each checks access, writes the change with its timeline and audit entries in
// one guarded update, then moves the thread's owner, notifies and publishes.

import { assertCan, assertCanView, canView } from "./access.ts";
import { responseDue } from "./deadlines.ts";
import type { ThreadHistoryItem } from "./ports.ts";
import { CLAIMABLE, NOT_CLOSED, requireText, type ReferralContext } from "./service-context.ts";
import { ConflictError, ForbiddenError, ValidationError, type Referral, type User } from "./types.ts";

// A resident's thanks or "ok" after a lawyer's reply, unless it also asks something.
const ACKNOWLEDGEMENT = /^(?:好的?|好嘞|行|可以|嗯+|谢谢|多谢|感谢|收到|知道了|明白了?|懂了|ok)|(?:谢谢|多谢|感谢|收到|知道了|明白了)/i;
const OPEN_QUESTION = /[?？]|吗|么|怎么|咋|如何|能不能|可不可以|是不是|多少|多久|哪里|什么|啥/;

/**
 * 首问负责: the first to claim owns the referral and its thread until close or transfer.
 * Exactly one of several simultaneous claims wins (a conditional UPDATE); the others get
 * ConflictError. Claiming again what one already owns is a no-op that re-asserts the thread.
 */
export async function claim(ctx: ReferralContext, referralId: string, userId: string): Promise<Referral> {
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCanView(user, r);
  if (r.status === "closed") throw new ConflictError("工单已办结");
  const now = ctx.nowIso();
  const won = await ctx.store.applyChange(
    r.id,
    {
      guard: { statuses: CLAIMABLE, ownerId: null },
      patch: { status: "claimed", ownerId: user.id, assignedTo: user.id, assignedQueue: "lawyer", claimedAt: now, threadOwned: true },
      events: [ctx.event(user.id, "claimed", { detail: { previousStatus: r.status, assignedTo: r.assignedTo } })],
      audit: [ctx.audit(user.id, "referral.claim", r.id, { previousStatus: r.status })],
    },
    now,
  );
  if (!won) {
    const current = await ctx.load(referralId);
    if (current.ownerId === user.id && current.status !== "closed") {
      await ctx.gateway.setOwner(current.threadId, user.id);
      return current;
    }
    const owner = current.ownerId ? await ctx.store.getUser(current.ownerId) : null;
    throw new ConflictError(owner ? `该工单已由${owner.name}认领` : "工单状态已变化，请刷新后重试");
  }
  await ctx.gateway.setOwner(won.threadId, user.id);
  ctx.publish("referral.claimed", won, user.id);
  return won;
}

/** Hands the referral to a named colleague (`to`) or back to the regional pool (`to: null`). A note is required. */
export async function transfer(ctx: ReferralContext, referralId: string, userId: string, opts: { to: string | null; note: string }): Promise<Referral> {
  const note = requireText(opts.note, "转交须填写说明（原因、已做的工作）");
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCan(user, r, "transfer");
  return moveTo(ctx, r, user, opts.to, note, "transferred");
}

/** Supervisors direct a referral to someone else, whatever its state short of closed. */
export async function reassign(ctx: ReferralContext, referralId: string, supervisorId: string, toUserId: string, note?: string): Promise<Referral> {
  const user = await ctx.actor(supervisorId);
  const r = await ctx.load(referralId);
  assertCan(user, r, "reassign");
  return moveTo(ctx, r, user, toUserId, note?.trim() || "", "reassigned");
}

async function moveTo(ctx: ReferralContext, r: Referral, user: User, to: string | null, note: string, kind: "transferred" | "reassigned"): Promise<Referral> {
  if (to !== null) {
    await ctx.activeUser(to, "转交对象");
    if (to === r.ownerId) throw new ValidationError("不能转交给当前负责人本人");
  }
  const updated = await ctx.change(r, {
    // Compare-and-set on the owner: a transfer must not silently undo someone's fresh claim.
    guard: { statuses: NOT_CLOSED, ownerId: r.ownerId },
    patch: { status: "transferred", ownerId: null, assignedTo: to, assignedQueue: to ? "lawyer" : "pool", threadOwned: false },
    events: [ctx.event(user.id, kind, { text: note || null, detail: { from: r.ownerId, to } })],
    audit: [ctx.audit(user.id, `referral.${kind === "transferred" ? "transfer" : "reassign"}`, r.id, { from: r.ownerId, to, note })],
  });
  if (r.threadOwned) await ctx.gateway.setOwner(r.threadId, null);
  ctx.publish(kind === "transferred" ? "referral.transferred" : "referral.reassigned", updated, user.id);
  if (to) {
    await ctx.notify([to], updated, "transferred");
  } else {
    const onDuty = (await ctx.router.onDuty(ctx.clock(), { region: r.region, topic: r.topic })).map((m) => m.userId).filter((id) => id !== user.id);
    await ctx.notify(onDuty.length ? onDuty : await ctx.router.supervisorsFor(r.region), updated, "returned_to_pool");
  }
  return updated;
}

/** The bot may answer the thread again; the referral stays with its owner until closed. */
export async function handBackToBot(ctx: ReferralContext, referralId: string, userId: string): Promise<Referral> {
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCan(user, r, "hand_back");
  const updated = await ctx.change(r, {
    guard: { statuses: NOT_CLOSED, ownerId: r.ownerId },
    patch: { threadOwned: false },
    events: [ctx.event(user.id, "handed_back")],
    audit: [ctx.audit(user.id, "referral.hand_back", r.id)],
  });
  await ctx.gateway.setOwner(r.threadId, null);
  ctx.publish("referral.handed_back", updated, user.id);
  return updated;
}

/**
 * The owner's reply: into the thread history as role 'lawyer', queued for delivery on the
 * referral's channel, status 'replied'; the deadline clock stops at the first reply.
 */
export async function reply(ctx: ReferralContext, referralId: string, userId: string, text: string): Promise<{ referral: Referral; outboxId: string }> {
  const body = requireText(text, "回复内容不能为空");
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  if (r.ownerId === null && r.status !== "closed" && canView(user, r)) {
    throw new ForbiddenError("请先认领该工单再回复");
  }
  assertCan(user, r, "reply");
  // The conversation first (history and outbox in one write): once the outbox holds the
  // reply it will be delivered, and the referral must never claim a reply the resident will
  // not get. Should the process die before the timeline records it, recovery does
  // (recordUnloggedReply, from the history row's meta).
  const outboxId = await ctx.gateway.enqueueReply(r.threadId, {
    authorId: user.id,
    text: body,
    deliveredText: ctx.formatReply(body, r, user),
    meta: { referralId: r.id, number: r.number, userId: user.id },
  });
  return { referral: await logReply(ctx, r, user.id, body, outboxId, ctx.nowIso()), outboxId };
}

/**
 * Recovery: a reply that reached the outbox but not the timeline (the process died between
 * the two writes) is recorded now, once; false when it already was or the referral is gone.
 */
export async function recordUnloggedReply(ctx: ReferralContext, u: { referralId: string; userId: string; text: string; outboxId: string; at: string }): Promise<boolean> {
  const r = await ctx.store.getReferral(u.referralId);
  if (!r) return false;
  if (await ctx.store.findEventByOutbox(u.outboxId)) return false;
  ctx.log.warn({ referral: r.number, outboxId: u.outboxId }, "recording a reply the timeline missed (crash between writes)");
  await logReply(ctx, r, u.userId, u.text, u.outboxId, u.at);
  return true;
}

/** The reply on the referral's timeline; status replied when the author still owns it. */
async function logReply(ctx: ReferralContext, r: Referral, userId: string, body: string, outboxId: string, at: string): Promise<Referral> {
  const now = ctx.nowIso();
  const record = {
    events: [ctx.event(userId, "reply", { text: body, outboxId, detail: { channel: r.channel } })],
    audit: [ctx.audit(userId, "referral.reply", r.id, { outboxId, length: body.length })],
  };
  const updated = await ctx.store.applyChange(
    r.id,
    { guard: { statuses: ["claimed", "replied"], ownerId: userId }, patch: { status: "replied", respondedAtIfUnset: at }, ...record },
    now,
  );
  if (updated) {
    ctx.publish("referral.replied", updated, userId);
    return updated;
  }
  // Ownership moved between the check and the write: the reply is already queued, so keep
  // it on the timeline without taking the referral back.
  ctx.log.warn({ referral: r.number }, "reply sent after ownership changed");
  return (await ctx.store.applyChange(r.id, { patch: {}, ...record }, now)) ?? r;
}

/** An internal note on the timeline; never sent to the resident. */
export async function addNote(ctx: ReferralContext, referralId: string, userId: string, text: string): Promise<Referral> {
  const body = requireText(text, "备注内容不能为空");
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCan(user, r, "note");
  const updated = await ctx.change(r, {
    patch: {},
    events: [ctx.event(user.id, "note", { text: body, detail: { internal: true } })],
    audit: [ctx.audit(user.id, "referral.note", r.id, { length: body.length })],
  });
  ctx.publish("referral.note", updated, user.id);
  return updated;
}

/** Closes with an outcome note, hands the thread back to the bot and asks the resident to rate. */
export async function close(ctx: ReferralContext, referralId: string, userId: string, outcome: string, opts: { requestRating?: boolean } = {}): Promise<Referral> {
  const note = requireText(outcome, "办结须填写处理结果");
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCan(user, r, "close");
  // A resident whose last question nobody has answered yet is not asked to rate the answer.
  const unanswered = await residentWaiting(ctx, r);
  const askRating = opts.requestRating ?? !unanswered;
  const now = ctx.nowIso();
  const updated = await ctx.change(r, {
    guard: { statuses: NOT_CLOSED, ownerId: r.ownerId },
    patch: { status: "closed", closedAt: now, outcome: note, threadOwned: false },
    events: [
      ctx.event(user.id, "closed", { text: note, detail: { answered: r.respondedAt !== null, ...(unanswered ? { lastMessageUnanswered: true } : {}) } }),
      ...(askRating ? [ctx.event(null, "rating_requested")] : []),
    ],
    audit: [ctx.audit(user.id, "referral.close", r.id, { answered: r.respondedAt !== null, ratingRequested: askRating })],
  });
  if (r.threadOwned) await ctx.gateway.setOwner(r.threadId, null);
  if (askRating) await ctx.gateway.requestRating(r.threadId, r.id, ctx.ratingText(updated));
  ctx.publish("referral.closed", updated, user.id);
  return updated;
}

/**
 * The resident wrote after the lawyer's last reply (or, with no reply yet, after the
 * referral was raised): their last question is still open. The console warns before
 * closing, and closing then does not ask the resident to rate.
 */
export async function residentWaiting(ctx: ReferralContext, r: Referral): Promise<boolean> {
  const history = await ctx.gateway.getHistory(r.threadId, 200).catch(() => [] as ThreadHistoryItem[]);
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i];
    if (m.role === "lawyer") return false;
    if (m.role === "resident") {
      if (m.meta?.rating !== undefined || m.meta?.rateLimited) continue;
      // "好的，我明天带材料过去" acknowledges the reply: nothing is left unanswered.
      if (r.respondedAt !== null && ACKNOWLEDGEMENT.test(m.text ?? "") && !OPEN_QUESTION.test(m.text ?? "")) return false;
      return Date.parse(m.at) > Date.parse(r.clockStartedAt) || r.respondedAt !== null;
    }
  }
  return false;
}

/** Reopens a closed referral: back to its last owner's queue with a fresh deadline clock. */
export async function reopen(ctx: ReferralContext, referralId: string, userId: string, reason: string): Promise<Referral> {
  const why = requireText(reason, "重新打开须填写原因");
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCan(user, r, "reopen");
  const now = ctx.clock();
  const updated = await ctx.change(r, {
    guard: { statuses: ["closed"], cycle: r.cycle },
    patch: {
      status: "reopened",
      ownerId: null,
      assignedTo: r.ownerId,
      assignedQueue: r.ownerId ? "lawyer" : "pool",
      cycle: r.cycle + 1,
      clockStartedAt: now.toISOString(),
      responseDue: responseDue(now, r.urgency, ctx.policy).toISOString(),
      respondedAt: null,
      closedAt: null,
      outcome: null,
      rating: null,
      ratingComment: null,
    },
    events: [ctx.event(user.id, "reopened", { text: why, detail: { previousOwner: r.ownerId, previousOutcome: r.outcome } })],
    audit: [ctx.audit(user.id, "referral.reopen", r.id, { reason: why, cycle: r.cycle + 1 })],
  });
  ctx.publish("referral.reopened", updated, user.id);
  await ctx.notify([r.ownerId ?? null, ...(r.ownerId ? [] : await ctx.router.supervisorsFor(r.region))], updated, "reopened");
  return updated;
}

/**
 * The resident's rating (一案一评), once per cycle, attached to the referral and to the
 * owner who handled it. Low ratings reach the supervisors (complaint tracking).
 */
export async function rate(ctx: ReferralContext, referralId: string, stars: number, comment?: string | null): Promise<Referral> {
  if (!Number.isInteger(stars) || stars < 1 || stars > 5) throw new ValidationError("评分应为1-5的整数");
  const r = await ctx.load(referralId);
  if (r.status !== "closed") throw new ConflictError("工单尚未办结，暂不能评价");
  const text = comment?.trim().slice(0, 500) || null;
  const now = ctx.nowIso();
  const updated = await ctx.change(
    r,
    {
      guard: { statuses: ["closed"], cycle: r.cycle, unrated: true },
      patch: { rating: stars, ratingComment: text },
      rating: { cycle: r.cycle, stars, comment: text, ownerId: r.ownerId, at: now },
      events: [ctx.event(null, "rated", { text, detail: { stars, ownerId: r.ownerId } })],
      audit: [ctx.audit(null, "referral.rate", r.id, { stars, ownerId: r.ownerId, cycle: r.cycle })],
    },
    "该工单已评价",
  );
  ctx.publish("referral.rated", updated, null);
  await ctx.notify([r.ownerId], updated, "rated");
  if (stars <= 2) await ctx.notify(await ctx.router.supervisorsFor(r.region), updated, "rated");
  return updated;
}
