import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseRating } from "../../src/referral/rating.ts";
import { timing } from "../../src/referral/deadlines.ts";
import type { User } from "../../src/referral/types.ts";
import { harness, type Harness } from "./helpers.ts";

let h: Harness;
let a: User;
beforeEach(async () => {
  h = await harness();
  a = await h.addUser("a", "lawyer", ["qinghe.dongzhen"]);
});
afterEach(() => h.close());

describe("reply", () => {
  it("goes into the thread as role 'lawyer', out through the outbox, and stops the clock", async () => {
    const r = await h.escalate({ urgency: "urgent" });
    expect(r.firstResponseAt).toBeNull();
    await expect(h.service.reply(r.id, a.id, "您好")).rejects.toThrow("请先认领该工单再回复");
    await h.service.claim(r.id, a.id);
    h.clock.advanceMinutes(40);
    const { referral, outboxId } = await h.service.reply(r.id, a.id, "根据劳动合同法第三十条，用人单位应当及时足额支付劳动报酬。");
    expect(referral.status).toBe("replied");
    expect(referral.firstResponseAt).toBe(h.clock.now().toISOString());
    expect(referral.respondedAt).toBe(referral.firstResponseAt);
    expect(h.gateway.outbox).toEqual([{ id: outboxId, threadId: r.threadId, text: "【律师回复】\n根据劳动合同法第三十条，用人单位应当及时足额支付劳动报酬。" }]);
    const hist = h.gateway.history.get(r.threadId)!;
    expect(hist).toHaveLength(1);
    expect(hist[0]).toMatchObject({ role: "lawyer", text: "根据劳动合同法第三十条，用人单位应当及时足额支付劳动报酬。", meta: { referralId: r.id, userId: a.id } });

    // The first response time is not moved by later replies.
    h.clock.advanceMinutes(10);
    const second = await h.service.reply(r.id, a.id, "请带上工资条和考勤记录。");
    expect(second.referral.firstResponseAt).toBe(referral.firstResponseAt);
    expect(timing(second.referral, h.clock.now())).toMatchObject({ minutesLeft: null, overdue: false, waitingMinutes: 40 });
    await expect(h.service.reply(r.id, a.id, "   ")).rejects.toThrow("回复内容不能为空");
    const audit = await h.store.listAudit({ action: "referral.reply" });
    expect(audit).toHaveLength(2);
    // The audit log records that a reply happened, not what it said.
    expect(JSON.stringify(audit)).not.toContain("劳动报酬");
  });

  it("keeps internal notes off the outbox and the thread", async () => {
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await h.service.addNote(r.id, a.id, "当事人情绪激动，建议当面调解");
    expect(h.gateway.outbox).toHaveLength(0);
    expect(h.gateway.history.get(r.threadId)).toBeUndefined();
    const note = (await h.store.listEvents(r.id)).find((e) => e.kind === "note")!;
    expect(note).toMatchObject({ actorId: a.id, text: "当事人情绪激动，建议当面调解", detail: { internal: true } });
    // Notes do not stop the clock.
    expect((await h.store.getReferral(r.id))!.respondedAt).toBeNull();
  });
});

