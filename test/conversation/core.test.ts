import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationCore, type ConversationCoreOptions } from "../../src/conversation/core.ts";
import { CONTEXT_RESET_NOTE, OWNED_NOTICE, PIPELINE_FAILED, RATE_LIMITED } from "../../src/conversation/replies.ts";
import type { EscalationRow, OutboxRow } from "../../src/store/conversation-store.ts";
import { SqlConversationStore } from "../../src/store/conversation-store.ts";
import { Clock, FakePipeline, answer, captureLogger, gate, inbound, silentLogger, sleep, tempDb, type TempDb } from "./helpers.ts";
import { CHANNEL_PROFILES } from "../../src/channels/profiles.ts";

let t: TempDb;
let pipeline: FakePipeline;
let clock: Clock;

beforeEach(() => {
  t = tempDb();
  pipeline = new FakePipeline();
  clock = new Clock();
});
afterEach(() => t.cleanup());

function makeCore(over: Partial<ConversationCoreOptions> = {}): ConversationCore {
  return new ConversationCore({ channels: CHANNEL_PROFILES, store: t.store, pipeline, log: silentLogger(), rateLimitPerMinute: 10, now: clock.now, ...over });
}

function count(sql: string, ...params: unknown[]): number {
  return (t.db.prepare(sql).get(...params) as { n: number }).n;
}

describe("dedupe", () => {
  it("answers a platform's retry once and marks the second receipt as a duplicate", async () => {
    const core = makeCore();
    const msg = inbound();
    const first = await core.receive(msg);
    const second = await core.receive({ ...msg, text: "重发的文字不同也一样" });

    expect(pipeline.calls).toHaveLength(1);
    expect(first.duplicate).toBe(false);
    expect(second.duplicate).toBe(true);
    expect(second.outcome).toEqual(first.outcome);
    expect(count("SELECT COUNT(*) n FROM inbound_messages")).toBe(1);
    expect(count("SELECT COUNT(*) n FROM outbox")).toBe(1);
  });

  it("joins a concurrent retry to the answer in flight: one pipeline call, one duplicate", async () => {
    const hold = gate();
    pipeline.behaviour = async (text) => {
      await hold.promise;
      return answer(text);
    };
    const core = makeCore();
    const msg = inbound();
    let recordCalls = 0;
    const record = t.store.recordInbound.bind(t.store);
    t.store.recordInbound = (m, now) => ((recordCalls += 1), record(m, now));
    const all = Promise.all([core.receive(msg), core.receive(msg), core.receive(msg)]);
    // The first is mid-answer before the gate opens, so the retries had something to join.
    await expect.poll(() => pipeline.calls.length).toBe(1);
    hold.open();
    const receipts = await all;

    expect(pipeline.calls).toHaveLength(1);
    // The retries joined the promise in flight: they never reached the store.
    expect(recordCalls).toBe(1);
    expect(receipts.map((r) => r.duplicate).sort()).toEqual([false, true, true]);
    expect(new Set(receipts.map((r) => r.outcome.outboxId)).size).toBe(1);
    expect(count("SELECT COUNT(*) n FROM outbox")).toBe(1);
  });

  it("remembers across a restart: a new core over the same file does not answer again", async () => {
    const msg = inbound();
    await makeCore().receive(msg);
    const { store } = t.reopen();
    const pipeline2 = new FakePipeline();
    const core2 = new ConversationCore({ channels: CHANNEL_PROFILES, store, pipeline: pipeline2, log: silentLogger(), now: clock.now });
    const again = await core2.receive(msg);

    expect(again.duplicate).toBe(true);
    expect(again.outcome.result.text).toBe(answer(msg.text).text);
    expect(pipeline2.calls).toHaveLength(0);
  });

  it("keeps the same platform id on different channels apart", async () => {
    const core = makeCore();
    const a = await core.receive(inbound({ channel: "telegram", platformMessageId: "42" }));
    const b = await core.receive(inbound({ channel: "wechat_oa", platformMessageId: "42" }));
    expect(a.duplicate).toBe(false);
    expect(b.duplicate).toBe(false);
    expect(pipeline.calls).toHaveLength(2);
  });

  it("accept() resolves once recorded, before the answer exists", async () => {
    const hold = gate();
    pipeline.behaviour = async (text) => {
      await hold.promise;
      return answer(text);
    };
    const core = makeCore();
    const ticket = await core.accept(inbound());
    const row = await t.store.getInbound(ticket.inboundId);
    expect(row?.status).toBe("processing");
    hold.open();
    const receipt = await ticket.result;
    expect(receipt.outcome.inboundId).toBe(ticket.inboundId);
    expect((await t.store.getInbound(ticket.inboundId))?.status).toBe("done");
  });
});

