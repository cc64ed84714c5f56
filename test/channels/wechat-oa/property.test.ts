// Random and hostile input at the XML/signature boundary: the server never crashes (no 5xx,
// keeps serving), and nothing is processed without a valid signature.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { msgSignature, urlSignature } from "../../../src/channels/wechat-oa/crypto.ts";
import { cdata } from "../../../src/channels/wechat-oa/xml.ts";
import { ACCOUNT, textMessage, xmlOf } from "./fake-wechat.ts";
import { coreRig, type CoreRig } from "./harness.ts";

/** Runs for the boundary properties; 10,000 each keeps this file around 15 s on a laptop-class CPU. */
const RUNS = Number(process.env.WECHAT_PROPERTY_RUNS ?? 10_000);

let rig: CoreRig;
beforeAll(async () => {
  rig = await coreRig({ settings: { replyBudgetMs: 200, maxBodyBytes: 16 * 1024 }, logLevel: "silent" });
});
afterAll(async () => {
  await rig?.close();
});

const now = () => String(Math.floor(Date.now() / 1000));
const tagName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const fieldValue = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => cdata(s)),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[<&]/g, "")),
  fc.constantFrom("&lt;", "&#0;", "&#x110000;", "&unknown;", "]]>", "<![CDATA[", "<a>", "</xml>"),
);
const VALID_BODY = xmlOf(textMessage("oProp", "老板欠我工资"));

/** Bodies a hostile or broken client might send. */
const hostileBody = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.dictionary(tagName, fieldValue, { maxKeys: 8 }).map((d) => `<xml>${Object.entries(d).map(([k, v]) => `<${k}>${v}</${k}>`).join("")}</xml>`),
  fc.record({ cut: fc.nat(VALID_BODY.length), junk: fc.string({ maxLength: 20 }) }).map(({ cut, junk }) => VALID_BODY.slice(0, cut) + junk + VALID_BODY.slice(cut)),
  fc.constantFrom(
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><xml><Content>&lol2;</Content></xml>',
    '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    "<xml><__proto__><polluted>1</polluted></__proto__></xml>",
    "<xml><constructor>1</constructor><MsgType>text</MsgType></xml>",
    `<xml>${"<a>".repeat(2000)}</xml>`,
    `<xml><Content>${"x".repeat(20_000)}</Content></xml>`,
    VALID_BODY,
  ),
);

/** Query strings without a valid signature: missing, random, or signed with the wrong token. */
const unsignedQuery = fc.oneof(
  fc.dictionary(fc.constantFrom("signature", "timestamp", "nonce", "echostr", "encrypt_type", "msg_signature", "openid"), fc.string({ maxLength: 50 })),
  fc.record({ signature: fc.stringMatching(/^[0-9a-f]{40}$/), timestamp: fc.constant(null), nonce: fc.string({ minLength: 1, maxLength: 20 }) }).map((q) => ({ ...q, timestamp: now() })),
  fc.record({ token: fc.string({ minLength: 1, maxLength: 32 }), nonce: fc.string({ minLength: 1, maxLength: 20 }) })
    .filter(({ token }) => token !== ACCOUNT.token)
    .map(({ token, nonce }) => {
      const timestamp = now();
      return { signature: urlSignature(token, timestamp, nonce), timestamp, nonce, encrypt_type: "aes" };
    }),
);

async function post(query: Record<string, string>, body: string, contentType = "text/xml") {
  return rig.server.inject({ method: "POST", url: `/wechat/oa?${new URLSearchParams(query)}`, payload: body, headers: { "content-type": contentType } });
}

let nonceSeq = 0;

describe("the boundary under random and hostile input", () => {
  it(`no valid signature → 4xx and nothing processed (${RUNS} runs)`, async () => {
    const callsBefore = rig.pipeline.calls.length;
    await fc.assert(
      fc.asyncProperty(unsignedQuery, hostileBody, fc.constantFrom("text/xml", "application/json", "application/x-www-form-urlencoded", "text/plain"), async (query, body, type) => {
        const res = await post(query, body, type);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: RUNS },
    );
    expect(rig.pipeline.calls.length).toBe(callsBefore);
    expect(await rig.db.store.listOutbox({})).toHaveLength(0);
  });

  it(`valid signature, hostile body → never a 5xx, and a 200 is "success" or a well-formed reply (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, fc.string({ minLength: 1, maxLength: 16 }), async (body, random) => {
        const timestamp = now();
        const nonce = `${random}${++nonceSeq}`; // a fresh nonce per request: a reused one is a replay (403)
        const res = await post({ signature: urlSignature(ACCOUNT.token, timestamp, nonce), timestamp, nonce }, body);
        expect([200, 400, 413]).toContain(res.statusCode);
        if (res.statusCode === 200) expect(res.body === "success" || res.body.startsWith("<xml><ToUserName>")).toBe(true);
      }),
      { numRuns: RUNS },
    );
    // And it still answers a real message afterwards.
    const timestamp = now();
    const ok = await post({ signature: urlSignature(ACCOUNT.token, timestamp, "nAfter"), timestamp, nonce: "nAfter" }, xmlOf(textMessage("oAfter", "欠薪怎么办")));
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain("答复：欠薪怎么办");
  });

  it("safe mode: a valid outer signature with a forged msg_signature or random ciphertext is never processed", async () => {
    const callsBefore = rig.pipeline.calls.length;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.base64String({ maxLength: 400 }), fc.string({ maxLength: 100 })), fc.boolean(), async (encrypt, signInner) => {
        const timestamp = now();
        const nonce = "n1";
        const query: Record<string, string> = {
          signature: urlSignature(ACCOUNT.token, timestamp, nonce),
          timestamp,
          nonce,
          encrypt_type: "aes",
          msg_signature: signInner ? msgSignature(ACCOUNT.token, timestamp, nonce, encrypt.trim()) : "f".repeat(40),
        };
        const res = await post(query, `<xml><ToUserName>${cdata("gh")}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt></xml>`);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThan(500);
      }),
      { numRuns: Math.min(RUNS, 3000) },
    );
    expect(rig.pipeline.calls.length).toBe(callsBefore);
  });

  it("over real HTTP too: hostile requests on loopback leave the server serving", async () => {
    await fc.assert(
      fc.asyncProperty(unsignedQuery, hostileBody, async (query, body) => {
        const res = await fetch(`${rig.wechat.target}?${new URLSearchParams(query)}`, { method: "POST", headers: { "content-type": "text/xml" }, body });
        await res.text();
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    expect((await rig.wechat.push(textMessage("oHttpAfter", "还能用吗"))).content).toBe("答复：还能用吗");
  });
});
