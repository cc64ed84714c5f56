// Personal data never reaches the logs: a message with an ID-card number, a phone number
// and a bank-card number goes through the HTTP API (answered, escalated, read by a lawyer)
// while the logger captures everything at debug level.

import { afterAll, beforeAll, expect, test } from "vitest";
import { ADMIN_PASSWORD, Client, startTestServer, waitFor, type TestServer } from "./helpers.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ logLevel: "trace" });
});
afterAll(() => t?.close());

const ID_CARD = "110101199003071234";
const PHONE = "13812345678";
const BANK_CARD = "6222021234567890123";

test("ID-card, phone and bank-card numbers never appear in the log output", async () => {
  const resident = new Client(t.base);
  await resident.get("/api/chat/history");
  const text = `转人工，我的身份证${ID_CARD}，电话${PHONE}，工资卡${BANK_CARD}，老板欠我工资`;
  const res = await resident.post("/api/chat/messages", { id: "pii-00000001", text });
  expect(res.status).toBe(200);
  // Also in the URL, where request logging would see it.
  await resident.get(`/api/chat/history?phone=${PHONE}&id=${ID_CARD}`);

  const admin = new Client(t.base);
  await admin.login("admin", ADMIN_PASSWORD);
  const row = await waitFor(async () => (await admin.get("/api/console/queue?view=unclaimed")).body.rows[0], 10_000, "the referral");
  // The people the thread is routed to do see it.
  const detail = await admin.get(`/api/console/referrals/${row.id}`);
  expect(JSON.stringify(detail.body.history)).toContain(PHONE);
  await admin.post(`/api/console/referrals/${row.id}/claim`);
  await admin.post(`/api/console/referrals/${row.id}/notes`, { text: `回拨 ${PHONE}` });

  const output = t.logs.join("");
  expect(t.logs.length).toBeGreaterThan(10);
  expect(output).toContain("message processed");
  expect(output).toContain("request completed");
  for (const secret of [ID_CARD, PHONE, BANK_CARD]) expect(output).not.toContain(secret);
  expect(output).toContain("[手机号]");
});
