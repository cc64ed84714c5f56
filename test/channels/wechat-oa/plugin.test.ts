// The channel over the whole app (real answering pipeline, SQLite, dispatcher), with a
// fake WeChat on loopback signing and sending real requests.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { msgSignature, urlSignature } from "../../../src/channels/wechat-oa/crypto.ts";
import { WELCOME } from "../../../src/channels/wechat-oa/replies.ts";
import { eventMessage, nextMsgId, textMessage, until, xmlOf } from "./fake-wechat.ts";
import { appRig, coreRig, type Rig } from "./harness.ts";
import { openConsole } from "../console-desk.ts";
import { addDutyLawyer, firstAdmin, waitFor } from "../wechaty/app-fixture.ts";
import type { App } from "../../../src/app.ts";
import { wechatOaPlugin } from "../../../src/channels/wechat-oa/plugin.ts";
import { buildServer, type ChannelRegistration } from "../../../src/server/server.ts";

let rig: Rig & { app: App };
let n = 0;
const newOpenid = () => `oLawdeskTest${(n += 1)}_${Date.now().toString(36)}`;

beforeAll(async () => {
  // A generous budget: these tests are about the protocol, five-seconds.test.ts about timing.
  rig = await appRig({ settings: { replyBudgetMs: 3000 } });
});
afterAll(async () => {
  await rig?.close();
});

const refusals = () => rig.lines().filter((l) => l.msg === "wechat_oa: request refused");

describe("URL verification (GET)", () => {
  it("echoes echostr for a valid signature", async () => {
    expect(await rig.wechat.verifyUrl("4937658392615488")).toEqual({ status: 200, body: "4937658392615488" });
  });

  it("refuses a forged signature, a stale timestamp and a missing echostr", async () => {
    expect((await rig.wechat.verifyUrl("1", { signWith: "notTheToken" })).status).toBe(401);
    expect((await rig.wechat.verifyUrl("1", { timestamp: String(Math.floor(Date.now() / 1000) - 301) })).status).toBe(403);
    const ts = String(Math.floor(Date.now() / 1000));
    const res = await fetch(`${rig.wechat.target}?${new URLSearchParams({ signature: urlSignature(rig.channel.settings.token, ts, "n"), timestamp: ts, nonce: "n" })}`);
    expect(res.status).toBe(400);
  });
});

