// 限时办结: the first response is due within a window that depends on urgency. Reminders go
// out at a share of the window, an escalation to supervisors once it has passed. These
// are pure functions of the referral and `now`; the service records what was sent.

import type { Referral, Urgency } from "./types.ts";

/** How long a referral may wait for a first response per urgency, and when its holder is reminded. */
export interface DeadlinePolicy {
  /** Response windows in minutes. */
  windowsMinutes: Record<Urgency, number>;
  /** Share of the window after which the owner/assignee is reminded (0-1). */
  reminderAt: number;
}

/** Response windows of 15 minutes (emergency), 2 hours (urgent) and a day (normal). */
export const DEFAULT_DEADLINE_POLICY: DeadlinePolicy = {
  windowsMinutes: { emergency: 15, urgent: 120, normal: 24 * 60 },
  reminderAt: 0.75,
};

export function responseDue(start: Date, urgency: Urgency, policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY): Date {
  return new Date(start.getTime() + policy.windowsMinutes[urgency] * 60_000);
}

/** The clock runs while nobody has answered the resident and the referral is not closed. */
export function clockRunning(r: Referral): boolean {
  return r.status !== "closed" && r.respondedAt === null;
}

export type DeadlineStage = "none" | "reminder" | "overdue";

/** Which notice (if any) the referral deserves at `now`. */
export function deadlineStage(r: Referral, now: Date, policy: DeadlinePolicy = DEFAULT_DEADLINE_POLICY): DeadlineStage {
  if (!clockRunning(r)) return "none";
  const start = Date.parse(r.clockStartedAt);
  const due = Date.parse(r.responseDue);
  const t = now.getTime();
  if (t >= due) return "overdue";
  if (t >= start + (due - start) * policy.reminderAt) return "reminder";
  return "none";
}

/** For queue rows: how long the resident has waited and how much time is left. */
export function timing(r: Referral, now: Date): { waitingMinutes: number; minutesLeft: number | null; overdue: boolean } {
  const waited = (r.respondedAt ? Date.parse(r.respondedAt) : r.closedAt ? Date.parse(r.closedAt) : now.getTime()) - Date.parse(r.clockStartedAt);
  if (!clockRunning(r)) return { waitingMinutes: Math.max(0, Math.floor(waited / 60_000)), minutesLeft: null, overdue: false };
  const left = Date.parse(r.responseDue) - now.getTime();
  return { waitingMinutes: Math.max(0, Math.floor(waited / 60_000)), minutesLeft: Math.ceil(left / 60_000), overdue: left <= 0 };
}