describe("ordering", () => {
  it("answers one thread strictly in order while other threads run concurrently", async () => {
    const events: string[] = [];
    let running = 0;
    let maxRunning = 0;
    pipeline.behaviour = async (text, ctx) => {
      const [thread, n] = text.split("#");
      events.push(`start ${thread} ${n} turns=${ctx.turns}`);
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await sleep(Math.floor(Math.random() * 8));
      running -= 1;
      events.push(`end ${thread} ${n}`);
      return answer(text);
    };
    const core = makeCore({ rateLimitPerMinute: 1000 });
    const threads = ["a", "b", "c"];
    const receipts = [];
    for (let i = 0; i < 8; i++)
      for (const th of threads) receipts.push(core.receive(inbound({ threadKey: th, senderKey: th, text: `${th}#${i}` })));
    await Promise.all(receipts);

    for (const th of threads) {
      const mine = events.filter((e) => e.split(" ")[1] === th);
      const expected = Array.from({ length: 8 }, (_, i) => [`start ${th} ${i} turns=${i}`, `end ${th} ${i}`]).flat();
      expect(mine).toEqual(expected);
      const thread = await t.store.findThread("telegram", th);
      const history = await t.store.listMessages(thread!.id);
      expect(history.filter((m) => m.role === "resident").map((m) => m.text)).toEqual(Array.from({ length: 8 }, (_, i) => `${th}#${i}`));
    }
    expect(maxRunning).toBeGreaterThan(1);
  });

  it("keeps going after a failed message in the same thread", async () => {
    pipeline.behaviour = (text) => {
      if (text === "坏") throw new Error("boom");
      return answer(text);
    };
    const core = makeCore();
    const [bad, good] = await Promise.all([core.receive(inbound({ text: "坏" })), core.receive(inbound({ text: "好" }))]);
    expect(bad.outcome.result.text).toBe(PIPELINE_FAILED);
    expect(good.outcome.result.text).toBe(answer("好").text);
  });
});

