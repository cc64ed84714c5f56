// Several processes on one PostgreSQL, as two conversation cores on two pools of one schema.
// - Thread order: a thread's messages are answered in the order they arrived even when they
//   land on different processes. A follow-up that reaches process B while process A is still
//   answering the question before it waits for that answer; one whose predecessor was
//   abandoned by a dead process takes it over and answers it first.
// - Flood limit: a resident's messages count against one allowance, so a load balancer
//   spreading a flood over two servers does not double it.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationCore } from "../../src/conversation/core.ts";
import { SharedSenderLimiter } from "../../src/conversation/rate-limit.ts";
import { RATE_LIMITED } from "../../src/conversation/replies.ts";
import { SqlRateCounter } from "../../src/store/rate-counter.ts";
import { makePg, PG_SKIP_REASON, type Backend, type Stores } from "../store/backends.ts";
import { Clock, FakePipeline, answer, gate, inbound, silentLogger } from "./helpers.ts";
import { CHANNEL_PROFILES } from "../../src/channels/profiles.ts";

const LEASE_MS = 30_000;
const LIMIT = 3;

describe.skipIf(PG_SKIP_REASON !== null)(`two processes on one PostgreSQL${PG_SKIP_REASON ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  let b: Backend;
  let other: Stores;
  let clock: Clock;
  beforeEach(async () => {
    b = await makePg();
    other = await b.second();
    clock = new Clock();
  });
  afterEach(async () => b?.close());

  /** A process's core; `shared` counts the flood limit in the database as `lawdesk serve` does on PostgreSQL. */
  const core = (stores: Stores, pipeline: FakePipeline, flood: { limit: number; shared: boolean } = { limit: 100, shared: false }) =>
    new ConversationCore({ channels: CHANNEL_PROFILES,
      store: stores.conversation,
      pipeline,
      log: silentLogger(),
      rateLimitPerMinute: flood.limit,
      senderLimiter: flood.shared ? new SharedSenderLimiter(new SqlRateCounter(stores.sql), flood.limit) : undefined,
      now: clock.now,
      inboundLeaseMs: LEASE_MS,
    });

  describe("thread order", () => {
    /** A pipeline that answers only once `hold` opens: a process mid-answer. */
    const heldPipeline = () => {
      const hold = gate();
      const pipeline = new FakePipeline();
      pipeline.behaviour = async (text) => {
        await hold.promise;
        return answer(text);
      };
      return { hold, pipeline };
    };

    /** How often a process has looked for an earlier unfinished message of a thread (more than once: it is waiting on one). */
    const looksOf = (stores: Stores) => {
      let n = 0;
      const look = stores.conversation.earlierUnfinishedInbound.bind(stores.conversation);
      stores.conversation.earlierUnfinishedInbound = (...args) => ((n += 1), look(...args));
      return () => n;
    };

    const history = async (threadKey: string) => {
      const thread = await b.conversation.findThread("telegram", threadKey);
      return (await b.conversation.listMessages(thread!.id)).map((m) => `${m.role}:${m.text}`);
    };

    it("a follow-up on another process waits for the answer to the question before it", async () => {
      const { hold, pipeline: pipelineA } = heldPipeline();
      const pipelineB = new FakePipeline();
      const a = core(b, pipelineA);
      const bCore = core(other, pipelineB);
      const looks = looksOf(other);

      const first = a.receive(inbound({ threadKey: "t-live", text: "工地老板拖欠工资三个月" }));
      await expect.poll(() => pipelineA.calls.length).toBe(1);
      const second = bCore.receive(inbound({ threadKey: "t-live", text: "那要去哪里投诉？" }));
      // B found A's question unanswered, paused and looked again: it is waiting, not answering.
      await expect.poll(looks, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      expect(pipelineB.calls).toHaveLength(0); // still waiting for A's answer

      hold.open();
      const [r1, r2] = await Promise.all([first, second]);
      expect([r1.duplicate, r2.duplicate]).toEqual([false, false]);
      expect(pipelineB.calls).toHaveLength(1);
      // B answered with A's exchange already in the thread.
      expect(await history("t-live")).toEqual([
        "resident:工地老板拖欠工资三个月",
        "bot:答复：工地老板拖欠工资三个月",
        "resident:那要去哪里投诉？",
        "bot:答复：那要去哪里投诉？",
      ]);
    });

    it("a message abandoned by a dead process is answered first, by the process that has the next one", async () => {
      // Process A recorded and claimed the question, then died before answering.
      const { inbound: abandoned } = await b.conversation.recordInbound(inbound({ threadKey: "t-dead", text: "公司不给签劳动合同" }), clock.now());
      expect(await b.conversation.claimInbound(abandoned.id, { now: clock.now(), staleBefore: clock.now() })).toBeDefined();

      const pipelineB = new FakePipeline();
      const bCore = core(other, pipelineB);
      const looks = looksOf(other);
      const next = bCore.receive(inbound({ threadKey: "t-dead", text: "能要双倍工资吗？" }));
      // B found the abandoned question within its lease, paused and looked again.
      await expect.poll(looks, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
      expect(pipelineB.calls).toHaveLength(0); // A's claim is still within its lease

      clock.advance(LEASE_MS + 1_000);
      const r = await next;
      expect(r.duplicate).toBe(false);
      expect(pipelineB.calls.map((c) => c.text)).toEqual(["公司不给签劳动合同", "能要双倍工资吗？"]);
      expect((await b.conversation.getInbound(abandoned.id))?.status).toBe("done");
      expect(await history("t-dead")).toEqual([
        "resident:公司不给签劳动合同",
        "bot:答复：公司不给签劳动合同",
        "resident:能要双倍工资吗？",
        "bot:答复：能要双倍工资吗？",
      ]);
      // The abandoned question's answer goes out through the outbox, exactly once.
      const outbox = await b.conversation.listOutbox({ threadId: abandoned.threadId });
      expect(outbox.filter((o) => o.text.includes("公司不给签劳动合同"))).toHaveLength(1);
    });

    it("other threads do not wait", async () => {
      const { hold, pipeline: pipelineA } = heldPipeline();
      const pipelineB = new FakePipeline();
      const first = core(b, pipelineA).receive(inbound({ threadKey: "t-slow", text: "离婚财产怎么分" }));
      await expect.poll(() => pipelineA.calls.length).toBe(1);
      const r = await core(other, pipelineB).receive(inbound({ threadKey: "t-other", senderKey: "user-2", text: "邻居占了我家宅基地" }));
      expect(r.duplicate).toBe(false);
      expect(pipelineB.calls).toHaveLength(1);
      hold.open();
      await first;
    });
  });

  describe("flood limit", () => {
    /** Sends `n` messages of one sender alternately to the two processes; what came of them. */
    async function flood(shared: boolean, n: number, sender: string) {
      const pipeline = new FakePipeline();
      const cores = [core(b, pipeline, { limit: LIMIT, shared }), core(other, pipeline, { limit: LIMIT, shared })];
      const replies: (string | null)[] = [];
      for (let i = 0; i < n; i++) {
        const r = await cores[i % 2].receive(inbound({ threadKey: sender, senderKey: sender, text: `第${i}条：老板欠工资怎么办` }));
        replies.push(r.outcome.result.text || null);
      }
      return { answered: pipeline.calls.length, notices: replies.filter((t) => t === RATE_LIMITED).length };
    }

    it("lets the limit through once in total, tells the sender once, then records in silence", async () => {
      expect(await flood(true, 8, "flooder")).toEqual({ answered: LIMIT, notices: 1 });
      // A new window starts after a minute.
      clock.advance(61_000);
      expect(await flood(true, 2, "flooder")).toEqual({ answered: 2, notices: 0 });
    });

    it("(the in-memory limit, for contrast, lets each process's allowance through)", async () => {
      expect(await flood(false, 8, "flooder-2")).toEqual({ answered: 2 * LIMIT, notices: 2 });
    });
  });
});
