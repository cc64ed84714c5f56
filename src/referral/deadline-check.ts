// 限时办结 as a periodic job: reminders and overdue escalations, each sent once per referral
// cycle and recorded in the store, so every process may run it every minute.

import { deadlineStage } from "./deadlines.ts";
import type { ReferralContext } from "./service-context.ts";

/** The notices one deadline check sent: reminders and overdue escalations, with their recipients. */
export interface DeadlineCheckResult {
  reminders: { referralId: string; number: string; recipients: string[] }[];
  overdue: { referralId: string; number: string; recipients: string[] }[];
}

/**
 * 限时办结: reminds the owner (or assignee, or the supervisors for their own queue) once the
 * reminder share of the window has passed, and escalates to the supervisors once the
 * deadline has passed. Each notice is sent once per referral cycle, recorded in the store,
 * so running this every minute from several processes is safe. Depends only on the store and `now`.
 */
export async function runDeadlineCheck(ctx: ReferralContext, now: Date = ctx.clock()): Promise<DeadlineCheckResult> {
  const result: DeadlineCheckResult = { reminders: [], overdue: [] };
  const running = await ctx.store.listReferrals({ clockRunning: true, limit: 100_000 });
  const at = now.toISOString();
  for (const r of running) {
    const stage = deadlineStage(r, now, ctx.policy);
    if (stage === "none") continue;
    const supervisors = await ctx.router.supervisorsFor(r.region);
    const responsible = r.ownerId ?? r.assignedTo;
    const recipients =
      stage === "reminder"
        ? responsible
          ? [responsible]
          : supervisors
        : [...new Set([...supervisors, ...(responsible ? [responsible] : [])])];
    const sent = await ctx.store.recordNotice(
      { referralId: r.id, cycle: r.cycle, kind: stage, at, recipients },
      { at, actorId: null, kind: stage, detail: { recipients, due: r.responseDue } },
      [{ at, actorId: null, action: `referral.deadline_${stage}`, targetType: "referral", targetId: r.id, detail: { recipients, due: r.responseDue, number: r.number } }],
    );
    if (!sent) continue;
    (stage === "reminder" ? result.reminders : result.overdue).push({ referralId: r.id, number: r.number, recipients });
    await ctx.notify(recipients, r, stage === "reminder" ? "deadline_reminder" : "deadline_overdue");
    ctx.publish(stage === "reminder" ? "referral.reminder" : "referral.overdue", r, null);
  }
  return result;
}