describe("close, rating, reopen", () => {
  it("closes with an outcome, hands the thread back, asks for a rating and attaches it to the owner once", async () => {
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await h.service.reply(r.id, a.id, "建议先向劳动监察大队投诉。");
    await expect(h.service.close(r.id, a.id, "")).rejects.toThrow("办结须填写处理结果");
    const closed = await h.service.close(r.id, a.id, "已告知投诉及仲裁途径");
    expect(closed.status).toBe("closed");
    expect(closed.closedAt).toBe(h.clock.now().toISOString());
    expect(closed.ownerId).toBe(a.id);
    expect(h.gateway.owners.get(r.threadId)).toBeNull();
    expect(h.gateway.ratingRequests).toHaveLength(1);
    expect(h.gateway.ratingRequests[0]).toMatchObject({ threadId: r.threadId, referralId: r.id });
    expect(h.gateway.ratingRequests[0].text).toContain(r.number);

    await expect(h.service.rate(r.id, 6)).rejects.toThrow("评分应为1-5的整数");
    const rated = await h.service.rate(r.id, 5, "律师很耐心");
    expect(rated.rating).toBe(5);
    expect(rated.ratingComment).toBe("律师很耐心");
    expect(await h.store.listRatings({ ownerId: a.id })).toMatchObject([{ referralId: r.id, stars: 5, cycle: 1 }]);
    await expect(h.service.rate(r.id, 1)).rejects.toThrow("该工单已评价");
    expect(h.notifier.of("rated")).toEqual([{ userIds: [a.id], number: r.number, kind: "rated" }]);
  });

  it("refuses ratings before closing and tells supervisors of a poor one", async () => {
    const sup = await h.addUser("s", "supervisor", ["qinghe"]);
    const r = await h.escalate();
    await expect(h.service.rate(r.id, 4)).rejects.toThrow("尚未办结");
    await h.service.claim(r.id, a.id);
    await h.service.close(r.id, a.id, "已答复");
    await h.service.rate(r.id, 1, "没解决问题");
    expect(h.notifier.of("rated").map((n) => n.userIds)).toEqual([[a.id], [sup.id]]);
  });

  it("reopens to the last owner with a fresh clock and allows a new rating for the new cycle", async () => {
    const r = await h.escalate({ urgency: "urgent" });
    await h.service.claim(r.id, a.id);
    await h.service.reply(r.id, a.id, "答复");
    await h.service.close(r.id, a.id, "已答复");
    await h.service.rate(r.id, 2);
    await expect(h.service.reopen(r.id, a.id, "")).rejects.toThrow("重新打开须填写原因");
    h.clock.advanceMinutes(600);
    const re = await h.service.reopen(r.id, a.id, "当事人补充了新情况");
    expect(re).toMatchObject({ status: "reopened", ownerId: null, assignedTo: a.id, cycle: 2, respondedAt: null, rating: null, closedAt: null });
    expect(re.clockStartedAt).toBe(h.clock.now().toISOString());
    expect(Date.parse(re.responseDue) - Date.parse(re.clockStartedAt)).toBe(120 * 60_000);
    // The first cycle's statistics are kept.
    expect(re.firstResponseAt).not.toBeNull();
    expect(h.notifier.of("reopened")[0].userIds).toEqual([a.id]);
    await h.service.claim(r.id, a.id);
    await h.service.close(r.id, a.id, "再次答复", { requestRating: true });
    await h.service.rate(r.id, 4);
    expect((await h.store.listRatings({ referralId: r.id })).map((x) => [x.cycle, x.stars])).toEqual([
      [1, 2],
      [2, 4],
    ]);
  });

  it("does not ask for a rating when told not to (duplicate, spam)", async () => {
    const sup = await h.addUser("s", "supervisor", ["qinghe"]);
    const r = await h.escalate();
    await h.service.close(r.id, sup.id, "重复工单", { requestRating: false });
    expect(h.gateway.ratingRequests).toHaveLength(0);
  });
});

