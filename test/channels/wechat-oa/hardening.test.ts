// The official account's smaller holes (issue 14.8): a reply stays well-formed XML whatever
// the account id holds; a signed URL is good for one body within the replay window (the nonce
// cache, shared through the database so two processes on one PostgreSQL agree); a MsgId is
// unique per resident, so the same MsgId from a second OpenID is answered, not dropped.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XMLValidator } from "fast-xml-parser";
import { CHANNEL_MIGRATIONS } from "../../../src/channels/migrations.ts";
import { SqlNonceCache } from "../../../src/channels/wechat-oa/nonce-cache.ts";
import { urlSignature } from "../../../src/channels/wechat-oa/crypto.ts";
import { openPg, type PgHandle } from "../../../src/store/pg/pool.ts";
import { PgSql } from "../../../src/store/sql.ts";
import { PG_SKIP_REASON, PG_URL } from "../../store/backends.ts";
import { ACCOUNT, nextMsgId, textMessage, xmlOf } from "./fake-wechat.ts";
import type { App } from "../../../src/app.ts";
import { appRig, type Rig } from "./harness.ts";

let rig: Rig & { app: App };
beforeAll(async () => {
  rig = await appRig();
}, 120_000);
afterAll(async () => {
  await rig?.close();
});

const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;

describe("replies are well-formed XML", () => {
  it("even when ToUserName holds control characters", async () => {
    for (const [i, account] of ["gh_\u0001lawdesk", "gh\u0008\u001f", "gh\u000b\u007flawdesk"].entries()) {
      // Raw XML: the test's own builder would drop the control characters.
      const body = `<xml><ToUserName><![CDATA[${account}]]></ToUserName><FromUserName><![CDATA[oCtrl${i}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[老板欠我工资怎么办]]></Content><MsgId>${nextMsgId()}</MsgId></xml>`;
      const r = await rig.wechat.push(null, { rawBody: body });
      expect(r.status).toBe(200);
      expect(r.body.startsWith("<xml>")).toBe(true);
      expect(r.body).not.toMatch(XML_ILLEGAL);
      expect(XMLValidator.validate(r.body)).toBe(true);
      expect(r.content).toContain("劳动合同法");
    }
  });

  it("a FromUserName with a control character is refused (400), never echoed", async () => {
    const body = `<xml><ToUserName><![CDATA[gh_lawdesk]]></ToUserName><FromUserName><![CDATA[o\u0001x]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好]]></Content><MsgId>${nextMsgId()}</MsgId></xml>`;
    const r = await rig.wechat.push(null, { rawBody: body });
    expect(r.status).toBe(400);
    expect(r.body).not.toMatch(XML_ILLEGAL);
  });
});

describe("nonce cache: a signed URL cannot be replayed for another body", () => {
  it("the same signed request again (WeChat's re-send) passes; the same URL with another body is refused", async () => {
    const first = rig.wechat.request(textMessage("oReplay", "借钱不还怎么办"));
    const post = (url: string, body: string) => fetch(url, { method: "POST", headers: { "content-type": "text/xml" }, body });
    expect((await post(first.url, first.body)).status).toBe(200);
    expect((await post(first.url, first.body)).status).toBe(200);
    const forged = xmlOf(textMessage("oVictim", "转人工"));
    const replay = await post(first.url, forged);
    expect(replay.status).toBe(403);
    expect(await rig.app.conversations.findThread("wechat_oa", "oVictim")).toBeUndefined();
  });

  it("a fresh nonce with the same timestamp is a new request", async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    for (const nonce of ["a1", "a2"]) {
      const r = await fetch(`${rig.wechat.target}?${new URLSearchParams({ signature: urlSignature(ACCOUNT.token, timestamp, nonce), timestamp, nonce })}`, {
        method: "POST",
        headers: { "content-type": "text/xml" },
        body: xmlOf(textMessage(`oNonce${nonce}`, "你好")),
      });
      expect(r.status).toBe(200);
    }
  });
});

describe("dedupe per OpenID and MsgId", () => {
  it("the same MsgId from a second resident is answered too", async () => {
    const msgId = nextMsgId();
    const a = await rig.wechat.push(textMessage("oFirstResident", "老板欠我工资怎么办", msgId));
    const b = await rig.wechat.push(textMessage("oSecondResident", "单位不签劳动合同怎么办", msgId));
    expect(a.content).toContain("劳动合同法");
    expect(b.content).toBeTruthy();
    expect(b.content).not.toBe(a.content);
    const thread = await rig.app.conversations.findThread("wechat_oa", "oSecondResident");
    expect(thread).toBeDefined();
  });
});

describe.skipIf(PG_SKIP_REASON !== null && !process.env.CI)(`nonce cache shared by two processes on PostgreSQL${PG_SKIP_REASON && !process.env.CI ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  let handles: PgHandle[] = [];
  beforeAll(async () => {
    const first = await openPg(PG_URL, { freshSchema: true, max: 4, migrations: CHANNEL_MIGRATIONS });
    handles = [first, await openPg(PG_URL, { schema: first.schema!, max: 4 })];
  });
  afterAll(async () => {
    for (const h of handles.reverse()) await h.close();
  });

  it("a request one process admitted cannot be replayed with another body at the other; racing replays: one wins", async () => {
    const [p1, p2] = handles.map((h) => new SqlNonceCache(new PgSql(h.pool)));
    const now = Date.now();
    const expires = now + 300_000;
    expect(await p1.admit("1700000000:n1", "<xml>A</xml>", expires, now)).toBe(true);
    expect(await p2.admit("1700000000:n1", "<xml>B</xml>", expires, now)).toBe(false);
    expect(await p2.admit("1700000000:n1", "<xml>A</xml>", expires, now)).toBe(true);
    const raced = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? p1 : p2).admit("1700000000:n2", `<xml>${i}</xml>`, expires, now)));
    expect(raced.filter(Boolean)).toHaveLength(1);
  });
});