describe("rate limit", () => {
  it("answers up to the limit, then one polite notice, then silence; every message recorded", async () => {
    const core = makeCore({ rateLimitPerMinute: 3 });
    const receipts = [];
    for (let i = 0; i < 6; i++) {
      receipts.push(await core.receive(inbound({ text: `问题${i}` })));
      clock.advance(1000);
    }
    expect(pipeline.calls.map((c) => c.text)).toEqual(["问题0", "问题1", "问题2"]);
    expect(receipts.slice(0, 3).every((r) => r.outcome.reason === undefined && r.outcome.result.kind === "reply")).toBe(true);

    const notice = receipts[3].outcome;
    expect(notice.reason).toBe("rate_limited");
    expect(notice.result.kind).toBe("reply");
    expect(notice.result.text).toBe(RATE_LIMITED);
    expect((await t.store.getOutbox(notice.outboxId!))?.kind).toBe("notice");

    for (const r of receipts.slice(4)) {
      expect(r.outcome.reason).toBe("rate_limited");
      expect(r.outcome.result.kind).toBe("silence");
      expect(r.outcome.outboxId).toBeNull();
    }
    expect(count("SELECT COUNT(*) n FROM inbound_messages WHERE status = 'done'")).toBe(6);
    expect(count("SELECT COUNT(*) n FROM inbound_messages WHERE reason = 'rate_limited'")).toBe(3);
    expect(count("SELECT COUNT(*) n FROM thread_messages WHERE role = 'resident'")).toBe(6);
    expect(count("SELECT COUNT(*) n FROM outbox")).toBe(4);
    // Rate-limited messages do not move the conversation on.
    const thread = await t.store.getThread(receipts[0].outcome.threadId);
    expect(thread?.context.turns).toBe(3);
  });

  it("lets the sender through again once the window has slid past, and limits senders separately", async () => {
    const core = makeCore({ rateLimitPerMinute: 2 });
    await core.receive(inbound());
    await core.receive(inbound());
    expect((await core.receive(inbound())).outcome.reason).toBe("rate_limited");
    expect((await core.receive(inbound({ senderKey: "user-2", threadKey: "chat-2" }))).outcome.reason).toBeUndefined();
    clock.advance(60_001);
    const later = await core.receive(inbound());
    expect(later.outcome.reason).toBeUndefined();
    expect(pipeline.calls).toHaveLength(4);
  });

  it("stays silent (no notice) when the flood is in a township group", async () => {
    const core = makeCore({ rateLimitPerMinute: 1 });
    const group = { groupKey: "group-1", threadKey: "group-1:user-1" };
    await core.receive(inbound(group));
    const excess = await core.receive(inbound(group));
    expect(excess.outcome.reason).toBe("rate_limited");
    expect(excess.outcome.result.kind).toBe("silence");
    expect(excess.outcome.outboxId).toBeNull();
  });

  it("lets a message through, answered, when the shared flood counter cannot be reached", async () => {
    const { log, lines } = captureLogger("warn");
    const core = makeCore({ log, senderLimiter: { hit: async () => Promise.reject(new Error("connection terminated")) } });
    const r = await core.receive(inbound({ text: "老板拖欠工资" }));
    expect(r.outcome.reason).toBeUndefined();
    expect(r.outcome.result.kind).toBe("reply");
    expect(pipeline.calls).toHaveLength(1);
    expect(lines().some((l) => l.msg === "flood limit unavailable; message let through")).toBe(true);
  });

  it("does not count a platform retry against the sender", async () => {
    const core = makeCore({ rateLimitPerMinute: 1 });
    const msg = inbound();
    await core.receive(msg);
    await core.receive(msg);
    await core.receive(msg);
    expect(count("SELECT COUNT(*) n FROM inbound_messages WHERE reason = 'rate_limited'")).toBe(0);
  });
});

