// The web chat's per-address message limit is a validated setting,
// LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE (issue 14, point 3).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { Client, startTestServer, type TestServer } from "../server/helpers.ts";

describe("LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE", () => {
  it("defaults to 60 and refuses values that are not a positive whole number", () => {
    expect(loadConfig({} as NodeJS.ProcessEnv).LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE).toBe(60);
    expect(loadConfig({ LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE: "200" } as NodeJS.ProcessEnv).LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE).toBe(200);
    for (const bad of ["0", "-5", "1.5", "many", "1000001"]) expect(() => loadConfig({ LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE: bad } as NodeJS.ProcessEnv)).toThrow(/LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE: "0" } as NodeJS.ProcessEnv)).toThrow(ConfigError);
  });

  describe("on the server", () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ env: { LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE: "3" } });
    });
    afterAll(() => t?.close());

    it("limits messages from one address to the setting, whichever resident cookie they carry", async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const resident = new Client(t.base);
        const res = await resident.post("/api/chat/messages", { id: `rate-limit-${i}-xxxx`, text: "老板欠我工资不给怎么办" });
        statuses.push(res.status);
        if (res.status === 429) expect(res.body.error).toBe("操作太频繁，请稍后再试");
      }
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
    });
  });
});
