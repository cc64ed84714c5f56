import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canAct, canView } from "../../src/referral/access.ts";
import { ForbiddenError, type Referral, type User } from "../../src/referral/types.ts";
import { harness, type Harness } from "./helpers.ts";

let h: Harness;
let dongzhen: User;
let xihe: User;
let supDong: User;
let supXi: User;
let r: Referral;
beforeEach(async () => {
  h = await harness();
  dongzhen = await h.addUser("dz", "lawyer", ["qinghe.dongzhen"]);
  xihe = await h.addUser("xh", "lawyer", ["qinghe.xihe"]);
  supDong = await h.addUser("sdz", "supervisor", ["qinghe.dongzhen"]);
  supXi = await h.addUser("sxh", "supervisor", ["qinghe.xihe"]);
  r = await h.escalate({ region: "qinghe.dongzhen.lijiacun" });
});
afterEach(() => h.close());

describe("who may see and act", () => {
  it("forbids a lawyer outside the region to view, claim, note or reply", async () => {
    expect(canView(xihe, r)).toBe(false);
    await expect(h.service.detail(r.id, xihe.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.service.claim(r.id, xihe.id)).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.service.addNote(r.id, xihe.id, "看看")).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.service.close(r.id, xihe.id, "结")).rejects.toBeInstanceOf(ForbiddenError);
    await expect(h.service.getByNumber(r.number, xihe.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect((await h.store.getReferral(r.id))!.status).toBe("open");
  });

  it("lets a lawyer see what is assigned to them even outside their regions", async () => {
    const moved = await h.service.reassign(r.id, supDong.id, xihe.id, "西河律师熟悉此案");
    expect(canView(xihe, moved)).toBe(true);
    await h.service.claim(r.id, xihe.id);
    await h.service.reply(r.id, xihe.id, "您好");
  });

  it("scopes supervisors to their regions and admins to everything", async () => {
    expect(canAct(supDong, r, "reassign")).toBe(true);
    expect(canAct(supXi, r, "reassign")).toBe(false);
    await expect(h.service.reassign(r.id, supXi.id, xihe.id)).rejects.toBeInstanceOf(ForbiddenError);
    expect(canView(h.admin, r)).toBe(true);
    expect(canAct(h.admin, r, "close")).toBe(true);
  });

  it("keeps the reply to the owner even for supervisors (first-ask ownership)", async () => {
    await h.service.claim(r.id, dongzhen.id);
    await expect(h.service.reply(r.id, supDong.id, "我来答")).rejects.toBeInstanceOf(ForbiddenError);
    expect(canAct(supDong, (await h.store.getReferral(r.id))!, "transfer")).toBe(true);
  });

  it("refuses deactivated users and users who must change their password", async () => {
    await h.store.updateUser(dongzhen.id, { active: false }, h.clock.now().toISOString(), []);
    await expect(h.service.claim(r.id, dongzhen.id)).rejects.toThrow("账号不可用");
    const fresh = await h.addUser("fresh", "lawyer", ["qinghe"]);
    await h.store.updateUser(fresh.id, { mustChangePassword: true }, h.clock.now().toISOString(), []);
    await expect(h.service.queue(fresh.id, "unclaimed")).rejects.toThrow("请先修改初始密码");
  });
});

describe("queues", () => {
  it("shows unclaimed referrals in my regions only, mine, and closed ones", async () => {
    const other = await h.escalate({ region: "qinghe.xihe.liutun" });
    const unknown = await h.escalate({ region: null });
    const county = await h.addUser("county", "lawyer", ["qinghe"]);

    expect((await h.service.queue(dongzhen.id, "unclaimed")).map((x) => x.referral.id)).toEqual([r.id]);
    expect((await h.service.queue(xihe.id, "unclaimed")).map((x) => x.referral.id)).toEqual([other.id]);
    expect((await h.service.queue(county.id, "unclaimed")).map((x) => x.referral.id).sort()).toEqual([r.id, other.id, unknown.id].sort());
    expect((await h.service.queue(h.admin.id, "unclaimed")).length).toBe(3);

    await h.service.claim(r.id, dongzhen.id);
    const mine = await h.service.queue(dongzhen.id, "mine");
    expect(mine.map((x) => x.referral.id)).toEqual([r.id]);
    expect(mine[0]).toMatchObject({ ownerName: dongzhen.name, urgency: "normal", overdue: false, minutesLeft: 24 * 60 });
    expect((await h.service.queue(dongzhen.id, "unclaimed")).length).toBe(0);

    await h.service.close(r.id, dongzhen.id, "已答复");
    expect((await h.service.queue(dongzhen.id, "closed")).map((x) => x.referral.id)).toEqual([r.id]);
    expect((await h.service.queue(xihe.id, "closed")).length).toBe(0);
  });

  it("orders the queue by urgency, then deadline", async () => {
    const urgent = await h.escalate({ urgency: "urgent" });
    const emergency = await h.escalate({ urgency: "emergency" });
    expect((await h.service.queue(dongzhen.id, "unclaimed")).map((x) => x.referral.id)).toEqual([emergency.id, urgent.id, r.id]);
  });

  it("returns the detail with timeline and thread history, and audits who looked", async () => {
    await h.service.claim(r.id, dongzhen.id);
    await h.service.reply(r.id, dongzhen.id, "您好");
    const d = await h.service.detail(r.id, supDong.id);
    expect(d.events.map((e) => e.kind)).toEqual(["created", "queued", "claimed", "reply"]);
    expect(d.history.map((m) => m.role)).toEqual(["lawyer"]);
    expect((await h.store.listAudit({ action: "referral.view" })).map((a) => a.actorId)).toEqual([supDong.id]);
  });
});
