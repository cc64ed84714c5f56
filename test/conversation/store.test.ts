import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClaimLostError, type Completion } from "../../src/store/conversation-store.ts";
import { Clock, answer, inbound, tempDb, type TempDb } from "./helpers.ts";

let t: TempDb;
let clock: Clock;

beforeEach(() => {
  t = tempDb();
  clock = new Clock();
});
afterEach(() => t.cleanup());

const count = (table: string) => (t.db.prepare(`SELECT COUNT(*) n FROM ${table}`).get() as { n: number }).n;

function completion(inboundId: number, claim: number, over: Partial<Completion> = {}): Completion {
  return {
    inboundId,
    claim,
    status: "done",
    result: answer("q"),
    reason: null,
    error: null,
    context: null,
    messages: [
      { role: "resident", text: "q" },
      { role: "bot", text: "a" },
    ],
    escalation: null,
    reply: { kind: "answer", text: "a", sent: false },
    ...over,
  };
}

describe("SqlConversationStore", () => {
  it("applies migration 10 with the conversation tables", () => {
    const tables = (t.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(expect.arrayContaining(["inbound_messages", "threads", "thread_messages", "escalations", "outbox"]));
    expect(t.db.prepare("SELECT name FROM schema_migrations WHERE version = 10").get()).toEqual({ name: "conversation" });
  });

  it("records a message once per (channel, platform id) and one thread per (channel, thread key)", async () => {
    const m = inbound({ region: "town-1" });
    const a = await t.store.recordInbound(m, clock.now());
    const b = await t.store.recordInbound({ ...m, text: "changed" }, clock.now());
    const c = await t.store.recordInbound(inbound({ region: null }), clock.now());
    expect([a.created, b.created, c.created]).toEqual([true, false, true]);
    expect(b.inbound).toEqual(a.inbound);
    expect(c.inbound.threadId).toBe(a.inbound.threadId);
    expect(a.inbound).toMatchObject({ status: "received", attempts: 0, result: null, text: m.text, receivedAt: m.receivedAt.toISOString() });
    // A later message without a region does not erase the thread's region.
    expect((await t.store.getThread(a.inbound.threadId))?.region).toBe("town-1");
    expect(count("threads")).toBe(1);
  });

  it("claims with a lease: a live claim is not taken twice, a stale one is", async () => {
    const { inbound: row } = await t.store.recordInbound(inbound(), clock.now());
    const first = await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) });
    expect(first).toMatchObject({ status: "processing", attempts: 1, claimedAt: clock.now().toISOString() });
    expect(await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) })).toBeUndefined();
    clock.advance(120_000);
    const second = await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) });
    expect(second?.attempts).toBe(2);
    expect((await t.store.listUnfinishedInbound()).map((r) => r.id)).toEqual([row.id]);
  });

  it("refuses a completion from a lost claim and writes nothing of it", async () => {
    const { inbound: row } = await t.store.recordInbound(inbound(), clock.now());
    await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
    clock.advance(1);
    await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() }); // taken over: attempts 2
    await expect(t.store.complete(completion(row.id, 1), clock.now())).rejects.toBeInstanceOf(ClaimLostError);
    expect([count("thread_messages"), count("outbox"), count("escalations")]).toEqual([0, 0, 0]);
    const done = await t.store.complete(completion(row.id, 2), clock.now());
    expect(done.inbound.status).toBe("done");
    expect(done.messages).toHaveLength(2);
  });

  it("rolls the whole completion back when one write fails", async () => {
    const { inbound: row } = await t.store.recordInbound(inbound(), clock.now());
    const claimed = await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
    const bad = completion(row.id, claimed!.attempts, {
      context: { lastTopic: "x", lastIntent: "legal_question", lastQuestion: "q", lastFullAnswer: "a", negativeFeedbackCount: 0, turns: 1, region: null, awaitingRating: null },
      escalation: { reason: "asked_human", urgency: "whenever" as never, topic: "x", region: null, summary: "s", findings: { articles: [], guides: [] } },
    });
    await expect(t.store.complete(bad, clock.now())).rejects.toThrow(/CHECK/);
    expect((await t.store.getInbound(row.id))?.status).toBe("processing");
    expect((await t.store.getThread(row.threadId))?.context.turns).toBe(0);
    expect([count("thread_messages"), count("outbox"), count("escalations")]).toEqual([0, 0, 0]);
  });

  it("allows at most one reply per inbound message", async () => {
    const { inbound: row } = await t.store.recordInbound(inbound(), clock.now());
    await t.store.enqueueOutbox({ threadId: row.threadId, kind: "answer", text: "a", inboundId: row.id }, clock.now());
    await expect(t.store.enqueueOutbox({ threadId: row.threadId, kind: "answer", text: "b", inboundId: row.id }, clock.now())).rejects.toThrow(
      /UNIQUE/,
    );
  });

  it("hands out due outbox rows per channel, with a lease, retries and final states", async () => {
    const { inbound: tg } = await t.store.recordInbound(inbound({ channel: "telegram" }), clock.now());
    const { inbound: wx } = await t.store.recordInbound(inbound({ channel: "wechat_oa", threadKey: "openid-1" }), clock.now());
    const o1 = await t.store.enqueueOutbox({ threadId: tg.threadId, kind: "answer", text: "1" }, clock.now());
    const o2 = await t.store.enqueueOutbox({ threadId: tg.threadId, kind: "notice", text: "2" }, clock.now());
    const o3 = await t.store.enqueueOutbox({ threadId: tg.threadId, kind: "answer", text: "3" }, clock.now());
    await t.store.enqueueOutbox({ threadId: wx.threadId, kind: "answer", text: "wx" }, clock.now());
    await t.store.enqueueOutbox({ threadId: tg.threadId, kind: "answer", text: "done", sent: true }, clock.now());

    const lease = { now: clock.now(), leaseMs: 30_000 };
    const claimed = await t.store.claimOutbox("telegram", lease);
    expect(claimed.map((r) => r.text)).toEqual(["1", "2", "3"]);
    expect(claimed.every((r) => r.attempts === 1 && r.channel === "telegram" && r.threadKey === "chat-1")).toBe(true);
    expect(await t.store.claimOutbox("telegram", lease)).toEqual([]);

    await t.store.markOutboxSent(o1.id, clock.now());
    await t.store.markOutboxFailed(o2.id, "network down");
    await t.store.markOutboxUndelivered(o3.id, "45015 window closed");
    clock.advance(30_001);
    const retry = await t.store.claimOutbox("telegram", { now: clock.now(), leaseMs: 30_000 });
    expect(retry.map((r) => [r.id, r.attempts, r.lastError])).toEqual([[o2.id, 2, "network down"]]);
    expect((await t.store.getOutbox(o3.id))?.status).toBe("undelivered");
    // A late failure report must not undo a delivery.
    await t.store.markOutboxFailed(o1.id, "late");
    expect((await t.store.getOutbox(o1.id))?.status).toBe("sent");
    expect((await t.store.listOutbox({ status: "sent" })).map((r) => r.text)).toEqual(["1", "done"]);
  });

  it("lists and marks escalations by status", async () => {
    const { inbound: row } = await t.store.recordInbound(inbound({ region: "town-2" }), clock.now());
    const claimed = await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
    const done = await t.store.complete(
      completion(row.id, claimed!.attempts, {
        escalation: { reason: "emergency", urgency: "emergency", topic: "violence", region: null, summary: "家暴", findings: { articles: [], guides: [] } },
      }),
      clock.now(),
    );
    expect(done.escalation).toMatchObject({ status: "new", region: "town-2", urgency: "emergency" });
    expect((await t.store.listEscalations({ status: "new" })).map((e) => e.id)).toEqual([done.escalation!.id]);
    await t.store.markEscalation(done.escalation!.id, "assigned", clock.now());
    expect(await t.store.listEscalations({ status: "new" })).toEqual([]);
    expect((await t.store.listEscalations({ threadId: row.threadId }))[0].status).toBe("assigned");
  });

  it("appends messages of every role with their meta", async () => {
    const { inbound: row } = await t.store.recordInbound(inbound(), clock.now());
    await t.store.appendMessage(row.threadId, { role: "system", text: "转交值班律师", meta: { event: "assigned" } }, clock.now());
    const { message, outbox } = await t.store.addLawyerReply(row.threadId, "lawyer-1", "请来中心", clock.now());
    expect(message).toMatchObject({ role: "lawyer", authorId: "lawyer-1", inboundId: null });
    expect((await t.store.listMessages(row.threadId)).map((m) => [m.role, m.meta])).toEqual([
      ["system", { event: "assigned" }],
      ["lawyer", { outboxId: String(outbox.id) }],
    ]);
  });
});