describe("crash recovery", () => {
  it("answers messages left unfinished by a dead process exactly once, in received order", async () => {
    // The dead process recorded two messages; it had claimed the first and was mid-answer.
    const first = inbound({ text: "第一条" });
    const second = inbound({ text: "第二条" });
    const r1 = await t.store.recordInbound(first, clock.now());
    await t.store.recordInbound(second, clock.now());
    await t.store.claimInbound(r1.inbound.id, { now: clock.now(), staleBefore: clock.now() });
    t.db.close();

    clock.advance(5_000);
    const { store, db } = t.reopen();
    const core = new ConversationCore({ channels: CHANNEL_PROFILES, store, pipeline, log: silentLogger(), now: clock.now });
    const replies: OutboxRow[] = [];
    core.onReply((row) => void replies.push(row));

    expect(await core.recover()).toBe(2);
    expect(pipeline.calls.map((c) => c.text)).toEqual(["第一条", "第二条"]);
    // The second answer saw the first one's context: they ran in order.
    expect(pipeline.calls[1].ctx.turns).toBe(1);
    const rows = db.prepare("SELECT status, attempts FROM inbound_messages ORDER BY id").all();
    expect(rows).toEqual([
      { status: "done", attempts: 2 },
      { status: "done", attempts: 1 },
    ]);
    // Nobody is waiting on those requests any more: the replies wait in the outbox for the channel.
    expect(replies.map((r) => r.status)).toEqual(["pending", "pending"]);

    expect(await core.recover()).toBe(0);
    const retry = await core.receive(first);
    expect(retry.duplicate).toBe(true);
    expect(pipeline.calls).toHaveLength(2);
  });

  it("leaves a recovered reply pending even on a synchronous channel: nobody awaits that request now", async () => {
    const msg = inbound({ channel: "web" });
    await t.store.recordInbound(msg, clock.now());
    const core = makeCore();
    expect(await core.recover()).toBe(1);
    const [row] = await t.store.listOutbox();
    expect(row).toMatchObject({ channel: "web", status: "pending", sentAt: null });
    // Whereas a live web request records its reply as sent.
    const live = await core.receive(inbound({ channel: "web" }));
    expect((await t.store.getOutbox(live.outcome.outboxId!))?.status).toBe("sent");
  });

  it("answers a leftover message when the platform retries it before recover() ran", async () => {
    const msg = inbound({ channel: "wechat_oa" });
    await t.store.recordInbound(msg, clock.now());
    const core = makeCore();
    const receipt = await core.receive(msg);
    expect(receipt.duplicate).toBe(false);
    expect(receipt.outcome.result.kind).toBe("reply");
    expect(await core.recover()).toBe(0);
    expect(pipeline.calls).toHaveLength(1);
  });

  it("a retry arriving during recovery joins it instead of answering twice", async () => {
    const msg = inbound();
    await t.store.recordInbound(msg, clock.now());
    const hold = gate();
    pipeline.behaviour = async (text) => {
      await hold.promise;
      return answer(text);
    };
    const core = makeCore();
    const recovering = core.recover();
    await expect.poll(() => pipeline.calls.length).toBe(1); // recovery is answering it
    const retry = core.receive(msg);
    hold.open();
    expect(await recovering).toBe(1);
    expect((await retry).duplicate).toBe(true);
    expect(pipeline.calls).toHaveLength(1);
  });

  it("leaves alone a message this process is already answering", async () => {
    const hold = gate();
    pipeline.behaviour = async (text) => {
      await hold.promise;
      return answer(text);
    };
    const core = makeCore();
    const live = core.receive(inbound());
    await expect.poll(() => pipeline.calls.length).toBe(1); // the live answer is under way
    let decided = false;
    const recovering = core.recover().finally(() => (decided = true));
    // Recovery decides while the answer is still held (taking it up would call the pipeline again).
    await expect.poll(() => decided || pipeline.calls.length > 1).toBe(true);
    hold.open();
    expect(await recovering).toBe(0);
    expect((await live).duplicate).toBe(false);
    expect(pipeline.calls).toHaveLength(1);
  });

  it("escalates a message that keeps killing the process instead of trying it forever", async () => {
    const msg = inbound();
    const { inbound: row } = await t.store.recordInbound(msg, clock.now());
    for (let i = 0; i < 3; i++) await t.store.claimInbound(row.id, { now: clock.now(), staleBefore: new Date(clock.ms + 1) });
    const core = makeCore({ maxAttempts: 3 });
    expect(await core.recover()).toBe(1);
    expect(pipeline.calls).toHaveLength(0);
    const after = await t.store.getInbound(row.id);
    expect(after?.status).toBe("failed");
    expect(after?.error).toMatch(/gave up after 3/);
    expect(await t.store.findEscalationByInbound(row.id)).toBeDefined();
  });
});

