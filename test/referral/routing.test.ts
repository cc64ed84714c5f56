import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entryOnDutyAt } from "../../src/referral/rota.ts";
import { shanghai } from "../../src/referral/time.ts";
import type { RotaEntry } from "../../src/referral/types.ts";
import { harness, OFFICE_HOURS, type Harness } from "./helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

describe("dispatch by region hierarchy, topic and load", () => {
  it("prefers the village adviser, then the township, then the county", async () => {
    const village = await h.addUser("zhao", "lawyer", ["qinghe.dongzhen.lijiacun"]);
    const town = await h.addUser("qian", "lawyer", ["qinghe.dongzhen"]);
    const county = await h.addUser("sun", "lawyer", ["qinghe"]);
    for (const u of [village, town, county]) await h.addRota({ userId: u.id, regions: u.regions, schedule: OFFICE_HOURS });

    const inVillage = await h.escalate({ region: "qinghe.dongzhen.lijiacun" });
    expect(inVillage.assignedTo).toBe(village.id);
    expect(inVillage.assignedQueue).toBe("lawyer");
    expect(inVillage.ownerId).toBeNull();
    expect(inVillage.status).toBe("open");

    // Another village of the same township: the township lawyer, not the county one.
    const sibling = await h.escalate({ region: "qinghe.dongzhen.zhangzhuang" });
    expect(sibling.assignedTo).toBe(town.id);

    const otherTown = await h.escalate({ region: "qinghe.xihe.hexicun" });
    expect(otherTown.assignedTo).toBe(county.id);

    // Unknown region: only county-wide duty covers it.
    const unknown = await h.escalate({ region: null });
    expect(unknown.assignedTo).toBe(county.id);

    expect(h.notifier.of("assigned").map((n) => n.userIds)).toEqual([[village.id], [town.id], [county.id], [county.id]]);
  });

  it("skips entries limited to other topics and picks the one with the fewest open referrals", async () => {
    const labourOnly = await h.addUser("a", "lawyer", ["qinghe.dongzhen"]);
    const general1 = await h.addUser("b", "lawyer", ["qinghe.dongzhen"]);
    const general2 = await h.addUser("c", "lawyer", ["qinghe.dongzhen"]);
    await h.addRota({ userId: labourOnly.id, regions: ["qinghe.dongzhen"], topics: ["labour"], schedule: OFFICE_HOURS });
    await h.addRota({ userId: general1.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS });
    await h.addRota({ userId: general2.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS });

    // Marriage questions never go to the labour-only entry, and spread by load.
    const m1 = await h.escalate({ topic: "marriage" });
    const m2 = await h.escalate({ topic: "marriage" });
    const m3 = await h.escalate({ topic: "marriage" });
    expect([m1.assignedTo, m2.assignedTo].sort()).toEqual([general1.id, general2.id].sort());
    expect([general1.id, general2.id]).toContain(m3.assignedTo);

    // Labour: all three qualify, the labour lawyer has 0 open, the others 1-2.
    const l1 = await h.escalate({ topic: "labour" });
    expect(l1.assignedTo).toBe(labourOnly.id);

    // A closed referral no longer counts towards the load.
    await h.service.claim(l1.id, labourOnly.id);
    await h.service.close(l1.id, labourOnly.id, "已电话答复", { requestRating: false });
    const load = await h.store.countOpen([labourOnly.id, general1.id, general2.id]);
    expect(load.get(labourOnly.id)).toBe(0);
    expect((load.get(general1.id) ?? 0) + (load.get(general2.id) ?? 0)).toBe(3);
  });

  it("breaks a tie in load in favour of the topic expert", async () => {
    const generalist = await h.addUser("aa", "lawyer", ["qinghe.dongzhen"]);
    const expert = await h.addUser("zz", "lawyer", ["qinghe.dongzhen"], ["land"]);
    await h.addRota({ userId: generalist.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS });
    await h.addRota({ userId: expert.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS });
    const r = await h.escalate({ topic: "land" });
    expect(r.assignedTo).toBe(expert.id);
  });

  it("sends a referral to the supervisors' queue when nobody is on duty", async () => {
    const lawyer = await h.addUser("night", "lawyer", ["qinghe"]);
    const sup = await h.addUser("sup", "supervisor", ["qinghe.dongzhen"]);
    const otherSup = await h.addUser("sup2", "supervisor", ["qinghe.xihe"]);
    await h.addRota({ userId: lawyer.id, regions: ["qinghe"], schedule: OFFICE_HOURS });

    h.clock.set(shanghai("2026-03-02", "22:00")); // Monday night: outside office hours
    const r = await h.escalate({ region: "qinghe.dongzhen.shiqiao" });
    expect(r.assignedTo).toBeNull();
    expect(r.ownerId).toBeNull();
    expect(r.assignedQueue).toBe("supervisor");
    expect(h.notifier.of("queued")).toEqual([{ userIds: [sup.id], number: r.number, kind: "queued" }]);
    expect(h.notifier.sent.flatMap((s) => s.userIds)).not.toContain(otherSup.id);
    const events = await h.store.listEvents(r.id);
    expect(events.map((e) => e.kind)).toEqual(["created", "queued"]);
  });

  it("notifies everyone on duty and the supervisors of an emergency, and still assigns one person", async () => {
    const a = await h.addUser("ea", "lawyer", ["qinghe.dongzhen"]);
    const b = await h.addUser("eb", "lawyer", ["qinghe.xihe"]);
    const c = await h.addUser("ec", "lawyer", ["qinghe"], []);
    const off = await h.addUser("eoff", "lawyer", ["qinghe.dongzhen"]);
    const sup = await h.addUser("esup", "supervisor", ["qinghe"]);
    await h.addRota({ userId: a.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS });
    await h.addRota({ userId: b.id, regions: ["qinghe.xihe"], schedule: OFFICE_HOURS });
    await h.addRota({ userId: c.id, regions: ["qinghe"], topics: ["traffic"], schedule: OFFICE_HOURS });
    await h.addRota({ userId: off.id, regions: ["qinghe.dongzhen"], schedule: [{ day: 6, start: "08:00", end: "12:00" }] });

    const r = await h.escalate({ urgency: "emergency", reason: "emergency", topic: "domestic_violence" });
    expect(r.assignedTo).toBe(a.id);
    const emergency = h.notifier.of("emergency");
    expect(emergency).toHaveLength(1);
    expect(emergency[0].userIds).toEqual([a.id, b.id, c.id, sup.id].sort());
    expect(h.notifier.of("assigned")).toHaveLength(0);
    // Emergency window: 15 minutes.
    expect(Date.parse(r.responseDue) - Date.parse(r.createdAt)).toBe(15 * 60_000);
  });

  it("creates one referral per escalation even when called twice", async () => {
    const r1 = await h.escalate({ escalationId: "esc-fixed", threadId: "t-fixed" });
    const r2 = await h.escalate({ escalationId: "esc-fixed", threadId: "t-fixed" });
    expect(r2.id).toBe(r1.id);
    expect(r2.number).toBe(r1.number);
    expect((await h.store.listReferrals({})).length).toBe(1);
    // No supervisors exist, so the administrator is told, and only once.
    expect(h.notifier.of("queued")).toEqual([{ userIds: [h.admin.id], number: r1.number, kind: "queued" }]);
    expect((await h.store.listAudit({ action: "referral.create" })).length).toBe(1);
  });

  it("ignores the rota of a deactivated user", async () => {
    const gone = await h.addUser("gone", "lawyer", ["qinghe"]);
    await h.addRota({ userId: gone.id, regions: ["qinghe"], schedule: OFFICE_HOURS });
    await h.store.updateUser(gone.id, { active: false }, h.clock.now().toISOString(), []);
    const r = await h.escalate();
    expect(r.assignedQueue).toBe("supervisor");
  });
});

