// The referral queue (工单): creation from an escalation with dispatch, claim (首问负责),
// transfer, reply, internal notes, close, reopen, rating (一案一评), deadlines (限时办结),
// queues and the detail view. Every acting method takes the acting user's id, enforces
// access (ForbiddenError), writes the change and its audit entries in one transaction,
// then talks to the conversation core, notifies people and publishes a live event.
//
// This class is the one surface the rest of the code uses; the work is done by the parts,
// one file per responsibility: intake.ts (creation, dispatch, what the conversation core
// reports), lifecycle.ts (what lawyers do), queue-views.ts (what the console reads),
// reply-templates.ts (saved replies), deadline-check.ts (限时办结), over the shared steps in
// service-context.ts.

import type { ReferralStore } from "../store/referral-store.ts";
import * as deadlineCheck from "./deadline-check.ts";
import type { DeadlineCheckResult } from "./deadline-check.ts";
import type { ReferralEvents } from "./events.ts";
import * as intake from "./intake.ts";
import * as lifecycle from "./lifecycle.ts";
import * as queueViews from "./queue-views.ts";
import type { QueueFilter, QueueRow, QueueView, ReferralDetail } from "./queue-views.ts";
import * as replyTemplates from "./reply-templates.ts";
import type { Router } from "./routing.ts";
import { ReferralContext, type ReferralServiceOptions } from "./service-context.ts";
import type { EscalationInput, Referral, ReplyTemplate, User } from "./types.ts";

export type { DeadlineCheckResult } from "./deadline-check.ts";
export { mergeFindings } from "./intake.ts";
export type { QueueFilter, QueueRow, QueueView, ReferralDetail } from "./queue-views.ts";
export { defaultFormatReply, defaultRatingRequest, type ReferralServiceOptions } from "./service-context.ts";

/**
 * The referral queue's actions and views over one {@link ReferralStore}.
 *
 * @example
 * ```ts
 * const referrals = new ReferralService({ store, gateway, notifier, logger });
 * conversation.onEscalation((e) => referrals.createFromEscalation(e));
 * const [row] = await referrals.queue(lawyerId, "unclaimed");
 * await referrals.claim(row.referral.id, lawyerId); // ConflictError when someone was faster
 * await referrals.reply(row.referral.id, lawyerId, "您好，……");
 * await referrals.close(row.referral.id, lawyerId, "已答复");
 * ```
 */
export class ReferralService {
  private readonly ctx: ReferralContext;

  constructor(o: ReferralServiceOptions) {
    this.ctx = new ReferralContext(o);
  }

  /** Live changes (claimed, replied, closed, …) for the console's event stream. */
  get events(): ReferralEvents {
    return this.ctx.events;
  }

  /** Who is on duty for a region and topic, and who supervises it. */
  get router(): Router {
    return this.ctx.router;
  }

  /** The acting user, fresh from the store: deactivation and role changes apply at once. */
  actor(userId: string): Promise<User> {
    return this.ctx.actor(userId);
  }

  // ---------------------------------------------------------------- intake (intake.ts)

  /** Creates and dispatches the referral for an escalation; idempotent per escalation id. */
  createFromEscalation(e: EscalationInput): Promise<Referral> {
    return intake.createFromEscalation(this.ctx, e);
  }

  /** The newest referral of a thread, for the resident's own channel (no viewer: internal use). */
  latestForThread(threadId: string): Promise<Referral | null> {
    return intake.latestForThread(this.ctx, threadId);
  }

  /** The resident wrote while a person owns the thread; null when no referral is open. */
  residentMessage(threadId: string, text: string): Promise<Referral | null> {
    return intake.residentMessage(this.ctx, threadId, text);
  }

  /** The delivery outcome of a reply from the outbox; a failure tells the owner to call back. */
  recordDelivery(outboxId: string, status: "sent" | "failed" | "undelivered", detail?: Record<string, unknown>): Promise<Referral | null> {
    return intake.recordDelivery(this.ctx, outboxId, status, detail);
  }

  // ---------------------------------------------------------------- lawyers' actions (lifecycle.ts)

  /** 首问负责: the first to claim owns the referral; the others get ConflictError. */
  claim(referralId: string, userId: string): Promise<Referral> {
    return lifecycle.claim(this.ctx, referralId, userId);
  }

  /** Hands the referral to a named colleague (`to`) or back to the regional pool (`to: null`). */
  transfer(referralId: string, userId: string, opts: { to: string | null; note: string }): Promise<Referral> {
    return lifecycle.transfer(this.ctx, referralId, userId, opts);
  }

  /** Supervisors direct a referral to someone else, whatever its state short of closed. */
  reassign(referralId: string, supervisorId: string, toUserId: string, note?: string): Promise<Referral> {
    return lifecycle.reassign(this.ctx, referralId, supervisorId, toUserId, note);
  }