describe("pipeline failure", () => {
  it("records the failure, apologises with 12348, escalates, and masks personal data in the summary", async () => {
    pipeline.behaviour = () => {
      throw new Error("model crashed on 13812345678");
    };
    const core = makeCore();
    const escalations: EscalationRow[] = [];
    core.onEscalation((e) => void escalations.push(e));
    const { outcome } = await core.receive(inbound({ channel: "telegram" }));

    const row = await t.store.getInbound(outcome.inboundId);
    expect(row?.status).toBe("failed");
    expect(row?.attempts).toBe(1);
    expect(row?.error).toContain("model crashed");
    expect(row?.error).not.toContain("13812345678");
    expect(outcome.result.text).toBe(PIPELINE_FAILED);
    expect(outcome.result.text).toContain("12348");

    const esc = await t.store.getEscalation(outcome.escalationId!);
    expect(esc?.reason).toBe("system_error");
    expect(esc?.status).toBe("new");
    expect(esc?.summary).toContain("自动答复失败");
    expect(esc?.summary).toContain("[手机号]");
    expect(esc?.summary).not.toContain("13812345678");
    expect(escalations.map((e) => e.id)).toEqual([outcome.escalationId]);

    const out = await t.store.getOutbox(outcome.outboxId!);
    expect(out).toMatchObject({ kind: "notice", text: PIPELINE_FAILED, status: "pending" });

    // A failed message is finished: a retry does not answer it a second time.
    const retry = await core.receive({ ...inbound(), platformMessageId: row!.platformMessageId });
    expect(retry.duplicate).toBe(true);
    expect(count("SELECT COUNT(*) n FROM outbox")).toBe(1);
  });

  it("treats a pipeline that never answers as failed", async () => {
    pipeline.behaviour = () => new Promise(() => undefined);
    const core = makeCore({ pipelineTimeoutMs: 30 });
    const { outcome } = await core.receive(inbound());
    expect((await t.store.getInbound(outcome.inboundId))?.status).toBe("failed");
    expect(outcome.escalationId).not.toBeNull();
  });

  it("still answers when the pipeline's result cannot be saved", async () => {
    // An urgency outside the schema makes the insert fail inside the transaction.
    pipeline.behaviour = (text) =>
      answer(text, {
        escalation: { reason: "asked_human", urgency: "soon" as never, topic: "labour", region: null, summary: "s", findings: { articles: [], guides: [] } },
      });
    const core = makeCore();
    const { outcome } = await core.receive(inbound());
    expect(outcome.result.text).toBe(PIPELINE_FAILED);
    expect((await t.store.getInbound(outcome.inboundId))?.status).toBe("failed");
    // Nothing from the rolled-back attempt survived: one resident row, one apology.
    expect((await t.store.listMessages(outcome.threadId)).map((m) => m.role)).toEqual(["resident", "bot"]);
  });
});

