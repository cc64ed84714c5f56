// Several processes on one PostgreSQL: a channel may run in one of them only (the Telegram
// bot polls from one process). A lawyer's reply recorded by another process leaves through
// the one outbox sender all the same, at once: the core's delivery port wakes the process
// that runs the channel over the bus, instead of the reply waiting for the next poll.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropSchema, randomTestSchema } from "../../src/store/pg/pool.ts";
import type { OutboxRow } from "../../src/store/conversation-store.ts";
import { PG_SKIP_REASON, PG_URL } from "../store/backends.ts";
import { createTestApp, waitFor, type TestApp } from "./wechaty/app-fixture.ts";

// Under CI=true PostgreSQL is never skipped: an unreachable server fails the test instead.
const skip = process.env.CI ? null : PG_SKIP_REASON;

describe.skipIf(skip)("the outbox across processes (PostgreSQL)", () => {
  const schema = randomTestSchema();
  let runsChannel: TestApp;
  let other: TestApp;

  beforeAll(async () => {
    const env = { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, DATABASE_POOL_MAX: "3" };
    runsChannel = await createTestApp(env);
    other = await createTestApp(env);
  }, 180_000);

  afterAll(async () => {
    await other?.close();
    await runsChannel?.close();
    await dropSchema(PG_URL, schema);
  });

  it("a reply recorded where the channel does not run is sent at once by the process that runs it", async () => {
    const sent: OutboxRow[] = [];
    // Neither dispatcher polls (start() is not called): only a wake-up delivers.
    runsChannel.app.dispatcher.register({ channel: "telegram", send: async (row) => void sent.push(row) });

    const receipt = await other.app.core.receive({
      channel: "telegram",
      threadKey: "chat:7001",
      senderKey: "7001",
      text: "你好",
      platformMessageId: `wake-${Date.now()}`,
      receivedAt: new Date(),
    });
    const threadId = receipt.outcome.threadId;
    await waitFor(() => sent.find((r) => r.threadId === threadId && r.kind === "answer"), 10_000, "the bot's answer, sent by the other process");

    const row = await other.app.core.people.reply(threadId, "lawyer-wake", { text: "您好，我是值班律师，请问有什么需要帮助？" });
    const delivered = await waitFor(() => sent.find((r) => r.id === row.id), 10_000, "the lawyer's reply, sent by the other process");
    expect(delivered).toMatchObject({ kind: "lawyer_reply", channel: "telegram", threadKey: "chat:7001" });
    await waitFor(async () => (await runsChannel.app.conversations.getOutbox(row.id))?.status === "sent", 5000, "the row marked sent");
  });
});
