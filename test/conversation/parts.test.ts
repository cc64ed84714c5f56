import { describe, expect, it } from "vitest";
import { contextOf, nextContext } from "../../src/conversation/context.ts";
import { Hook } from "../../src/conversation/hooks.ts";
import { SlidingWindowLimiter } from "../../src/conversation/rate-limit.ts";
import { KeyedSerialQueue } from "../../src/conversation/serial.ts";
import { EMPTY_CONTEXT } from "../../src/pipeline/types.ts";
import { EMPTY_STORED_CONTEXT, type ThreadRow } from "../../src/store/conversation-store.ts";
import { answer, sleep } from "./helpers.ts";

describe("SlidingWindowLimiter", () => {
  it("lets `limit` through per window, then one notice, then silence", () => {
    const l = new SlidingWindowLimiter(2, 60_000);
    expect([0, 1, 2, 3, 4].map((i) => l.hit("s", i * 1000))).toEqual(["ok", "ok", "notice", "silence", "silence"]);
    // The first hit leaves the window at 60 s: one slot frees, and a new flood gets a new notice.
    expect(l.hit("s", 60_001)).toBe("ok");
    expect(l.hit("s", 60_002)).toBe("notice");
    expect(l.hit("other", 60_002)).toBe("ok");
  });
});

describe("KeyedSerialQueue", () => {
  it("runs one key in order, other keys alongside, and survives a failed task", async () => {
    const q = new KeyedSerialQueue();
    const log: string[] = [];
    const task = (name: string, ms: number, fail = false) => async () => {
      log.push(`+${name}`);
      await sleep(ms);
      log.push(`-${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const a1 = q.run("a", task("a1", 20, true));
    const a2 = q.run("a", task("a2", 1));
    const b1 = q.run("b", task("b1", 1));
    await expect(a1).rejects.toThrow("a1");
    expect(await a2).toBe("a2");
    expect(await b1).toBe("b1");
    expect(log.indexOf("+a2")).toBeGreaterThan(log.indexOf("-a1"));
    expect(log.indexOf("-b1")).toBeLessThan(log.indexOf("-a1"));
    expect(q.size).toBe(0);
  });
});

describe("thread context", () => {
  const thread = (over: Partial<ThreadRow> = {}): ThreadRow => ({
    id: 1,
    channel: "web",
    threadKey: "k",
    senderKey: "s",
    groupKey: null,
    region: "town-1",
    context: { ...EMPTY_STORED_CONTEXT },
    ownedBy: null,
    ownerNoticeFor: null,
    createdAt: "",
    updatedAt: "",
    ...over,
  });

  it("builds the pipeline's context from the thread row", () => {
    expect(contextOf(thread())).toEqual({ ...EMPTY_CONTEXT, region: "town-1" });
    expect(contextOf(thread({ ownedBy: "lawyer-1" })).ownedByPerson).toBe(true);
  });

  it("moves forward on an answer and keeps the last real answer through small talk", () => {
    const ctx = contextOf(thread());
    const afterQuestion = nextContext(ctx, "欠薪怎么办", answer("欠薪怎么办", { topic: "wage" }));
    expect(afterQuestion).toMatchObject({ turns: 1, lastTopic: "wage", lastQuestion: "欠薪怎么办", lastFullAnswer: "答复：欠薪怎么办（全文）" });
    const afterHello = nextContext({ ...ctx, ...afterQuestion }, "谢谢", answer("谢谢", { intent: "greeting", topic: null, fullText: "不客气" }));
    expect(afterHello).toMatchObject({ turns: 2, lastTopic: "wage", lastIntent: "greeting", lastQuestion: "欠薪怎么办", lastFullAnswer: "答复：欠薪怎么办（全文）" });
  });

  it("counts negative feedback when the pipeline reports it, and restarts after a dissatisfied escalation", () => {
    const ctx = contextOf(thread());
    const neg = { ...answer("没用", { intent: "feedback" }), feedback: "negative" as const };
    const once = nextContext(ctx, "没用", neg);
    expect(once.negativeFeedbackCount).toBe(1);
    const escalated = nextContext({ ...ctx, ...once }, "没用", {
      ...neg,
      escalation: { reason: "dissatisfied", urgency: "normal", topic: "x", region: null, summary: "", findings: { articles: [], guides: [] } },
    });
    expect(escalated.negativeFeedbackCount).toBe(0);
  });
});

describe("Hook", () => {
  it("reports listener failures instead of throwing, and unsubscribes", async () => {
    const errors: unknown[] = [];
    const hook = new Hook<number>((e) => errors.push(e));
    const seen: number[] = [];
    const off = hook.on((n) => void seen.push(n));
    hook.on(() => {
      throw new Error("sync");
    });
    hook.on(async () => {
      throw new Error("async");
    });
    hook.emit(1);
    off();
    hook.emit(2);
    // The async listener's failures are reported when its promise rejects.
    await expect.poll(() => errors.length).toBe(4);
    expect(seen).toEqual([1]);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(["async", "async", "sync", "sync"]);
  });
});