describe("thread owned by a person", () => {
  it("forwards messages to the lawyer: one notice per owner, then silence, history kept, no pipeline", async () => {
    const core = makeCore();
    const { outcome: first } = await core.receive(inbound({ text: "我要找律师" }));
    await t.store.assignThread(first.threadId, "lawyer-7", clock.now());
    const forwarded: string[] = [];
    core.onResidentMessageWhileOwned((e) => void forwarded.push(`${e.thread.ownedBy}:${e.message.text}:${e.message.inboundId === e.inbound.id}`));

    const a = await core.receive(inbound({ text: "律师您好" }));
    const b = await core.receive(inbound({ text: "我补充一下情况" }));
    const c = await core.receive(inbound({ text: "还在吗" }));

    expect(pipeline.calls).toHaveLength(1);
    expect(a.outcome).toMatchObject({ reason: "owned_by_person", result: { kind: "reply", text: OWNED_NOTICE } });
    expect(a.outcome.outboxId).not.toBeNull();
    for (const r of [b, c]) expect(r.outcome).toMatchObject({ reason: "owned_by_person", result: { kind: "silence" }, outboxId: null });
    expect(forwarded).toEqual(["lawyer-7:律师您好:true", "lawyer-7:我补充一下情况:true", "lawyer-7:还在吗:true"]);

    const history = await t.store.listMessages(first.threadId);
    expect(history.filter((m) => m.role === "resident").map((m) => m.text)).toEqual(["我要找律师", "律师您好", "我补充一下情况", "还在吗"]);

    // A hand-over to another lawyer tells the resident once more; release gives the bot back.
    await t.store.assignThread(first.threadId, "lawyer-9", clock.now());
    expect((await core.receive(inbound())).outcome.result.text).toBe(OWNED_NOTICE);
    expect((await core.receive(inbound())).outcome.result.kind).toBe("silence");
    await t.store.assignThread(first.threadId, null, clock.now());
    const back = await core.receive(inbound({ text: "谢谢律师" }));
    expect(back.outcome.reason).toBeUndefined();
    expect(pipeline.calls.map((c) => c.text)).toEqual(["我要找律师", "谢谢律师"]);
  });

  it("queues a lawyer's reply for the channel and records it in the history", async () => {
    const core = makeCore();
    const { outcome } = await core.receive(inbound());
    const seen: OutboxRow[] = [];
    core.onReply((r) => void seen.push(r));
    const row = await core.replyAsPerson(outcome.threadId, "lawyer-7", "您好，我是值班律师，请带上劳动合同来中心。");
    expect(row).toMatchObject({ kind: "lawyer_reply", status: "pending", channel: "telegram", threadKey: "chat-1", inboundId: null });
    expect(seen).toEqual([row]);
    const last = (await t.store.listMessages(outcome.threadId)).at(-1);
    expect(last).toMatchObject({ role: "lawyer", authorId: "lawyer-7" });
  });

  it("queues a rating request through the same delivery port, and waits for the rating", async () => {
    const core = makeCore();
    const { outcome } = await core.receive(inbound());
    const seen: OutboxRow[] = [];
    core.onReply((r) => void seen.push(r));
    const row = await core.people.requestRating(outcome.threadId, "ref-1", "工单已办结。请为本次服务打分，回复数字1-5。");
    expect(row).toMatchObject({ kind: "notice", status: "pending", channel: "telegram", threadKey: "chat-1" });
    expect(seen).toEqual([row]);
    expect((await t.store.getThread(outcome.threadId))?.context.awaitingRating).toBe("ref-1");
    expect((await t.store.listMessages(outcome.threadId)).at(-1)).toMatchObject({ role: "system", meta: { ratingRequest: "ref-1" } });
  });
});

describe("a channel's layout", () => {
  const parts = { lead: "", title: null, direct: "工资应当按时足额支付。", steps: ["申请劳动仲裁。"], places: [], citations: answer("x").citations, fullText: "全文" };

  it("lays out an answer in parts with the channel's renderer; fixed replies stay as the pipeline wrote them", async () => {
    const seen: unknown[] = [];
    const core = makeCore({
      channels: [
        {
          name: "telegram",
          repliesInRequest: false,
          format: { maxChars: 4096 },
          render: (p, format) => (seen.push(format), { text: `按钮版：${p.direct}`, buttons: ["detail"] }),
        },
      ],
    });
    const replied: OutboxRow[] = [];
    core.onReply((o) => void replied.push(o));
    pipeline.behaviour = (text) => answer(text, { parts });
    const laidOut = await core.receive(inbound());
    expect(laidOut.outcome.result.text).toBe("按钮版：工资应当按时足额支付。");
    expect(seen).toEqual([{ maxChars: 4096 }]);
    pipeline.behaviour = (text) => answer(text);
    const fixed = await core.receive(inbound({ text: "你好" }));
    expect(fixed.outcome.result.text).toBe("答复：你好");
    expect(replied.map((r) => r.text)).toEqual(["按钮版：工资应当按时足额支付。", "答复：你好"]);
    const history = await t.store.listMessages(laidOut.outcome.threadId);
    expect(history.filter((m) => m.role === "bot").map((m) => m.text)).toEqual(["按钮版：工资应当按时足额支付。", "答复：你好"]);
  });

  it("uses the shared text layout for a channel that declares none: the text says how to ask for more", async () => {
    pipeline.behaviour = (text) => answer(text, { parts });
    const web = await makeCore().receive(inbound({ channel: "web" }));
    expect(web.outcome.result.text).toContain("回复【详细】");
    const telegram = await makeCore().receive(inbound({ channel: "telegram" }));
    expect(telegram.outcome.result.text).not.toContain("回复【");
  });
});

