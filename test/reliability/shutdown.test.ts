// A clean shutdown lets the work under way finish before the store closes: an outbox send a
// platform is still answering is recorded as sent, and a referral a listener is still writing
// lands. Work that hangs is cut off at the close timeout, and what it left stays queued.

import Database from "better-sqlite3";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { InboundMessage } from "../../src/channel-message.ts";
import type { OutboxRow } from "../../src/store/conversation-store.ts";
import { createTestApp, waitFor, type TestApp } from "../channels/wechaty/app-fixture.ts";

/** A promise the test opens by hand. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const message = (text: string, id: string): InboundMessage => ({
  channel: "telegram",
  threadKey: `chat:${id}`,
  senderKey: id,
  text,
  platformMessageId: `shutdown-${id}`,
  receivedAt: new Date(),
});

/** Reads the app's SQLite file after close(), as the next start would find it. */
function readAfterClose<T>(t: TestApp, read: (db: Database.Database) => T): T {
  const db = new Database(join(t.dir, "data", "lawdesk.db"), { readonly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Calls close() and reports whether it has resolved yet. */
function closing(t: TestApp): { done: Promise<void>; resolved: () => boolean } {
  let resolved = false;
  const done = t.app.close().then(() => void (resolved = true));
  return { done, resolved: () => resolved };
}

describe("app.close() waits for work under way", () => {
  let t: TestApp | undefined;
  afterEach(() => {
    if (t) rmSync(t.dir, { recursive: true, force: true });
    t = undefined;
  });

  it("a send and a referral still running at close time finish, and are recorded", async () => {
    t = await createTestApp();
    const platform = gate();
    const sent: OutboxRow[] = [];
    t.app.dispatcher.register({
      channel: "telegram",
      send: async (row) => {
        sent.push(row);
        await platform.opened;
      },
    });
    const referralsWritten = gate();
    const create = t.app.referrals.createFromEscalation.bind(t.app.referrals);
    t.app.referrals.createFromEscalation = async (e) => {
      await referralsWritten.opened;
      return create(e);
    };

    const receipt = await t.app.core.receive(message("转人工 我想找律师咨询宅基地纠纷", "9101"));
    expect(receipt.outcome.escalationId).not.toBeNull();
    const outboxId = receipt.outcome.outboxId;
    await waitFor(() => sent.some((r) => r.id === outboxId), 5000, "the reply handed to the platform");

    const close = closing(t);
    // Nothing finishes while the platform and the referral write are held: close() must wait.
    await new Promise((r) => setTimeout(r, 200));
    expect(close.resolved()).toBe(false);
    platform.open();
    referralsWritten.open();
    await close.done;

    expect(sent.map((r) => r.id)).toEqual([outboxId]);
    const after = readAfterClose(t, (db) => ({
      outbox: db.prepare("SELECT status, sent_at FROM outbox WHERE id = ?").get(outboxId) as { status: string; sent_at: string | null },
      referrals: db.prepare("SELECT escalation_id FROM referrals").all() as { escalation_id: string }[],
    }));
    expect(after.outbox.status).toBe("sent");
    expect(after.outbox.sent_at).not.toBeNull();
    expect(after.referrals).toEqual([{ escalation_id: String(receipt.outcome.escalationId) }]);
  }, 60_000);

  it("a send that hangs is cut off at the close timeout, and its reply stays queued for the next start", async () => {
    t = await createTestApp({}, undefined, { closeTimeoutMs: 300 });
    const started: number[] = [];
    t.app.dispatcher.register({
      channel: "telegram",
      send: (row) => {
        started.push(row.id);
        return new Promise<void>(() => {}); // the platform never answers
      },
    });
    const receipt = await t.app.core.receive(message("你好", "9102"));
    const outboxId = receipt.outcome.outboxId;
    await waitFor(() => started.includes(outboxId!), 5000, "the reply handed to the platform");

    const t0 = Date.now();
    await t.app.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    const row = readAfterClose(t, (db) => db.prepare("SELECT status, sent_at FROM outbox WHERE id = ?").get(outboxId) as { status: string; sent_at: string | null });
    expect(row).toEqual({ status: "pending", sent_at: null });
  }, 60_000);
});
