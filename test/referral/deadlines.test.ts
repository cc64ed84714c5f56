import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReferralService } from "../../src/referral/service.ts";
import type { User } from "../../src/referral/types.ts";
import { harness, OFFICE_HOURS, type Harness } from "./helpers.ts";

let h: Harness;
let lawyer: User;
let sup: User;
beforeEach(async () => {
  h = await harness();
  lawyer = await h.addUser("a", "lawyer", ["qinghe.dongzhen"]);
  sup = await h.addUser("s", "supervisor", ["qinghe.dongzhen"]);
  await h.addRota({ userId: lawyer.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS });
});
afterEach(() => h.close());

const at = (start: Date, minutes: number) => new Date(start.getTime() + minutes * 60_000);

describe("限时办结: reminders and escalations", () => {
  it("reminds the assignee at 75% of the window and escalates to supervisors after it, once each", async () => {
    const r = await h.escalate({ urgency: "urgent" }); // 2 h window
    const t0 = new Date(r.createdAt);

    expect(await h.service.runDeadlineCheck(at(t0, 89))).toEqual({ reminders: [], overdue: [] });

    const first = await h.service.runDeadlineCheck(at(t0, 90));
    expect(first.reminders).toEqual([{ referralId: r.id, number: r.number, recipients: [lawyer.id] }]);
    expect(first.overdue).toEqual([]);
    expect((await h.service.runDeadlineCheck(at(t0, 100))).reminders).toEqual([]); // not again

    const late = await h.service.runDeadlineCheck(at(t0, 120));
    expect(late.overdue).toEqual([{ referralId: r.id, number: r.number, recipients: [sup.id, lawyer.id] }]);
    expect(await h.service.runDeadlineCheck(at(t0, 500))).toEqual({ reminders: [], overdue: [] });

    expect(h.notifier.sent.filter((n) => n.kind.startsWith("deadline_"))).toEqual([
      { userIds: [lawyer.id], number: r.number, kind: "deadline_reminder" },
      { userIds: [lawyer.id, sup.id].sort(), number: r.number, kind: "deadline_overdue" },
    ]);
    expect((await h.store.listNotices(r.id)).map((n) => n.kind)).toEqual(["reminder", "overdue"]);
    expect((await h.store.listAudit({ targetId: r.id })).map((a) => a.action).filter((x) => x.startsWith("referral.deadline"))).toEqual([
      "referral.deadline_reminder",
      "referral.deadline_overdue",
    ]);
  });

  it("sends each notice once even when two checkers run against the same database", async () => {
    const r = await h.escalate({ urgency: "emergency" });
    const other = new ReferralService({ store: h.store, gateway: h.gateway, notifier: h.notifier, clock: h.clock.now });
    const when = at(new Date(r.createdAt), 16);
    const [x, y] = await Promise.all([h.service.runDeadlineCheck(when), other.runDeadlineCheck(when)]);
    expect(x.overdue.length + y.overdue.length).toBe(1);
    expect(h.notifier.of("deadline_overdue")).toHaveLength(1);
  });

  it("skips straight to the escalation when the check first runs after the deadline", async () => {
    const r = await h.escalate({ urgency: "emergency" });
    const res = await h.service.runDeadlineCheck(at(new Date(r.createdAt), 30));
    expect(res.reminders).toEqual([]);
    expect(res.overdue.map((o) => o.number)).toEqual([r.number]);
  });

  it("stops the clock when the owner replies", async () => {
    const r = await h.escalate({ urgency: "urgent" });
    await h.service.claim(r.id, lawyer.id);
    h.clock.advanceMinutes(95);
    expect((await h.service.runDeadlineCheck(h.clock.now())).reminders.map((x) => x.recipients)).toEqual([[lawyer.id]]);
    await h.service.reply(r.id, lawyer.id, "已收到，正在核实。");
    expect(await h.service.runDeadlineCheck(at(new Date(r.createdAt), 1000))).toEqual({ reminders: [], overdue: [] });
    expect((await h.service.queue(sup.id, "overdue")).length).toBe(0);
  });

  it("stops the clock when the referral is closed without a reply", async () => {
    const r = await h.escalate();
    await h.service.close(r.id, sup.id, "群众已到窗口办理", { requestRating: false });
    expect(await h.service.runDeadlineCheck(at(new Date(r.createdAt), 5000))).toEqual({ reminders: [], overdue: [] });
  });

  it("reminds the supervisors of their own queue, and restarts per cycle after a reopen", async () => {
    h.clock.set(at(h.clock.now(), 12 * 60)); // 22:00, nobody on duty
    const r = await h.escalate({ urgency: "urgent" });
    expect(r.assignedQueue).toBe("supervisor");
    const t0 = new Date(r.createdAt);
    expect((await h.service.runDeadlineCheck(at(t0, 91))).reminders[0].recipients).toEqual([sup.id]);
    await h.service.runDeadlineCheck(at(t0, 121));
    h.clock.set(at(t0, 130));
    await h.service.claim(r.id, lawyer.id);
    await h.service.reply(r.id, lawyer.id, "答复");
    await h.service.close(r.id, lawyer.id, "已答复");
    h.clock.set(at(t0, 200));
    const re = await h.service.reopen(r.id, sup.id, "当事人不满意");
    const t1 = new Date(re.clockStartedAt);
    const res = await h.service.runDeadlineCheck(at(t1, 121));
    // The reopened referral waits for its last owner: supervisors and that owner hear of it.
    expect(res.overdue.map((o) => o.recipients)).toEqual([[sup.id, lawyer.id]]);
    expect((await h.store.listNotices(r.id)).map((n) => `${n.cycle}:${n.kind}`)).toEqual(["1:reminder", "1:overdue", "2:overdue"]);
  });

  it("lists overdue referrals with waiting time and deadline", async () => {
    const r = await h.escalate({ urgency: "emergency" });
    h.clock.advanceMinutes(20);
    const rows = await h.service.queue(sup.id, "overdue");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ urgency: "emergency", waitingMinutes: 20, minutesLeft: -5, overdue: true, deadline: r.responseDue });
  });
});
