// Several processes on one PostgreSQL count a resident's messages against one flood limit:
// a load balancer spreading a flood over two servers must not double the allowance.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConversationCore } from "../../src/conversation/core.ts";
import { SharedSenderLimiter } from "../../src/conversation/rate-limit.ts";
import { RATE_LIMITED } from "../../src/conversation/replies.ts";
import { SqlRateCounter } from "../../src/store/rate-counter.ts";
import { makePg, PG_SKIP_REASON, type Backend, type Stores } from "../store/backends.ts";
import { Clock, FakePipeline, inbound, silentLogger } from "./helpers.ts";

const LIMIT = 3;

describe.skipIf(PG_SKIP_REASON !== null)(`flood limit across processes${PG_SKIP_REASON ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  let b: Backend;
  let other: Stores;
  let clock: Clock;
  beforeEach(async () => {
    b = await makePg();
    other = await b.second();
    clock = new Clock();
  });
  afterEach(async () => b?.close());

  const core = (stores: Stores, pipeline: FakePipeline, shared: boolean) =>
    new ConversationCore({
      store: stores.conversation,
      pipeline,
      log: silentLogger(),
      rateLimitPerMinute: LIMIT,
      senderLimiter: shared ? new SharedSenderLimiter(new SqlRateCounter(stores.sql), LIMIT) : undefined,
      now: clock.now,
      inboundLeaseMs: 30_000,
    });

  /** Sends `n` messages of one sender alternately to the two processes; what came of them. */
  async function flood(shared: boolean, n: number, sender: string) {
    const pipeline = new FakePipeline();
    const cores = [core(b, pipeline, shared), core(other, pipeline, shared)];
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
