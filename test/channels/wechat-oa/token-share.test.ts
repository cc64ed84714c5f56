// Several processes sending customer-service messages share one access token through the
// database (PostgreSQL): WeChat retires a token when a new one is fetched, so processes
// fetching their own would keep knocking each other's out. Two API clients on two pools
// stand for two processes, against the local fake of WeChat's API.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CHANNEL_MIGRATIONS } from "../../../src/channels/migrations.ts";
import { WechatApiClient } from "../../../src/channels/wechat-oa/api.ts";
import { SqlTokenStore } from "../../../src/channels/wechat-oa/token-store.ts";
import { openPg, type PgHandle } from "../../../src/store/pg/pool.ts";
import { PgSql } from "../../../src/store/sql.ts";
import { captureLogger } from "../../conversation/helpers.ts";
import { PG_SKIP_REASON, PG_URL } from "../../store/backends.ts";
import { ACCOUNT, FakeWechat } from "./fake-wechat.ts";

let wechat: FakeWechat;
let handles: PgHandle[] = [];
let clock: number;

function processClient(pool: PgHandle): WechatApiClient {
  return new WechatApiClient({
    apiBase: wechat.apiBase,
    appId: ACCOUNT.appId,
    appSecret: ACCOUNT.appSecret,
    log: captureLogger().log,
    retry: { attempts: 2, baseDelayMs: 1 },
    now: () => clock,
    tokenStore: new SqlTokenStore(new PgSql(pool.pool)),
  });
}

describe.skipIf(PG_SKIP_REASON !== null)(`access token shared through PostgreSQL${PG_SKIP_REASON ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  beforeEach(async () => {
    wechat = new FakeWechat("");
    await wechat.start();
    clock = Date.parse("2026-03-01T00:00:00Z");
    const first = await openPg(PG_URL, { freshSchema: true, max: 4, migrations: CHANNEL_MIGRATIONS });
    handles = [first, await openPg(PG_URL, { schema: first.schema!, max: 4 })];
  });
  afterEach(async () => {
    await wechat.stop();
    for (const h of handles.reverse()) await h.close();
  });

  it("is fetched once for two processes sending at the same moment", async () => {
    const [a, b] = handles.map(processClient);
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).sendText(`o${i}`, `消息${i}`)));
    expect(wechat.tokenFetches).toBe(1);
    expect(wechat.messages).toHaveLength(20);
    // A process started later takes the stored token instead of fetching its own.
    const c = processClient(handles[0]);
    await c.sendText("o99", "后来的进程");
    expect(wechat.tokenFetches).toBe(1);
  });

  it("is renewed once for both when WeChat refuses it, and nobody goes back to the refused one", async () => {
    const [a, b] = handles.map(processClient);
    await a.sendText("o0", "预热");
    await b.sendText("o1", "预热");
    expect(wechat.tokenFetches).toBe(1);
    wechat.expireTokens();
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).sendText(`o${i}`, `并发${i}`)));
    expect(wechat.tokenFetches).toBe(2);
    expect(wechat.messages).toHaveLength(12);
  });

  it("is renewed by whichever process finds it due, shortly before it expires", async () => {
    const [a, b] = handles.map(processClient);
    await a.sendText("o0", "一");
    clock += 7000 * 1000; // past the early-renewal point of a 7200 s token
    await Promise.all([a.sendText("o1", "二"), b.sendText("o2", "三")]);
    expect(wechat.tokenFetches).toBe(2);
  });
});
