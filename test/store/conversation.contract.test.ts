// ConversationStore contract: the same tests against SQLite (temp file) and PostgreSQL (fresh schema).

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationCore } from "../../src/conversation/core.ts";
import { ClaimLostError, type Completion } from "../../src/store/conversation-store.ts";
import { Clock, FakePipeline, answer, inbound, silentLogger } from "../conversation/helpers.ts";
import { BACKENDS, skipped, title, type Backend } from "./backends.ts";
import { CHANNEL_PROFILES } from "../../src/channels/profiles.ts";

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

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("ConversationStore contract", name), () => {
    let b: Backend;
    let clock: Clock;
    beforeEach(async () => {
      b = await make();
      clock = new Clock();
    });
    afterEach(async () => b.close());

    it("records a message once per (channel, platform id) and one thread per (channel, thread key)", async () => {
      const s = b.conversation;
      const m = inbound({ region: "town-1" });
      const a = await s.recordInbound(m, clock.now());
      const again = await s.recordInbound({ ...m, text: "changed" }, clock.now());
      const c = await s.recordInbound(inbound({ region: null }), clock.now());
      const other = await s.recordInbound({ ...m, channel: "wechaty" }, clock.now());
      expect([a.created, again.created, c.created, other.created]).toEqual([true, false, true, true]);
      expect(again.inbound).toEqual(a.inbound);
      expect(c.inbound.threadId).toBe(a.inbound.threadId);
      expect(other.inbound.threadId).not.toBe(a.inbound.threadId);
      expect(a.inbound).toMatchObject({
        status: "received",
        attempts: 0,
        result: null,
        claimedAt: null,
        processedAt: null,
        text: m.text,
        receivedAt: m.receivedAt.toISOString(),
        groupKey: null,
      });
      expect(typeof a.inbound.id).toBe("number");
      expect(typeof a.inbound.threadId).toBe("number");
      const thread = await s.getThread(a.inbound.threadId);
      expect(thread?.region).toBe("town-1");
      expect(thread?.context).toMatchObject({ region: "town-1", turns: 0, awaitingRating: null });
      expect(thread?.createdAt).toBe(clock.now().toISOString());
      expect(await s.findThread("telegram", "chat-1")).toEqual(thread);
      expect(await s.findThread("telegram", "nope")).toBeUndefined();
      expect(await s.getInbound(999_999)).toBeUndefined();
      expect(await b.count("threads")).toBe(2);
    });

    it("records concurrent retries of one platform message once", async () => {
      const other = await b.second();
      const m = inbound();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? other.conversation : b.conversation).recordInbound(m, clock.now())),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.inbound.id)).size).toBe(1);
      expect(await b.count("inbound_messages")).toBe(1);
    });

    it("claims with a lease: a live claim is not taken twice, a stale one is", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound(), clock.now());
      const first = await s.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) });
      expect(first).toMatchObject({ status: "processing", attempts: 1, claimedAt: clock.now().toISOString() });
      expect(await s.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) })).toBeUndefined();
      clock.advance(120_000);
      const second = await s.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) });
      expect(second?.attempts).toBe(2);
      expect((await s.listUnfinishedInbound()).map((r) => r.id)).toEqual([row.id]);
      await s.complete(completion(row.id, 2), clock.now());
      expect(await s.listUnfinishedInbound()).toEqual([]);
      // A finished message is never claimed again, however old.
      clock.advance(10 * 60_000);
      expect(await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() })).toBeUndefined();
    });

    it("finds the oldest unfinished message of a thread before a given one", async () => {
      const s = b.conversation;
      const { inbound: m1 } = await s.recordInbound(inbound({ threadKey: "order" }), clock.now());
      const { inbound: m2 } = await s.recordInbound(inbound({ threadKey: "order" }), clock.now());
      const { inbound: m3 } = await s.recordInbound(inbound({ threadKey: "order" }), clock.now());
      const { inbound: elsewhere } = await s.recordInbound(inbound({ threadKey: "another" }), clock.now());
      expect((await s.earlierUnfinishedInbound(m3.threadId, m3.id))?.id).toBe(m1.id);
      expect(await s.earlierUnfinishedInbound(m1.threadId, m1.id)).toBeUndefined();
      expect(await s.earlierUnfinishedInbound(elsewhere.threadId, elsewhere.id)).toBeUndefined();
      await s.claimInbound(m1.id, { now: clock.now(), staleBefore: clock.now() });
      expect((await s.earlierUnfinishedInbound(m3.threadId, m3.id))?.id).toBe(m1.id); // processing is unfinished
      await s.complete(completion(m1.id, 1), clock.now());
      expect((await s.earlierUnfinishedInbound(m3.threadId, m3.id))?.id).toBe(m2.id);
    });

    it("20 concurrent claims of one inbound message from two pools: exactly one winner", async () => {
      const other = await b.second();
      const { inbound: row } = await b.conversation.recordInbound(inbound(), clock.now());
      const opts = { now: clock.now(), staleBefore: new Date(clock.ms - 60_000) };
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? other.conversation : b.conversation).claimInbound(row.id, opts)),
      );
      const winners = claims.filter((c) => c !== undefined);
      expect(winners).toHaveLength(1);
      expect(winners[0]).toMatchObject({ status: "processing", attempts: 1 });
      expect((await b.conversation.getInbound(row.id))?.attempts).toBe(1);
    });

    it("lists unfinished messages in received order", async () => {
      const s = b.conversation;
      const ids: number[] = [];
      for (let i = 0; i < 3; i++) ids.push((await s.recordInbound(inbound({ threadKey: `t-${i}` }), clock.now())).inbound.id);
      const c = await s.claimInbound(ids[1], { now: clock.now(), staleBefore: clock.now() });
      await s.complete(completion(ids[1], c!.attempts), clock.now());
      await s.claimInbound(ids[2], { now: clock.now(), staleBefore: clock.now() });
      expect((await s.listUnfinishedInbound()).map((r) => [r.id, r.status])).toEqual([
        [ids[0], "received"],
        [ids[2], "processing"],
      ]);
    });

    it("refuses a completion from a lost claim and writes nothing of it", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound(), clock.now());
      await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
      clock.advance(1);
      await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() }); // taken over: attempts 2
      await expect(s.complete(completion(row.id, 1), clock.now())).rejects.toBeInstanceOf(ClaimLostError);
      expect([await b.count("thread_messages"), await b.count("outbox"), await b.count("escalations")]).toEqual([0, 0, 0]);
      const done = await s.complete(completion(row.id, 2), clock.now());
      expect(done.inbound).toMatchObject({ status: "done", processedAt: clock.now().toISOString() });
      expect(done.inbound.result).toEqual(answer("q"));
      expect(done.messages.map((m) => [m.role, m.inboundId])).toEqual([
        ["resident", row.id],
        ["bot", row.id],
      ]);
      expect(done.outbox).toMatchObject({ kind: "answer", status: "pending", inboundId: row.id, channel: "telegram", threadKey: "chat-1" });
      // A second completion of the same claim is refused too.
      await expect(s.complete(completion(row.id, 2), clock.now())).rejects.toBeInstanceOf(ClaimLostError);
      expect(await s.getInbound(row.id)).toEqual(done.inbound);
    });

    it("writes context, owner notice, escalation and a sent reply in the completion", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound({ region: "town-2" }), clock.now());
      const claimed = await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
      clock.advance(500);
      // The follow-up fields (the last answer's guide, citations and 【详细】 page) are kept with the thread.
      const context = {
        lastTopic: "labour",
        lastIntent: "legal_question" as const,
        lastQuestion: "q",
        lastFullAnswer: "a",
        negativeFeedbackCount: 0,
        turns: 1,
        region: "town-2",
        awaitingRating: null,
        lastGuideId: "wage-arrears",
        lastCitations: [{ law: "中华人民共和国劳动合同法", article: "第三十条", articleId: "ldl-30" }],
        lastDetailPart: 2,
      };
      const done = await s.complete(
        completion(row.id, claimed!.attempts, {
          context,
          ownerNoticeFor: "lawyer-9",
          reason: "rate_limited",
          escalation: { reason: "emergency", urgency: "emergency", topic: "violence", region: null, summary: "家暴", findings: { articles: [], guides: [] } },
          reply: { kind: "answer", text: "a", sent: true },
          messages: [{ role: "resident", text: "q", meta: { masked: true, n: 2 } }],
        }),
        clock.now(),
      );
      expect(done.thread).toMatchObject({ context, ownerNoticeFor: "lawyer-9", updatedAt: clock.now().toISOString() });
      expect(done.inbound.reason).toBe("rate_limited");
      expect(done.escalation).toMatchObject({ status: "new", region: "town-2", urgency: "emergency", inboundId: row.id, findings: { articles: [], guides: [] } });
      expect(done.outbox).toMatchObject({ status: "sent", sentAt: clock.now().toISOString() });
      expect((await s.listMessages(row.threadId))[0].meta).toEqual({ masked: true, n: 2 });
      expect(await s.findEscalationByInbound(row.id)).toEqual(done.escalation);
      expect(await s.getEscalation(done.escalation!.id)).toEqual(done.escalation);
      expect(await s.findOutboxByInbound(row.id)).toEqual(done.outbox);
      expect(await s.getThread(row.threadId)).toEqual(done.thread);
    });

    it("rolls the whole completion back when one write fails", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound(), clock.now());
      const claimed = await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
      const bad = completion(row.id, claimed!.attempts, {
        context: { lastTopic: "x", lastIntent: "legal_question", lastQuestion: "q", lastFullAnswer: "a", negativeFeedbackCount: 0, turns: 1, region: null, awaitingRating: null },
        escalation: { reason: "asked_human", urgency: "whenever" as never, topic: "x", region: null, summary: "s", findings: { articles: [], guides: [] } },
      });
      await expect(s.complete(bad, clock.now())).rejects.toThrow(/check/i);
      expect((await s.getInbound(row.id))?.status).toBe("processing");
      expect((await s.getThread(row.threadId))?.context.turns).toBe(0);
      expect([await b.count("thread_messages"), await b.count("outbox"), await b.count("escalations")]).toEqual([0, 0, 0]);
    });

    it("allows at most one reply per inbound message", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound(), clock.now());
      await s.enqueueOutbox({ threadId: row.threadId, kind: "answer", text: "a", inboundId: row.id }, clock.now());
      await expect(s.enqueueOutbox({ threadId: row.threadId, kind: "answer", text: "b", inboundId: row.id }, clock.now())).rejects.toThrow(/unique/i);
      await expect(s.enqueueOutbox({ threadId: 999_999, kind: "answer", text: "c" }, clock.now())).rejects.toThrow(/not found/);
      expect(await b.count("outbox")).toBe(1);
    });

    it("hands out due outbox rows per channel, with a lease, retries and final states", async () => {
      const s = b.conversation;
      const { inbound: tg } = await s.recordInbound(inbound({ channel: "telegram" }), clock.now());
      const { inbound: wx } = await s.recordInbound(inbound({ channel: "wechat_oa", threadKey: "openid-1" }), clock.now());
      const o1 = await s.enqueueOutbox({ threadId: tg.threadId, kind: "answer", text: "1" }, clock.now());
      const o2 = await s.enqueueOutbox({ threadId: tg.threadId, kind: "notice", text: "2" }, clock.now());
      const o3 = await s.enqueueOutbox({ threadId: tg.threadId, kind: "answer", text: "3" }, clock.now());
      await s.enqueueOutbox({ threadId: wx.threadId, kind: "answer", text: "wx" }, clock.now());
      await s.enqueueOutbox({ threadId: tg.threadId, kind: "answer", text: "done", sent: true }, clock.now());

      const lease = { now: clock.now(), leaseMs: 30_000 };
      expect((await s.claimOutbox("telegram", { ...lease, limit: 2 })).map((r) => r.text)).toEqual(["1", "2"]);
      const rest = await s.claimOutbox("telegram", lease);
      expect(rest.map((r) => r.text)).toEqual(["3"]);
      const claimed = (await s.listOutbox({ threadId: tg.threadId, status: "pending" })).filter((r) => r.claimedAt !== null);
      expect(claimed.every((r) => r.attempts === 1 && r.channel === "telegram" && r.threadKey === "chat-1" && r.claimedAt === clock.now().toISOString())).toBe(true);
      expect(claimed).toHaveLength(3);
      expect(await s.claimOutbox("telegram", lease)).toEqual([]);

      await s.markOutboxSent(o1.id, clock.now());
      await s.markOutboxFailed(o2.id, "network down");
      await s.markOutboxUndelivered(o3.id, "45015 window closed");
      clock.advance(30_001);
      const retry = await s.claimOutbox("telegram", { now: clock.now(), leaseMs: 30_000 });
      expect(retry.map((r) => [r.id, r.attempts, r.lastError, r.status])).toEqual([[o2.id, 2, "network down", "failed"]]);
      expect((await s.getOutbox(o3.id))?.status).toBe("undelivered");
      await s.markOutboxFailed(o1.id, "late");
      await s.markOutboxUndelivered(o1.id, "late");
      expect(await s.getOutbox(o1.id)).toMatchObject({ status: "sent", lastError: null });
      expect((await s.listOutbox({ status: "sent" })).map((r) => r.text)).toEqual(["1", "done"]);
      expect((await s.listOutbox({ threadId: wx.threadId })).map((r) => r.text)).toEqual(["wx"]);
      expect((await s.listOutbox()).length).toBe(5);
    });

    it("concurrent outbox claims from two pools never hand one row to both", async () => {
      const other = await b.second();
      const { inbound: row } = await b.conversation.recordInbound(inbound(), clock.now());
      for (let i = 0; i < 30; i++) await b.conversation.enqueueOutbox({ threadId: row.threadId, kind: "notice", text: `n${i}` }, clock.now());
      const lease = { now: clock.now(), leaseMs: 30_000, limit: 4 };
      const batches = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? other.conversation : b.conversation).claimOutbox("telegram", lease)));
      const ids = batches.flat().map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const batch of batches) expect(batch.map((r) => r.id)).toEqual([...batch.map((r) => r.id)].sort((x, y) => x - y));
      // Whatever was skipped while locked is still due: a final sweep collects the rest, each row once in all.
      const sweep = await b.conversation.claimOutbox("telegram", { ...lease, limit: 100 });
      expect(ids.length + sweep.length).toBe(30);
      expect((await b.conversation.listOutbox()).every((r) => r.attempts === 1)).toBe(true);
    });

    it("lists and marks escalations by status; one escalation per inbound message", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound({ region: "town-2" }), clock.now());
      const claimed = await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
      const esc = { reason: "emergency" as const, urgency: "emergency" as const, topic: "violence", region: null, summary: "家暴", findings: { articles: [], guides: [] } };
      const done = await s.complete(completion(row.id, claimed!.attempts, { escalation: esc }), clock.now());
      expect((await s.listEscalations({ status: "new" })).map((e) => e.id)).toEqual([done.escalation!.id]);
      clock.advance(1000);
      await s.markEscalation(done.escalation!.id, "assigned", clock.now());
      expect(await s.listEscalations({ status: "new" })).toEqual([]);
      const [marked] = await s.listEscalations({ threadId: row.threadId });
      expect(marked).toMatchObject({ status: "assigned", updatedAt: clock.now().toISOString() });
      expect(await s.listEscalations({ threadId: row.threadId + 1000 })).toEqual([]);
      expect(await s.listEscalations()).toHaveLength(1);
    });

    it("appends messages of every role with their meta; a lawyer reply queues an outbox row", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound(), clock.now());
      await s.appendMessage(row.threadId, { role: "system", text: "转交值班律师", meta: { event: "assigned" } }, clock.now());
      const { message, outbox } = await s.addLawyerReply(row.threadId, "lawyer-1", "请来中心", clock.now());
      expect(message).toMatchObject({ role: "lawyer", authorId: "lawyer-1", inboundId: null, createdAt: clock.now().toISOString() });
      expect(outbox).toMatchObject({ kind: "lawyer_reply", status: "pending", inboundId: null, text: "请来中心", attempts: 0 });
      // The history row names its outbox row (recovery matches replies to the timeline by it);
      // the channel may deliver a different text than the history shows.
      const second = await s.addLawyerReply(row.threadId, "lawyer-1", "带上身份证", clock.now(), { outboxText: "【李律师】带上身份证", meta: { referralId: "r-1" } });
      expect(second.outbox.text).toBe("【李律师】带上身份证");
      expect(second.message.text).toBe("带上身份证");
      expect((await s.listMessages(row.threadId)).map((m) => [m.role, m.meta])).toEqual([
        ["system", { event: "assigned" }],
        ["lawyer", { outboxId: String(outbox.id) }],
        ["lawyer", { referralId: "r-1", outboxId: String(second.outbox.id) }],
      ]);
      await expect(s.addLawyerReply(999_999, "lawyer-1", "x", clock.now())).rejects.toThrow(/not found/);
      // Nothing half-written by the failed reply.
      expect((await s.listOutbox({ threadId: row.threadId })).map((o) => o.id)).toEqual([outbox.id, second.outbox.id]);
      await expect(s.appendMessage(row.threadId, { role: "robot" as never, text: "x" }, clock.now())).rejects.toThrow(/check/i);
    });

    it("resets, assigns and marks a thread awaiting a rating", async () => {
      const s = b.conversation;
      const { inbound: row } = await s.recordInbound(inbound({ region: "town-3" }), clock.now());
      const claimed = await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
      const ctx = { lastTopic: "labour", lastIntent: "legal_question" as const, lastQuestion: "q", lastFullAnswer: "a", negativeFeedbackCount: 2, turns: 3, region: "town-3", awaitingRating: null };
      await s.complete(completion(row.id, claimed!.attempts, { context: ctx, ownerNoticeFor: "x" }), clock.now());

      await s.setAwaitingRating(row.threadId, "ref-1", clock.now());
      expect((await s.getThread(row.threadId))?.context).toEqual({ ...ctx, awaitingRating: "ref-1" });
      await s.setAwaitingRating(row.threadId, null, clock.now());
      expect((await s.getThread(row.threadId))?.context.awaitingRating).toBeNull();

      clock.advance(5000);
      await s.assignThread(row.threadId, "lawyer-2", clock.now());
      expect(await s.getThread(row.threadId)).toMatchObject({ ownedBy: "lawyer-2", ownerNoticeFor: null, updatedAt: clock.now().toISOString() });
      await s.assignThread(row.threadId, null, clock.now());
      expect((await s.getThread(row.threadId))?.ownedBy).toBeNull();

      const reset = await s.resetThread("telegram", "chat-1", clock.now());
      expect(reset?.context).toEqual({
        lastTopic: null,
        lastIntent: null,
        lastQuestion: null,
        lastFullAnswer: null,
        negativeFeedbackCount: 0,
        turns: 0,
        region: "town-3",
        awaitingRating: null,
        lastGuideId: null,
        lastCitations: [],
        lastDetailPart: 0,
        lastMessage: null,
      });
      expect(await s.resetThread("telegram", "no-such-thread", clock.now())).toBeUndefined();
      // History is kept.
      expect(await s.listMessages(row.threadId)).toHaveLength(2);

      // A thread without a region resets to region null.
      await s.recordInbound(inbound({ threadKey: "plain" }), clock.now());
      expect((await s.resetThread("telegram", "plain", clock.now()))?.context.region).toBeNull();
    });

    it("accepts a NUL character in text and JSON (PostgreSQL stores it as U+FFFD)", async () => {
      const s = b.conversation;
      // SQLite keeps the NUL; PostgreSQL cannot store one and keeps U+FFFD in its place.
      const norm = (v: unknown): unknown =>
        typeof v === "string" ? v.replace(/\u0000/g, "\uFFFD") : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v;
      const same = (got: unknown, sent: unknown) => expect(norm(got)).toEqual(norm(sent));
      const { inbound: row } = await s.recordInbound(inbound({ text: "工资\u0000拖欠", senderKey: "u\u0000" }), clock.now());
      same(row.text, "工资\u0000拖欠");
      const claimed = await s.claimInbound(row.id, { now: clock.now(), staleBefore: clock.now() });
      const done = await s.complete(
        completion(row.id, claimed!.attempts, { messages: [{ role: "resident", text: "a\u0000b", meta: { raw: "x\u0000y", slash: "\\u0000" } }] }),
        clock.now(),
      );
      same(done.messages[0].meta, { raw: "x\u0000y", slash: "\\u0000" });
      expect(done.messages[0].meta.slash).toBe("\\u0000");
      same((await s.listMessages(row.threadId))[0].text, "a\u0000b");
    });

    it("drives the conversation core: one answer per message, remembered by a second process", async () => {
      const pipeline = new FakePipeline();
      const core = new ConversationCore({ channels: CHANNEL_PROFILES, store: b.conversation, pipeline, log: silentLogger(), rateLimitPerMinute: 10, now: clock.now });
      const msg = inbound();
      const first = await core.receive(msg);
      expect(first.duplicate).toBe(false);
      const other = await b.second();
      const core2 = new ConversationCore({ channels: CHANNEL_PROFILES, store: other.conversation, pipeline, log: silentLogger(), rateLimitPerMinute: 10, now: clock.now });
      const second = await core2.receive({ ...msg, text: "retry" });
      expect(second.duplicate).toBe(true);
      expect(pipeline.calls).toHaveLength(1);
      expect(await b.count("outbox")).toBe(1);
      expect(await b.count("thread_messages")).toBe(2);
    });
  });
});