  /** The bot may answer the thread again; the referral stays with its owner until closed. */
  handBackToBot(referralId: string, userId: string): Promise<Referral> {
    return lifecycle.handBackToBot(this.ctx, referralId, userId);
  }

  /** The owner's reply, queued for delivery on the resident's channel. */
  reply(referralId: string, userId: string, text: string): Promise<{ referral: Referral; outboxId: string }> {
    return lifecycle.reply(this.ctx, referralId, userId, text);
  }

  /** Recovery: records a reply that reached the outbox but not the timeline. */
  recordUnloggedReply(u: { referralId: string; userId: string; text: string; outboxId: string; at: string }): Promise<boolean> {
    return lifecycle.recordUnloggedReply(this.ctx, u);
  }

  /** An internal note on the timeline; never sent to the resident. */
  addNote(referralId: string, userId: string, text: string): Promise<Referral> {
    return lifecycle.addNote(this.ctx, referralId, userId, text);
  }

  /** Closes with an outcome note, hands the thread back to the bot and asks the resident to rate. */
  close(referralId: string, userId: string, outcome: string, opts?: { requestRating?: boolean }): Promise<Referral> {
    return lifecycle.close(this.ctx, referralId, userId, outcome, opts);
  }

  /** Whether the resident's last question is still unanswered (the console warns before closing). */
  residentWaiting(r: Referral): Promise<boolean> {
    return lifecycle.residentWaiting(this.ctx, r);
  }

  /** Reopens a closed referral: back to its last owner's queue with a fresh deadline clock. */
  reopen(referralId: string, userId: string, reason: string): Promise<Referral> {
    return lifecycle.reopen(this.ctx, referralId, userId, reason);
  }

  /** The resident's rating (一案一评), once per cycle; low ratings reach the supervisors. */
  rate(referralId: string, stars: number, comment?: string | null): Promise<Referral> {
    return lifecycle.rate(this.ctx, referralId, stars, comment);
  }

  // ---------------------------------------------------------------- deadlines (deadline-check.ts)

  /** 限时办结: reminders and overdue notices, each once per referral cycle; safe to run anywhere. */
  runDeadlineCheck(now?: Date): Promise<DeadlineCheckResult> {
    return deadlineCheck.runDeadlineCheck(this.ctx, now);
  }

  // ---------------------------------------------------------------- reading (queue-views.ts)

  /** Queue rows for the console: mine, unclaimed (in my regions), overdue, closed, all. */
  queue(userId: string, view: QueueView, opts?: { limit?: number; offset?: number; filter?: QueueFilter }): Promise<QueueRow[]> {
    return queueViews.queue(this.ctx, userId, view, opts);
  }

  /** The referral with its timeline, the thread's history, deadline notices and ratings. Viewing is audited. */
  detail(referralId: string, userId: string): Promise<ReferralDetail> {
    return queueViews.detail(this.ctx, referralId, userId);
  }

  /** The same resident's other referrals, newest first, as far as this user may see them. */
  residentReferrals(referralId: string, userId: string, limit?: number): Promise<Referral[]> {
    return queueViews.residentReferrals(this.ctx, referralId, userId, limit);
  }

  /** A referral by its number (e.g. `2026-000123`), when this user may see it. */
  getByNumber(number: string, userId: string): Promise<Referral> {
    return queueViews.getByNumber(this.ctx, number, userId);
  }

  // ---------------------------------------------------------------- saved replies (reply-templates.ts)

  /** The user's own templates, the shared ones, then the shipped ones not replaced by a saved one. */
  listTemplates(userId: string): Promise<(ReplyTemplate & { shipped?: boolean })[]> {
    return replyTemplates.listTemplates(this.ctx, userId);
  }

  /** Saves a personal template, or a shared one (supervisors and admins only). */
  saveTemplate(userId: string, input: { id?: string; title: string; body: string; shared?: boolean }): Promise<ReplyTemplate> {
    return replyTemplates.saveTemplate(this.ctx, userId, input);
  }

  /** Deletes a saved template its user may edit; shipped ones cannot be deleted. */
  deleteTemplate(userId: string, templateId: string): Promise<void> {
    return replyTemplates.deleteTemplate(this.ctx, userId, templateId);
  }

  // ---------------------------------------------------------------- privacy

  /** Blanks residents' text in referrals closed before `cutoff` (the purge schedule). */
  async redactClosedBefore(cutoff: Date): Promise<number> {
    const at = this.ctx.nowIso();
    return this.ctx.store.redactClosedBefore(cutoff.toISOString(), at, [
      { at, actorId: null, action: "referral.redact", targetType: "system", targetId: null, detail: { cutoff: cutoff.toISOString() } },
    ]);
  }
}
