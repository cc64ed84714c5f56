// Issue 14, done when, for the township WeChat groups (Wechaty, on wechaty-puppet-mock): the
// same typed phone, ID and bank-card numbers, said privately and in a group (after the
// trigger), leave none of them in lawdesk's debug log, however written.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureLogger } from "../conversation/helpers.ts";
import { createTestApp, waitFor, type TestApp } from "../channels/wechaty/app-fixture.ts";
import { mockWechat, type MockWechat } from "../channels/wechaty/mock-wechat.ts";
import { leakedNumbers, MESSAGES } from "./typed-numbers.ts";

describe("personal numbers never reach the log through the township WeChat groups", () => {
  let t: TestApp;
  let w: MockWechat;
  const capture = captureLogger("debug");

  beforeAll(async () => {
    t = await createTestApp({ LAWDESK_RATE_LIMIT_PER_MINUTE: "1000" }, capture.log);
    w = await mockWechat(t, { regions: { 东镇法律服务群: "qinghe.dongzhen" } });
    await w.login();
  }, 120_000);
  afterAll(async () => {
    await w?.stop();
    await t?.close();
  });

  it("private messages and group questions", async () => {
    const residents = MESSAGES.map((_, i) => w.contact(`居民${i}`));
    const room = w.room("r-numbers@chatroom", "东镇法律服务群", residents);
    for (const [i, text] of MESSAGES.entries()) {
      residents[i].say(text).to(w.me);
      residents[i].say(`问：${text}`).to(room);
    }
    await waitFor(() => residents.every((r) => w.toContact(r.id).length > 0), 20_000, "an answer to every private message");
    await w.settle();
    const log = capture.lines().map((l) => JSON.stringify(l)).join("\n");
    expect(log).toContain('"level":20'); // debug lines were written
    expect(log).toContain("wechaty");
    expect(log).toContain("老板欠我工资"); // the residents' words are logged at debug, numbers masked
    expect(leakedNumbers(log)).toEqual([]);
  }, 60_000);
});