describe("one processed message, one transaction", () => {
  it("writes result, context, history, escalation and outbox together", async () => {
    pipeline.behaviour = (text) =>
      answer(text, {
        topic: "wage_arrears",
        escalation: {
          reason: "asked_human",
          urgency: "urgent",
          topic: "wage_arrears",
          region: null,
          summary: "居民要求人工",
          findings: { articles: [{ id: "ldht-30", law: "劳动合同法", article: "第三十条", score: 0.9 }], guides: [] },
        },
      });
    const core = makeCore();
    const escalated: EscalationRow[] = [];
    const replied: OutboxRow[] = [];
    core.onEscalation((e) => void escalated.push(e));
    core.onReply((o) => void replied.push(o));
    const msg = inbound({ text: "老板欠薪，我要找律师", region: "town-3" });
    const { outcome } = await core.receive(msg);

    const row = await t.store.getInbound(outcome.inboundId);
    expect(row).toMatchObject({ status: "done", attempts: 1, region: "town-3" });
    expect(row?.result).toEqual(outcome.result);
    expect(row?.processedAt).not.toBeNull();

    const thread = await t.store.getThread(outcome.threadId);
    expect(thread?.context).toMatchObject({ turns: 1, lastTopic: "wage_arrears", lastIntent: "legal_question", lastQuestion: msg.text });
    expect(thread?.region).toBe("town-3");

    const history = await t.store.listMessages(outcome.threadId);
    expect(history.map((m) => [m.role, m.inboundId])).toEqual([
      ["resident", outcome.inboundId],
      ["bot", outcome.inboundId],
    ]);
    expect(history[1].meta).toMatchObject({ intent: "legal_question", escalation: "asked_human" });

    const esc = await t.store.getEscalation(outcome.escalationId!);
    expect(esc).toMatchObject({ threadId: outcome.threadId, inboundId: outcome.inboundId, urgency: "urgent", status: "new", region: "town-3" });
    expect(esc?.findings.articles[0].id).toBe("ldht-30");
    expect(escalated.map((e) => e.id)).toEqual([outcome.escalationId]);

    const out = await t.store.getOutbox(outcome.outboxId!);
    expect(out).toMatchObject({ kind: "answer", status: "pending", inboundId: outcome.inboundId });
    expect(replied.map((o) => o.id)).toEqual([outcome.outboxId]);
  });

  it("records a synchronous channel's reply as already sent", async () => {
    const core = makeCore();
    const { outcome } = await core.receive(inbound({ channel: "web" }));
    const out = await t.store.getOutbox(outcome.outboxId!);
    expect(out?.status).toBe("sent");
    expect(out?.sentAt).not.toBeNull();
  });

  it("records silence with no outbox row and no bot history", async () => {
    pipeline.behaviour = (text) => answer(text, { kind: "silence", text: "", fullText: "", intent: "out_of_scope" });
    const core = makeCore();
    const { outcome } = await core.receive(inbound({ groupKey: "g" }));
    expect(outcome.outboxId).toBeNull();
    expect((await t.store.listMessages(outcome.threadId)).map((m) => m.role)).toEqual(["resident"]);
  });

  it("a throwing listener does not disturb the answer", async () => {
    const core = makeCore();
    core.onReply(() => {
      throw new Error("listener broke");
    });
    core.onReply(async () => {
      throw new Error("async listener broke");
    });
    const { outcome } = await core.receive(inbound());
    expect(outcome.result.kind).toBe("reply");
    expect((await core.receive(inbound())).outcome.result.kind).toBe("reply");
  });
});

