// Issue 14, done when: the real `lawdesk serve` at LOG_LEVEL=debug is sent a phone number, an
// ID number and a bank card number in every way people type them, through every HTTP channel
// (web chat API, official account XML, Telegram webhook), and none of them appears in its
// log in any form: the log is read with full-width digits folded and every separator between
// digits removed, and no run of digits may contain a number's digits.
// Fake WeChat and a fake Telegram Bot API speak their protocols; the rest is real.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeWechat, nextMsgId, textMessage } from "../channels/wechat-oa/fake-wechat.ts";
import { officialAccountEnv } from "../reliability/wechat-platform.ts";
import { digitRuns, leakedNumbers, MESSAGES, PHONE, VARIANTS } from "./typed-numbers.ts";
import { HttpActor, makeWorkspace, startChild, type ChildServer, type Workspace } from "../reliability/child-server.ts";
import { countOf, sqliteVariant } from "../reliability/store-variants.ts";
import { waitFor } from "../server/helpers.ts";

/** A Telegram Bot API that accepts everything the bot calls (getMe, setWebhook, sendMessage …). */
async function fakeBotApi(): Promise<{ url: string; sent: string[]; close(): Promise<void> }> {
  const sent: string[] = [];
  let seq = 0;
  const server: Server = createServer(async (req, res) => {
    let raw = "";
    for await (const c of req) raw += c;
    const method = (req.url ?? "").split("/").pop() ?? "";
    const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
    let result: unknown = true;
    if (method === "getMe") result = { id: 666, is_bot: true, first_name: "lawdesk", username: "lawdesk_bot" };
    if (method === "sendMessage") {
      sent.push(String(body.text));
      result = { message_id: ++seq, date: Math.floor(Date.now() / 1000), chat: { id: Number(body.chat_id), type: "private" }, text: body.text };
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, result }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const WEBHOOK_SECRET = "numbers-in-logs-secret";

describe("personal numbers never reach the log of `lawdesk serve` at debug level", () => {
  let ws: Workspace;
  let child: ChildServer;
  let wechat: FakeWechat;
  let telegram: Awaited<ReturnType<typeof fakeBotApi>>;

  beforeAll(async () => {
    ws = makeWorkspace("lawdesk-numbers-");
    wechat = new FakeWechat("");
    await wechat.start();
    telegram = await fakeBotApi();
    child = await startChild(ws, {
      LOG_LEVEL: "debug",
      LAWDESK_RATE_LIMIT_PER_MINUTE: "1000",
      ...officialAccountEnv(wechat),
      TELEGRAM_BOT_TOKEN: "123456:numbers-in-logs",
      TELEGRAM_API_ROOT: telegram.url,
      TELEGRAM_WEBHOOK_URL: "https://lawdesk.example.invalid/telegram/webhook",
      TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    wechat.target = `${child.base}/wechat/oa`;
  }, 180_000);

  afterAll(async () => {
    await child?.kill("SIGTERM");
    await wechat?.stop();
    await telegram?.close();
    ws?.remove();
  });

  it("web chat, official account (plain and safe mode) and Telegram webhook", async () => {
    // Web chat: one resident per message, so the repeat and flood rules stay out of the way.
    for (const [i, text] of MESSAGES.entries()) {
      const resident = new HttpActor(child.base, `10.9.0.${i + 1}`);
      const r = await resident.request("POST", "/api/chat/messages", { id: `numbers-${i}`, text });
      expect(r.status, text).toBe(200);
    }
    // Official account: signed XML, half in safe (AES) mode.
    for (const [i, text] of MESSAGES.entries()) {
      const r = await wechat.push(textMessage(`oNumbers${i}`, text, nextMsgId()), { mode: i % 2 ? "aes" : "plain" });
      expect(r.status, text).toBe(200);
    }
    // Telegram: webhook updates with the secret header.
    for (const [i, text] of MESSAGES.entries()) {
      const update = {
        update_id: 1000 + i,
        message: { message_id: i + 1, date: Math.floor(Date.now() / 1000), chat: { id: 5000 + i, type: "private" }, from: { id: 5000 + i, is_bot: false, first_name: "居民" }, text },
      };
      const r = await fetch(`${child.base}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": WEBHOOK_SECRET },
        body: JSON.stringify(update),
      });
      expect(r.status, text).toBe(200);
    }
    // Until every message is answered and every delivery made (and their log lines written).
    const store = sqliteVariant();
    await waitFor(
      async () =>
        (await store.read(ws, async (db) =>
          (await countOf(db, "SELECT COUNT(*) AS n FROM inbound_messages WHERE status IN ('received', 'processing')")) +
          (await countOf(db, "SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'failed')")),
        )) === 0 && telegram.sent.length > 0,
      60_000,
      "every message answered and delivered",
    );
    await child.kill("SIGTERM");

    const log = child.output();
    expect(log).toMatch(/"level":20/); // debug lines were written
    expect(log).toContain("wechat_oa");
    expect(telegram.sent.length).toBeGreaterThan(0); // the bot answered through the fake API
    // The scan itself finds a number however it is written.
    for (const v of VARIANTS.slice(0, 9)) expect(digitRuns(`{"msg":"${v}"}`).some((r) => r.includes(PHONE)), v).toBe(true);
    expect(leakedNumbers(log)).toEqual([]);
  }, 180_000);
});
