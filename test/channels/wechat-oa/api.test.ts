import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RecipientRefusedError, WechatApiClient, WechatApiError, WindowClosedError } from "../../../src/channels/wechat-oa/api.ts";
import { PermanentDeliveryError } from "../../../src/channels/dispatcher.ts";
import { captureLogger } from "../../conversation/helpers.ts";
import { ACCOUNT, FakeWechat } from "./fake-wechat.ts";

let wechat: FakeWechat;
let clock: number;
let sleeps: number[];

function client(over: Partial<ConstructorParameters<typeof WechatApiClient>[0]> = {}): WechatApiClient {
  return new WechatApiClient({
    apiBase: wechat.apiBase,
    appId: ACCOUNT.appId,
    appSecret: ACCOUNT.appSecret,
    log: captureLogger().log,
    retry: { attempts: 4, baseDelayMs: 100 },
    now: () => clock,
    // Backoff is recorded, not slept: the test checks the waits themselves.
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...over,
  });
}

beforeEach(async () => {
  wechat = new FakeWechat("");
  await wechat.start();
  clock = Date.parse("2025-03-01T00:00:00Z");
  sleeps = [];
});
afterEach(async () => {
  await wechat.stop();
});

describe("access token", () => {
  it("is fetched once for many concurrent senders and cached until shortly before expiry", async () => {
    const api = client();
    await Promise.all(Array.from({ length: 20 }, (_, i) => api.sendText(`o${i}`, `消息${i}`)));
    expect(wechat.tokenFetches).toBe(1);
    expect(wechat.messages).toHaveLength(20);

    clock += 6000 * 1000; // 100 minutes later: still valid (7200 s, renewed 5 minutes early)
    await api.sendText("o1", "再发一条");
    expect(wechat.tokenFetches).toBe(1);

    clock += 1000 * 1000; // past 6900 s: renewed before WeChat would refuse it
    await api.sendText("o1", "又一条");
    expect(wechat.tokenFetches).toBe(2);
  });

  it("is refreshed once when WeChat answers 40001, and the message still goes out", async () => {
    const api = client();
    await api.sendText("o1", "第一条");
    wechat.sendScript.push(40001);
    await api.sendText("o1", "第二条");
    expect(wechat.tokenFetches).toBe(2);
    expect(wechat.messages.map((m) => m.content)).toEqual(["第一条", "第二条"]);
  });

  it("is refreshed once for many concurrent senders when WeChat expired it (42001)", async () => {
    const api = client();
    await api.sendText("o0", "预热");
    wechat.expireTokens(); // every sender now gets 40001 with the cached token
    await Promise.all(Array.from({ length: 10 }, (_, i) => api.sendText(`o${i}`, `并发${i}`)));
    expect(wechat.tokenFetches).toBe(2);
    expect(wechat.messages).toHaveLength(11);
  });

  it("is refreshed only once per send: a second refusal is an error", async () => {
    const api = client();
    wechat.sendScript.push(42001, 40001);
    await expect(api.sendText("o1", "x")).rejects.toMatchObject({ code: 40001 });
    expect(wechat.tokenFetches).toBe(2);
    expect(wechat.messages).toHaveLength(0);
  });

  it("wrong credentials: a WechatApiError with WeChat's code, the secret not in the message", async () => {
    const api = client({ appSecret: "wrong-secret" });
    const err = await api.sendText("o1", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WechatApiError);
    expect((err as WechatApiError).code).toBe(40013);
    expect((err as Error).message).not.toContain("wrong-secret");
  });
});

describe("errors by code", () => {
  it("45015 (48-hour window closed) is permanent for the dispatcher", async () => {
    const api = client();
    wechat.windowClosed.add("oLate");
    const err = await api.sendText("oLate", "律师回复").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WindowClosedError);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(sleeps).toEqual([]); // not retried
  });

  it("an unknown or unsubscribed OpenID is permanent too", async () => {
    const api = client();
    wechat.sendScript.push(43004);
    await expect(api.sendText("o1", "x")).rejects.toBeInstanceOf(RecipientRefusedError);
  });

  it("rate limits (45047), system busy (-1) and HTTP 5xx are retried with growing waits", async () => {
    const api = client();
    wechat.sendScript.push(45047, -1);
    wechat.httpScript.push(200, 200, 503);
    await api.sendText("o1", "最终送达");
    expect(wechat.messages.map((m) => m.content)).toEqual(["最终送达"]);
    expect(sleeps).toHaveLength(3);
    // base 100 ms doubling, with ±25 % jitter
    expect(sleeps[0]).toBeGreaterThanOrEqual(75);
    expect(sleeps[0]).toBeLessThanOrEqual(125);
    expect(sleeps[1]).toBeGreaterThanOrEqual(150);
    expect(sleeps[2]).toBeGreaterThanOrEqual(300);
  });

  it("gives up after the configured attempts with the last error (the dispatcher retries later)", async () => {
    const api = client();
    wechat.sendScript.push(-1, -1, -1, -1, -1);
    const err = await api.sendText("o1", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WechatApiError);
    expect(err).not.toBeInstanceOf(PermanentDeliveryError);
    expect((err as WechatApiError).code).toBe(-1);
    expect(sleeps).toHaveLength(3);
  });

  it("other codes are not retried here", async () => {
    const api = client();
    wechat.sendScript.push(45009);
    await expect(api.sendText("o1", "x")).rejects.toMatchObject({ code: 45009 });
    expect(sleeps).toEqual([]);
  });

  it("a host that does not answer is a retryable network error", async () => {
    const api = client({ apiBase: "http://127.0.0.1:9", retry: { attempts: 2, baseDelayMs: 1 } });
    await expect(api.sendText("o1", "x")).rejects.toMatchObject({ code: null });
    expect(sleeps).toHaveLength(1);
  });
});