describe("text messages", () => {
  it("回复【法条】 returns the verbatim current text of the statutes the answer cited; the answer itself names them only", async () => {
    const openid = newOpenid();
    const first = await rig.wechat.push(textMessage(openid, "老板欠我三个月工资不给咋办", nextMsgId()));
    expect(first.content).toContain("回复【法条】看条文原文");
    expect(first.content).not.toContain("向劳动者及时足额支付劳动报酬");
    expect([...(first.content ?? "")].length).toBeLessThanOrEqual(600);
    const law = await rig.wechat.push(textMessage(openid, "【法条】", nextMsgId()));
    expect(law.status).toBe(200);
    expect(law.content).toContain("《中华人民共和国劳动合同法》第三十条（现行有效）");
    // Verbatim: the article exactly as the corpus holds it.
    const article = rig.app.knowledge.basisArticle({ law: "中华人民共和国劳动合同法", article: "第三十条" })!;
    expect(article.text).toContain("向劳动者及时足额支付劳动报酬");
    expect(law.content).toContain(article.text);
    expect(Buffer.byteLength(law.content ?? "", "utf8")).toBeLessThanOrEqual(2000);
    // A follow-up after it still refers to the wage answer.
    const where = await rig.wechat.push(textMessage(openid, "那我应该去哪里申请仲裁", nextMsgId()));
    expect(where.content).toContain("劳动人事争议仲裁院");
  });

  it("plain mode: the answer comes in the passive reply, and the outbox row is marked sent", async () => {
    const openid = newOpenid();
    const msgId = nextMsgId();
    const r = await rig.wechat.push(textMessage(openid, "老板欠我三个月工资不给咋办", msgId));
    expect(r.status).toBe(200);
    expect(r.encrypted).toBe(false);
    expect(r.content).toContain("《中华人民共和国劳动合同法》第三十条");
    expect(Buffer.byteLength(r.content ?? "", "utf8")).toBeLessThanOrEqual(2000);
    expect(r.body).toContain(`<ToUserName><![CDATA[${openid}]]></ToUserName>`);
    expect(r.body).toContain("<FromUserName><![CDATA[gh_lawdesk]]></FromUserName>");

    const thread = await rig.app.conversations.findThread("wechat_oa", openid);
    expect(thread).toBeDefined();
    const rows = await rig.app.conversations.listOutbox({ threadId: thread!.id });
    expect(rows.map((row) => row.status)).toEqual(["sent"]);
    const inbound = await rig.app.conversations.getInbound(rows[0].inboundId!);
    expect(inbound?.platformMessageId).toBe(`${openid}:${msgId}`); // per resident; 64-bit, exact
    await rig.dispatcher.flushAll();
    expect(rig.wechat.messagesTo(openid)).toEqual([]);
  });

  it("an emergency: the safety reply in the passive reply, no statute, an urgent referral", async () => {
    const openid = newOpenid();
    const r = await rig.wechat.push(textMessage(openid, "有人拿着刀在我家门口砸门 说要砍死我", nextMsgId()));
    expect(r.status).toBe(200);
    expect(r.content).toContain("110");
    expect(r.content).not.toMatch(/第[一二三四五六七八九十百零]+条/);
    const thread = await rig.app.conversations.findThread("wechat_oa", openid);
    const referral = await rig.app.referrals.latestForThread(String(thread!.id));
    expect(referral).toMatchObject({ channel: "wechat_oa", reason: "emergency", urgency: "emergency" });
    expect(referral!.summary).toMatch(/威胁|暴力/);
  });

  it("safe mode: the request is decrypted and the reply encrypted (checked with the oracle)", async () => {
    const openid = newOpenid();
    const r = await rig.wechat.push(textMessage(openid, "老板拖欠工资怎么办"), { mode: "aes" });
    expect(r.status).toBe(200);
    expect(r.encrypted).toBe(true);
    expect(r.content).toContain("劳动合同法");
    expect(r.body).not.toContain("劳动合同法");
  });

  it("compatible mode: the encrypted part is used and the reply encrypted", async () => {
    const r = await rig.wechat.push(textMessage(newOpenid(), "老板拖欠工资怎么办"), { mode: "compat" });
    expect(r.status).toBe(200);
    expect(r.encrypted).toBe(true);
    expect(r.content).toContain("劳动合同法");
  });

  it("a repeated MsgId after a passive answer gets the stored answer again at once (WeChat re-sends only when it did not get the reply), never a customer-service copy", async () => {
    const openid = newOpenid();
    const msg = textMessage(openid, "老板欠我工资怎么办");
    const first = await rig.wechat.push(msg);
    expect(first.content).toContain("劳动合同法");
    const again = await rig.wechat.push(msg);
    expect(again.content).toBe(first.content);
    expect(again.elapsedMs).toBeLessThan(1000);
    const [row] = await rig.app.conversations.listOutbox({ threadId: (await rig.app.conversations.findThread("wechat_oa", openid))!.id });
    expect(row.status).toBe("sent");
    expect(row.passiveAt).not.toBeNull();
    await rig.dispatcher.flushAll();
    expect(rig.wechat.messagesTo(openid)).toEqual([]);
  });

  it("voice with WeChat's recognition is answered as text", async () => {
    const openid = newOpenid();
    const r = await rig.wechat.push({ ToUserName: "gh_lawdesk", FromUserName: openid, CreateTime: Math.floor(Date.now() / 1000), MsgType: "voice", MediaId: "media1", Format: "amr", Recognition: "老板欠我工资不给怎么办", MsgId: nextMsgId() });
    expect(r.content).toContain("劳动合同法");
  });
});