describe("the group step", () => {
  const posted = (text: string) =>
    inbound({ channel: "wechaty", threadKey: "room:r1@chatroom:u1", privateThreadKey: "dm:u1", groupKey: "r1@chatroom", region: "qinghe.dongzhen", text });

  it("moves a personal matter out of the group before recording it, keeping the group's region", async () => {
    const core = makeCore();
    const ticket = await core.accept(posted("我邻居王大牛占了我家的地，我电话13812345678"));
    expect(ticket.group).toMatchObject({ movedToPrivate: true, assessment: { sensitive: true } });
    expect(ticket.group!.assessment.reasons).toEqual(expect.arrayContaining(["personal_data", "named_person"]));
    await ticket.result;
    const thread = await t.store.getThread(ticket.threadId);
    expect(thread).toMatchObject({ channel: "wechaty", threadKey: "dm:u1", groupKey: null, region: "qinghe.dongzhen" });
    expect(await t.store.findThread("wechaty", "room:r1@chatroom:u1")).toBeUndefined();
  });

  it("leaves a general question in the group thread, and never moves a message the channel gave no private thread", async () => {
    const core = makeCore();
    const general = await core.accept(posted("老板拖欠工资怎么办"));
    expect(general.group).toMatchObject({ movedToPrivate: false, assessment: { sensitive: false, legalQuestion: true } });
    expect(await t.store.getThread(general.threadId)).toMatchObject({ threadKey: "room:r1@chatroom:u1", groupKey: "r1@chatroom" });
    const noPrivate = await core.accept({ ...posted("我电话13812345678，老板欠钱"), privateThreadKey: null });
    expect(noPrivate.group).toMatchObject({ movedToPrivate: false, assessment: { sensitive: true } });
    expect(await t.store.getThread(noPrivate.threadId)).toMatchObject({ groupKey: "r1@chatroom" });
    await Promise.all([general.result, noPrivate.result]);
  });
});

describe("reset", () => {
  it("clears the context for the next question and keeps the history", async () => {
    const core = makeCore();
    await core.receive(inbound({ text: "问一", region: "town-3" }));
    await core.receive(inbound({ text: "问二" }));
    expect(await core.reset("telegram", "chat-1")).toBe(true);
    await core.receive(inbound({ text: "问三" }));

    expect(pipeline.calls.map((c) => c.ctx.turns)).toEqual([0, 1, 0]);
    const after = pipeline.calls[2].ctx;
    expect(after).toMatchObject({ lastTopic: null, lastQuestion: null, lastFullAnswer: null, region: "town-3" });
    const thread = await t.store.findThread("telegram", "chat-1");
    const history = await t.store.listMessages(thread!.id);
    expect(history.map((m) => m.text)).toEqual(["问一", answer("问一").text, "问二", answer("问二").text, CONTEXT_RESET_NOTE, "问三", answer("问三").text]);
    expect(await core.reset("telegram", "nobody")).toBe(false);
  });
});

describe("logs", () => {
  it("never writes message text at info level, and masks it at debug", async () => {
    const text = "我电话13812345678，老板欠我三个月工资";
    for (const level of ["info", "debug"] as const) {
      const cap = captureLogger(level);
      const store = new SqlConversationStore(t.db);
      const core = new ConversationCore({ channels: CHANNEL_PROFILES, store, pipeline, log: cap.log, now: clock.now });
      await core.receive(inbound({ text }));
      const out = JSON.stringify(cap.lines());
      expect(out).not.toContain("13812345678");
      if (level === "info") expect(out).not.toContain("老板欠我");
      else expect(out).toContain("[手机号]");
      const processed = cap.lines().find((l) => l.msg === "message processed");
      expect(processed).toMatchObject({ level: 30, inboundId: expect.any(Number), threadId: expect.any(Number) });
    }
  });
});