describe("rota schedule and exceptions", () => {
  const base: RotaEntry = {
    id: "e1",
    userId: "u1",
    regions: ["qinghe"],
    topics: [],
    schedule: OFFICE_HOURS,
    datesOff: [],
    datesOn: [],
    note: "",
    active: true,
    createdAt: "",
    updatedAt: "",
  };

  it("follows weekly slots in Shanghai time regardless of the server's UTC clock", () => {
    expect(entryOnDutyAt(base, shanghai("2026-03-02", "08:29"))).toBe(false);
    expect(entryOnDutyAt(base, shanghai("2026-03-02", "08:30"))).toBe(true);
    expect(entryOnDutyAt(base, shanghai("2026-03-02", "17:29"))).toBe(true);
    expect(entryOnDutyAt(base, shanghai("2026-03-02", "17:30"))).toBe(false);
    // 01:00 UTC Monday is 09:00 Monday in Shanghai.
    expect(entryOnDutyAt(base, new Date("2026-03-02T01:00:00Z"))).toBe(true);
    expect(entryOnDutyAt(base, shanghai("2026-03-07", "10:00"))).toBe(false); // Saturday
  });

  it("takes dates off (holidays, leave) out and extra dates on in", () => {
    const e = { ...base, datesOff: ["2026-10-01"], datesOn: [{ date: "2026-10-03" }, { date: "2026-10-04", start: "09:00", end: "12:00" }] };
    expect(entryOnDutyAt(e, shanghai("2026-10-01", "10:00"))).toBe(false); // National Day, a Thursday
    expect(entryOnDutyAt(e, shanghai("2026-10-02", "10:00"))).toBe(true); // Friday, ordinary
    expect(entryOnDutyAt(e, shanghai("2026-10-03", "23:59"))).toBe(true); // Saturday, extra whole day
    expect(entryOnDutyAt(e, shanghai("2026-10-04", "11:59"))).toBe(true);
    expect(entryOnDutyAt(e, shanghai("2026-10-04", "12:00"))).toBe(false);
  });

  it("runs overnight slots past midnight, cancelled by a date off on the night they start", () => {
    const night = { ...base, schedule: [{ day: 5, start: "18:00", end: "08:00" }], datesOff: ["2026-03-13"] };
    expect(entryOnDutyAt(night, shanghai("2026-03-06", "23:00"))).toBe(true); // Friday night
    expect(entryOnDutyAt(night, shanghai("2026-03-07", "07:59"))).toBe(true); // Saturday early morning
    expect(entryOnDutyAt(night, shanghai("2026-03-07", "08:00"))).toBe(false);
    expect(entryOnDutyAt(night, shanghai("2026-03-05", "23:00"))).toBe(false); // Thursday
    expect(entryOnDutyAt(night, shanghai("2026-03-13", "23:00"))).toBe(false); // Friday off
    expect(entryOnDutyAt(night, shanghai("2026-03-14", "03:00"))).toBe(false); // …and its morning
  });

  it("routes around a holiday through the service", async () => {
    const a = await h.addUser("hol", "lawyer", ["qinghe.dongzhen"]);
    const b = await h.addUser("cover", "lawyer", ["qinghe"]);
    await h.addRota({ userId: a.id, regions: ["qinghe.dongzhen"], schedule: OFFICE_HOURS, datesOff: ["2026-03-02"] });
    await h.addRota({ userId: b.id, regions: ["qinghe"], schedule: OFFICE_HOURS });
    const onDuty = await h.rota.onDutyAt(h.clock.now(), { region: "qinghe.dongzhen.lijiacun", topic: "labour" });
    expect(onDuty.map((m) => m.userId)).toEqual([b.id]);
    expect((await h.escalate()).assignedTo).toBe(b.id);
    h.clock.set(shanghai("2026-03-03", "10:00"));
    expect((await h.escalate()).assignedTo).toBe(a.id);
  });

  it("rejects malformed rota entries and edits by lawyers or out-of-region supervisors", async () => {
    const l = await h.addUser("rl", "lawyer", ["qinghe"]);
    const sup = await h.addUser("rs", "supervisor", ["qinghe.xihe"]);
    await expect(h.rota.add(h.admin.id, { userId: l.id, regions: [] })).rejects.toThrow("至少选择一个值班区域");
    await expect(h.rota.add(h.admin.id, { userId: l.id, regions: ["qinghe"], schedule: [{ day: 8, start: "08:00", end: "09:00" }] })).rejects.toThrow(
      "星期",
    );
    await expect(h.rota.add(h.admin.id, { userId: l.id, regions: ["qinghe"], datesOff: ["2026-13-40"] })).rejects.toThrow("日期");
    await expect(h.rota.add(l.id, { userId: l.id, regions: ["qinghe"] })).rejects.toMatchObject({ code: "forbidden" });
    await expect(h.rota.add(sup.id, { userId: l.id, regions: ["qinghe.dongzhen"] })).rejects.toMatchObject({ code: "forbidden" });
    const ok = await h.rota.add(sup.id, { userId: l.id, regions: ["qinghe.xihe.liutun"], schedule: OFFICE_HOURS });
    await h.rota.update(sup.id, ok.id, { datesOff: ["2026-03-02"] });
    await h.rota.remove(sup.id, ok.id);
    const actions = (await h.store.listAudit({ targetType: "rota", targetId: ok.id })).map((a) => a.action);
    expect(actions).toEqual(["rota.create", "rota.update", "rota.remove"]);
    expect((await h.store.getRotaEntry(ok.id))!.active).toBe(false);
  });
});