describe("events and other message types", () => {
  it("subscribe: the welcome says what the assistant does and how to reach a person", async () => {
    const r = await rig.wechat.push(eventMessage(newOpenid(), "subscribe"), { mode: "aes" });
    expect(r.encrypted).toBe(true);
    expect(r.content).toBe(WELCOME);
    expect(r.content).toContain("转人工");
  });

  it("menu HUMAN escalates the thread to a person, once even when WeChat retries the event", async () => {
    const openid = newOpenid();
    const click = eventMessage(openid, "CLICK", "HUMAN");
    const r = await rig.wechat.push(click);
    expect(r.content).toContain("律师");
    const retry = await rig.wechat.push(click);
    expect(retry.content).toBe(r.content); // the stored reply, not a second escalation
    const thread = await rig.app.conversations.findThread("wechat_oa", openid);
    const escalations = await rig.app.conversations.listEscalations({ threadId: thread!.id });
    expect(escalations).toHaveLength(1);
    expect(escalations[0].reason).toBe("asked_human");
  });

  it("menu LEGAL_AID asks the legal-aid question", async () => {
    const r = await rig.wechat.push(eventMessage(newOpenid(), "CLICK", "LEGAL_AID"));
    expect(r.content).toContain("法律援助");
  });

  it("images, locations and links get a polite reply of what is supported", async () => {
    const base = { ToUserName: "gh_lawdesk", FromUserName: newOpenid(), CreateTime: Math.floor(Date.now() / 1000) };
    const image = await rig.wechat.push({ ...base, MsgType: "image", PicUrl: "http://example.invalid/a.jpg", MediaId: "m", MsgId: nextMsgId() });
    expect(image.content).toContain("图片");
    const location = await rig.wechat.push({ ...base, MsgType: "location", Location_X: "23.1", Location_Y: "113.3", Scale: "20", Label: "某地", MsgId: nextMsgId() });
    expect(location.content).toContain("位置");
    const link = await rig.wechat.push({ ...base, MsgType: "link", Title: "t", Description: "d", Url: "http://example.invalid", MsgId: nextMsgId() });
    expect(link.content).toContain("链接");
  });
});

describe("refused requests: 4xx, logged without payload, never processed", () => {
  const SECRET_TEXT = "我的身份证号是110101199003071234";

  async function expectNotProcessed(openid: string): Promise<void> {
    expect(await rig.app.conversations.findThread("wechat_oa", openid)).toBeUndefined();
  }

  it("forged or missing signature", async () => {
    const openid = newOpenid();
    const forged = await rig.wechat.push(textMessage(openid, SECRET_TEXT), { signWith: "attackerToken" });
    expect(forged.status).toBe(401);
    const { body } = rig.wechat.request(textMessage(openid, SECRET_TEXT));
    const missing = await rig.wechat.postRaw({ timestamp: String(Math.floor(Date.now() / 1000)), nonce: "1" }, body);
    expect(missing.status).toBe(401);
    await expectNotProcessed(openid);
    const logged = JSON.stringify(rig.lines());
    expect(logged).not.toContain("110101199003071234");
    expect(logged).not.toContain("身份证");
    expect(refusals().some((l) => l.reason === "bad signature")).toBe(true);
  });

  it("stale timestamp (replay) with an otherwise valid signature", async () => {
    const openid = newOpenid();
    const r = await rig.wechat.push(textMessage(openid, "老板欠薪"), { timestamp: String(Math.floor(Date.now() / 1000) - 3600) });
    expect(r.status).toBe(403);
    await expectNotProcessed(openid);
  });

  it("bad msg_signature in safe mode", async () => {
    const openid = newOpenid();
    const r = await rig.wechat.push(textMessage(openid, "老板欠薪"), { mode: "aes", query: { msg_signature: "0".repeat(40) } });
    expect(r.status).toBe(401);
    await expectNotProcessed(openid);
  });

  it("wrong AppID inside the encrypted message", async () => {
    const openid = newOpenid();
    const r = await rig.wechat.push(textMessage(openid, SECRET_TEXT), { mode: "aes", encryptFor: "wx00000000000000ff" });
    expect(r.status).toBe(403);
    await expectNotProcessed(openid);
    expect(refusals().some((l) => l.reason === "decrypt: wrong_app_id")).toBe(true);
    expect(JSON.stringify(rig.lines())).not.toContain("110101199003071234");
  });

  it("malformed XML, entity declarations and oversized bodies; the server keeps serving", async () => {
    const bad = [
      { body: "<xml><ToUserName>gh</ToUserName><FromUserName>o", status: 400 },
      { body: '<!DOCTYPE xml [<!ENTITY e "x">]><xml><Content>&e;</Content></xml>', status: 400 },
      { body: "not xml at all", status: 400 },
      { body: `<xml><Content><![CDATA[${"很长".repeat(40_000)}]]></Content></xml>`, status: 413 },
    ];
    for (const { body, status } of bad) {
      const before = refusals().length;
      const { url } = rig.wechat.request(null, { rawBody: body });
      const res = await fetch(url, { method: "POST", headers: { "content-type": "text/xml" }, body });
      expect(res.status).toBe(status);
      expect(refusals().length).toBe(before + 1);
    }
    const ok = await rig.wechat.push(textMessage(newOpenid(), "老板欠我工资怎么办"));
    expect(ok.content).toContain("劳动合同法");
  });
});

