// Hostile and malformed webhook calls on the Telegram channel (fast-check, 10,000 cases through
// fastify's request pipeline): a wrong or missing secret is refused and never recorded; with
// the right secret, any JSON body — wrong types, missing fields, unknown update kinds, huge or
// empty text — is answered without a 5xx and the channel keeps serving real updates.

import fc from "fast-check";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TelegramChannel } from "../../../src/channels/telegram/channel.ts";
import { createTestApp, waitFor, type TestApp } from "../wechaty/app-fixture.ts";
import { LocalBotApi, TOKEN } from "./local-bot-api.ts";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
vi.setConfig({ testTimeout: 600_000 });
const SECRET = "s3cret-token";
const RESIDENT = 4242;

let api: LocalBotApi;
let t: TestApp;
let channel: TelegramChannel;
let server: FastifyInstance;

beforeAll(async () => {
  api = await LocalBotApi.start();
  t = await createTestApp({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: api.url,
    TELEGRAM_WEBHOOK_URL: "https://lawdesk.example.gov.cn/telegram/hook",
    TELEGRAM_WEBHOOK_SECRET: SECRET,
    LAWDESK_RATE_LIMIT_PER_MINUTE: "100000",
  });
  channel = new TelegramChannel({ app: t.app });
  t.app.dispatcher.register(channel);
  const Fastify = (await import("fastify")).default;
  server = Fastify({ logger: false });
  server.post(channel.webhookPath!, channel.webhookHandler());
});

afterAll(async () => {
  await server?.close();
  await channel?.idle();
  await t?.close();
  await api?.stop();
});

const scalar = fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, scalar, fc.array(tie("value"), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 4 })),
})).value;
const chat = fc.record({ id: fc.oneof(fc.integer(), fc.string({ maxLength: 6 })), type: fc.constantFrom("private", "group", "supergroup", "channel", "weird") }, { requiredKeys: [] });
const text = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom("", " ", "😀😀😀", "/start", "/human", "/reset", "/link 123", "转人工", "老板欠我工资", "x".repeat(5000)));
// Update-shaped bodies with wrong or missing parts (the interesting ones), and arbitrary JSON.
const updateLike = fc.record(
  {
    update_id: fc.oneof(fc.nat(), fc.string({ maxLength: 5 })),
    message: fc.record({ message_id: fc.oneof(fc.nat(), fc.constant(null)), date: fc.nat(), chat, from: fc.record({ id: fc.integer(), is_bot: fc.boolean(), first_name: fc.string({ maxLength: 5 }) }, { requiredKeys: [] }), text: fc.oneof(text, json) }, { requiredKeys: [] }),
    callback_query: fc.record({ id: fc.string({ maxLength: 5 }), data: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("fb:up", "fb:down", "human", "rate:5", "claim:x")), from: fc.record({ id: fc.integer() }, { requiredKeys: [] }) }, { requiredKeys: [] }),
    my_chat_member: json,
  },
  { requiredKeys: [] },
);

// Well-formed updates with hostile content, so the handlers themselves run (in private chats
// and groups, from residents, with odd texts and button data).
let nextUpdate = 1_000_000;
const wellFormed = fc
  .record({
    chatId: fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000 }),
    type: fc.constantFrom("private", "group", "supergroup"),
    fromId: fc.integer({ min: 1, max: 2_000_000_000 }),
    text,
    data: fc.option(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("fb:up", "fb:down", "human", "rate:5", "rate:9", "claim:nope"))),
  })
  .map(({ chatId, type, fromId, text, data }) => {
    const message = { message_id: nextUpdate % 100_000, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type }, from: { id: fromId, is_bot: false, first_name: "测" }, text };
    return data === null ? { update_id: nextUpdate++, message } : { update_id: nextUpdate++, callback_query: { id: String(nextUpdate), from: message.from, data, message } };
  });

const post = (body: string, secret: string | null = SECRET) =>
  server.inject({ method: "POST", url: "/telegram/hook", payload: body, headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }) } });

describe("Telegram webhook under hostile input", () => {
  it(`refuses a wrong or missing secret and records nothing (${RUNS} runs)`, async () => {
    const before = Number((await t.app.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM inbound_messages"))?.n);
    await fc.assert(
      fc.asyncProperty(fc.option(fc.string({ maxLength: 20 }).filter((s) => s !== SECRET && !/[\r\n]/.test(s))), updateLike, async (secret, update) => {
        const res = await post(JSON.stringify(update), secret);
        expect(res.statusCode).toBe(401);
      }),
      { numRuns: RUNS },
    );
    expect(Number((await t.app.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM inbound_messages"))?.n)).toBe(before);
  });

  it(`answers any body with the right secret without a 5xx (${RUNS} runs), and keeps serving`, async () => {
    const count = async () => Number((await t.app.sql.get<{ n: number }>("SELECT COUNT(*) AS n FROM inbound_messages"))?.n);
    const before = await count();
    await fc.assert(
      fc.asyncProperty(fc.oneof(updateLike.map((u) => JSON.stringify(u)), wellFormed.map((u) => JSON.stringify(u)), json.map((j) => JSON.stringify(j)), fc.string({ maxLength: 60 })), async (body) => {
        const res = await post(body);
        expect(res.statusCode, `${res.statusCode} for ${body.slice(0, 200)}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    await channel.idle();
    // The well-formed share reached the handlers and the conversation core (private texts are
    // recorded; group chatter without a mention, commands and buttons are not).
    expect(await count()).toBeGreaterThan(before);
    // A real update afterwards is still answered.
    const update = {
      update_id: 999_999_999,
      message: { message_id: 77, date: Math.floor(Date.now() / 1000), chat: { id: RESIDENT, type: "private", first_name: "李四" }, from: { id: RESIDENT, is_bot: false, first_name: "李四" }, text: "老板欠我工资不给怎么办" },
    };
    expect((await post(JSON.stringify(update))).statusCode).toBe(200);
    const answer = await waitFor(() => api.sent(RESIDENT).find((m) => m.text.includes("劳动合同法")), 15_000, "the answer after the storm");
    expect(answer.text).toContain("劳动合同法");
  });
});