describe("signals from the conversation core", () => {
  it("puts a resident's follow-up on the timeline and pings the owner", async () => {
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    const updated = await h.service.residentMessage(r.threadId, "律师您好，我还有一张欠条");
    expect(updated?.id).toBe(r.id);
    expect((await h.store.listEvents(r.id)).at(-1)).toMatchObject({ kind: "resident_message", text: "律师您好，我还有一张欠条" });
    expect(h.notifier.of("resident_message")[0].userIds).toEqual([a.id]);
    expect(await h.service.residentMessage("no-such-thread", "hi")).toBeNull();
  });

  it("tells the replying lawyer to call back (回拨) when a reply could not be delivered", async () => {
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    const { outboxId } = await h.service.reply(r.id, a.id, "请回电");
    await h.service.recordDelivery(outboxId, "undelivered", { error: "48h window closed" });
    expect(h.notifier.of("delivery_failed")).toEqual([{ userIds: [a.id], number: r.number, kind: "delivery_failed" }]);
    expect((await h.store.listEvents(r.id)).at(-1)).toMatchObject({ kind: "delivery", outboxId, detail: { status: "undelivered" } });
    expect(await h.service.recordDelivery("unknown", "failed")).toBeNull();
  });

  it("reads a resident's rating reply", () => {
    expect(parseRating("5")).toEqual({ stars: 5, comment: null });
    expect(parseRating("５分，很满意")).toEqual({ stars: 5, comment: "很满意" });
    expect(parseRating("四星")).toEqual({ stars: 4, comment: null });
    expect(parseRating("3个月没发工资了")).toBeNull();
    expect(parseRating("老板欠钱")).toBeNull();
    expect(parseRating("7")).toBeNull();
  });
});

describe("saved replies", () => {
  it("keeps personal templates private and shared ones to supervisors", async () => {
    const b = await h.addUser("b", "lawyer", ["qinghe"]);
    const sup = await h.addUser("s", "supervisor", ["qinghe"]);
    const mine = await h.service.saveTemplate(a.id, { title: "欠薪", body: "可拨打12333或向劳动监察大队投诉。" });
    await expect(h.service.saveTemplate(a.id, { title: "共享", body: "x", shared: true })).rejects.toMatchObject({ code: "forbidden" });
    const shared = await h.service.saveTemplate(sup.id, { title: "法律援助", body: "经济困难可申请法律援助。", shared: true });
    expect((await h.service.listTemplates(a.id)).map((t) => t.id).sort()).toEqual([mine.id, shared.id].sort());
    expect((await h.service.listTemplates(b.id)).map((t) => t.id)).toEqual([shared.id]);
    await expect(h.service.saveTemplate(b.id, { id: mine.id, title: "改", body: "改" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(h.service.deleteTemplate(a.id, shared.id)).rejects.toMatchObject({ code: "forbidden" });
    await h.service.deleteTemplate(a.id, mine.id);
    expect((await h.store.listAudit({ targetType: "template" })).map((x) => x.action)).toEqual(["template.create", "template.create", "template.delete"]);
  });
});

describe("privacy purge", () => {
  it("blanks residents' text in referrals closed before the cutoff", async () => {
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await h.service.reply(r.id, a.id, "请联系13812345678");
    await h.service.close(r.id, a.id, "已答复");
    const open = await h.escalate();
    h.clock.advanceMinutes(60 * 24 * 200);
    expect(await h.service.redactClosedBefore(new Date(h.clock.now().getTime() - 180 * 86_400_000))).toBe(1);
    const purged = (await h.store.getReferral(r.id))!;
    expect(purged.summary).toBe("[已清除]");
    expect(purged.redactedAt).not.toBeNull();
    expect((await h.store.listEvents(r.id)).every((e) => e.text === null)).toBe(true);
    expect((await h.store.getReferral(open.id))!.summary).toBe("老板欠我三个月工资不给咋办");
  });
});

describe("live events and failing notifiers", () => {
  it("publishes each change for the console, and a throwing listener or notifier does not undo it", async () => {
    const seen: string[] = [];
    h.service.events.onEvent("referral.changed", (e) => seen.push(`${e.name}:${e.actorId ?? "system"}`));
    h.service.events.onEvent("referral.claimed", () => {
      throw new Error("console socket gone");
    });
    h.notifier.notify = async () => {
      throw new Error("telegram down");
    };
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await h.service.reply(r.id, a.id, "答复");
    await h.service.close(r.id, a.id, "办结");
    expect(seen).toEqual(["referral.created:system", "referral.claimed:u-a", "referral.replied:u-a", "referral.closed:u-a"]);
    expect((await h.store.getReferral(r.id))!.status).toBe("closed");
  });
});