describe("customer-service delivery and the 48-hour window", () => {
  it("a lawyer's reply from the console goes out through the customer-service API", async () => {
    const openid = newOpenid();
    await rig.wechat.push(textMessage(openid, "转人工"));
    const thread = await rig.app.conversations.findThread("wechat_oa", openid);
    await rig.app.core.replyAsPerson(thread!.id, "lawyer-1", "您好，我是值班律师王律师，请把劳动合同拍照发给我。");
    await until(() => rig.wechat.messagesTo(openid).length === 1, 5000, "the lawyer's reply");
    expect(rig.wechat.messagesTo(openid)[0].content).toBe("您好，我是值班律师王律师，请把劳动合同拍照发给我。");
    await until(async () => (await rig.app.conversations.listOutbox({ threadId: thread!.id })).every((r) => r.status === "sent"), 2000, "rows sent");
  });

  it("a lawyer's reply posted in the console (the production path) reaches the resident, then the rating request", async () => {
    const admin = await firstAdmin(rig.app);
    await addDutyLawyer(rig.app, admin, "oalawyer", ["qinghe"]);
    const desk = await openConsole(rig.app, "oalawyer");
    try {
      const openid = newOpenid();
      await rig.wechat.push(textMessage(openid, "转人工"));
      const thread = await rig.app.conversations.findThread("wechat_oa", openid);
      const referral = await waitFor(() => rig.app.referrals.latestForThread(String(thread!.id)), 5000, "the referral");
      await desk.reply(referral.id, "您好，我是值班律师，请把劳动合同拍照发给我。");
      await until(() => rig.wechat.messagesTo(openid).length === 1, 5000, "the lawyer's reply");
      expect(rig.wechat.messagesTo(openid)[0].content).toContain("【律师回复】");
      expect(rig.wechat.messagesTo(openid)[0].content).toContain("您好，我是值班律师，请把劳动合同拍照发给我。");
      await desk.close(referral.id, "已电话解答");
      await until(() => rig.wechat.messagesTo(openid).length === 2, 5000, "the rating request");
      expect(rig.wechat.messagesTo(openid)[1].content).toContain("请为本次服务打分");
      await until(async () => (await rig.app.conversations.listOutbox({ threadId: thread!.id })).every((r) => r.status === "sent"), 2000, "rows sent");
    } finally {
      await desk.stop();
    }
  });

  it("45015: kept as undelivered, then delivered with a notice as soon as the resident writes again", async () => {
    const openid = newOpenid();
    await rig.wechat.push(textMessage(openid, "转人工"));
    const thread = await rig.app.conversations.findThread("wechat_oa", openid);
    rig.wechat.windowClosed.add(openid);
    const row = await rig.app.core.replyAsPerson(thread!.id, "lawyer-1", "关于您的欠薪问题，建议先申请劳动仲裁。");
    await until(async () => (await rig.app.conversations.getOutbox(row.id))?.status === "undelivered", 5000, "undelivered");
    expect((await rig.app.conversations.getOutbox(row.id))?.lastError).toContain("45015");
    expect(rig.wechat.messagesTo(openid)).toEqual([]);

    // Days later the resident writes: the window reopens.
    rig.wechat.windowClosed.delete(openid);
    await rig.app.conversations.assignThread(thread!.id, null, new Date()); // the lawyer handed the thread back
    const r = await rig.wechat.push(textMessage(openid, "老板欠我工资怎么办"));
    expect(r.content).toContain("劳动合同法"); // the new question is still answered in the passive reply
    await until(() => rig.wechat.messagesTo(openid).length === 1, 5000, "the late delivery");
    expect(rig.wechat.messagesTo(openid)[0].content).toBe("您有一条律师回复之前未能送达：\n关于您的欠薪问题，建议先申请劳动仲裁。");
    await until(async () => (await rig.app.conversations.getOutbox(row.id))?.status === "sent", 2000, "row sent");

    // A further message does not send it again.
    await rig.wechat.push(textMessage(openid, "谢谢"));
    await rig.settled();
    expect(rig.wechat.messagesTo(openid)).toHaveLength(1);
  });
});

describe("the official documentation's vector as a real request", () => {
  it("decrypts the published safe-mode video message (AppID checked) and answers it encrypted", async () => {
    const account = { token: "pamtest", appId: "wxb11529c136998cb6", appSecret: "x", aesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" };
    const timestamp = "1409304348";
    const vectorRig = await coreRig({ account, now: () => Number(timestamp) * 1000 + 5000 });
    try {
      const encrypt =
        "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb";
      const nonce = "xxxxxx";
      const query = { signature: urlSignature("pamtest", timestamp, nonce), timestamp, nonce, encrypt_type: "aes", msg_signature: msgSignature("pamtest", timestamp, nonce, encrypt) };
      const r = await vectorRig.wechat.postRaw(query, xmlOf({ ToUserName: "toUser", Encrypt: encrypt }));
      expect(r.status).toBe(200);
      expect(r.encrypted).toBe(true);
      expect(r.content).toContain("视频");
      expect(r.body).toContain("<MsgSignature>");

      // The same request a day later is a replay.
      const late = await coreRig({ account, now: () => Number(timestamp) * 1000 + 86_400_000 });
      try {
        expect((await late.wechat.postRaw(query, xmlOf({ ToUserName: "toUser", Encrypt: encrypt }))).status).toBe(403);
      } finally {
        await late.close();
      }
    } finally {
      await vectorRig.close();
    }
  });
});

describe("mounted by the lawdesk server", () => {
  it("buildServer's channel hook mounts it from the app's configuration", async () => {
    const config = { ...rig.app.config, WECHAT_OA_TOKEN: "mountedToken1", WECHAT_OA_APPID: undefined, WECHAT_OA_APPSECRET: undefined, WECHAT_OA_AES_KEY: undefined };
    const app = { ...rig.app, config };
    const registration: ChannelRegistration = { name: "wechat_oa", plugin: wechatOaPlugin };
    const server = await buildServer(app, { channels: [registration], cookieSecret: "c".repeat(48) });
    try {
      const ts = String(Math.floor(Date.now() / 1000));
      const ok = await server.inject({ method: "GET", url: `/wechat/oa?${new URLSearchParams({ signature: urlSignature("mountedToken1", ts, "n"), timestamp: ts, nonce: "n", echostr: "hello" })}` });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toBe("hello");
      const forged = await server.inject({ method: "GET", url: `/wechat/oa?${new URLSearchParams({ signature: urlSignature("other", ts, "n"), timestamp: ts, nonce: "n", echostr: "hello" })}` });
      expect(forged.statusCode).toBe(401);
    } finally {
      await server.close();
      rig.app.dispatcher.register(rig.channel.delivery); // the server's plugin replaced this rig's sender
    }
  });
});
