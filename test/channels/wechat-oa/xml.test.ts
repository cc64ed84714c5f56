import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { interpret } from "../../../src/channels/wechat-oa/message.ts";
import { WELCOME } from "../../../src/channels/wechat-oa/replies.ts";
import { cdata, parseWechatXml, textReplyXml, WechatXmlError } from "../../../src/channels/wechat-oa/xml.ts";
import { eventMessage, textMessage, xmlOf } from "./fake-wechat.ts";

const lookup = { menu: {}, guideTitle: (id: string) => (id === "wage-arrears" ? "老板拖欠工资怎么办" : null) };

describe("parseWechatXml", () => {
  it("keeps a 64-bit MsgId as the exact string", () => {
    const fields = parseWechatXml("<xml><MsgId>9223372036854775807</MsgId><CreateTime>1700000000</CreateTime></xml>");
    expect(fields.MsgId).toBe("9223372036854775807");
    expect(fields.CreateTime).toBe("1700000000");
  });

  it("takes CDATA verbatim and decodes only the predefined entities in text", () => {
    const fields = parseWechatXml(`<xml><Content>${cdata("a]]>b &lt; 中文")}</Content><T>x &amp; y &#20013; &#x6587; &nbsp;</T></xml>`);
    expect(fields.Content).toBe("a]]>b &lt; 中文");
    expect(fields.T).toBe("x & y 中 文 &nbsp;");
  });

  it("refuses DOCTYPE and entity declarations (no entity expansion, no XXE)", () => {
    const bombs = [
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
      '<!DOCTYPE xml SYSTEM "file:///etc/passwd"><xml><Content>x</Content></xml>',
      '<xml><!ENTITY x "y"><Content>x</Content></xml>',
    ];
    for (const b of bombs) expect(() => parseWechatXml(b)).toThrow(WechatXmlError);
  });

  it("refuses malformed XML, other roots, repeated fields and prototype keys", () => {
    for (const bad of ["", "   ", "<xml>", "<xml><a>1</b></xml>", "garbage", "<root><a>1</a></root>", "<xml><a>1</a></xml><xml/>", "<xml><a>1</a><a>2</a></xml>", "<xml><__proto__>1</__proto__></xml>", "<xml>text</xml>"]) {
      expect(() => parseWechatXml(bad), bad).toThrow(WechatXmlError);
    }
  });

  it("leaves nested elements out of the flat fields", () => {
    const fields = parseWechatXml("<xml><Event>scancode_push</Event><ScanCodeInfo><ScanType>qrcode</ScanType></ScanCodeInfo></xml>");
    expect(fields).toEqual({ Event: "scancode_push" });
  });

  it("round-trips any text through cdata() and the parser", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), (text) => {
        const xml = textReplyXml({ toUser: "o1", fromUser: "gh", createTime: 1, content: text });
        expect(parseWechatXml(xml).Content).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("interpret", () => {
  const at = 1_700_000_000;

  it("text goes to the core under its OpenID and MsgId; empty text is only acknowledged", () => {
    const { envelope, decision } = interpret(parseWechatXml(xmlOf(textMessage("oUser1", "老板欠薪咋办", "18446744073709551615", at))), lookup);
    expect(envelope).toEqual({ openid: "oUser1", account: "gh_lawdesk", createTime: String(at), msgType: "text" });
    expect(decision).toEqual({ kind: "ask", text: "老板欠薪咋办", platformId: "oUser1:18446744073709551615", via: "text" });
    expect(interpret(parseWechatXml(xmlOf(textMessage("oUser1", "   "))), lookup).decision).toEqual({ kind: "ack" });
  });

  it("voice with recognition is text; without it, a request to repeat", () => {
    const base = { ToUserName: "gh", FromUserName: "oV", CreateTime: at, MsgType: "voice", MediaId: "m", Format: "amr", MsgId: "42" };
    expect(interpret(parseWechatXml(xmlOf({ ...base, Recognition: "我被公司辞退了" })), lookup).decision).toMatchObject({ kind: "ask", text: "我被公司辞退了", via: "voice", platformId: "oV:42" });
    expect(interpret(parseWechatXml(xmlOf(base)), lookup).decision).toMatchObject({ kind: "reply", text: expect.stringContaining("语音") });
  });

  it("subscribe gets the welcome; unsubscribe only an acknowledgement", () => {
    expect(interpret(parseWechatXml(xmlOf(eventMessage("oS", "subscribe"))), lookup).decision).toEqual({ kind: "reply", text: WELCOME });
    expect(WELCOME).toContain("转人工");
    expect(interpret(parseWechatXml(xmlOf(eventMessage("oS", "unsubscribe"))), lookup).decision).toEqual({ kind: "ack" });
  });

  it("menu keys map to actions; events dedupe on FromUserName + CreateTime", () => {
    const human = interpret(parseWechatXml(xmlOf(eventMessage("oM", "CLICK", "HUMAN", at))), lookup).decision;
    expect(human).toEqual({ kind: "ask", text: "转人工", platformId: `event:oM:${at}`, via: "menu" });
    const aid = interpret(parseWechatXml(xmlOf(eventMessage("oM", "CLICK", "LEGAL_AID", at))), lookup).decision;
    expect(aid).toMatchObject({ kind: "ask", text: expect.stringContaining("法律援助") });
    const guide = interpret(parseWechatXml(xmlOf(eventMessage("oM", "CLICK", "GUIDE_wage-arrears", at))), lookup).decision;
    expect(guide).toMatchObject({ kind: "ask", text: "老板拖欠工资怎么办" });
    expect(interpret(parseWechatXml(xmlOf(eventMessage("oM", "CLICK", "GUIDE_nope", at))), lookup).decision).toMatchObject({ kind: "reply" });
    expect(interpret(parseWechatXml(xmlOf(eventMessage("oM", "VIEW", "https://example.org/x", at))), lookup).decision).toEqual({ kind: "ack" });
    const custom = interpret(parseWechatXml(xmlOf(eventMessage("oM", "CLICK", "ROTA", at))), { ...lookup, menu: { ROTA: { kind: "reply", text: "值班表" } } }).decision;
    expect(custom).toEqual({ kind: "reply", text: "值班表" });
  });

  it("images, locations, links, videos and files get a polite reply of what is supported", () => {
    for (const [type, word] of [["image", "图片"], ["location", "位置"], ["link", "链接"], ["video", "视频"], ["shortvideo", "小视频"], ["file", "文件"]]) {
      const d = interpret(parseWechatXml(xmlOf({ ToUserName: "gh", FromUserName: "oI", CreateTime: at, MsgType: type, MsgId: "7" })), lookup).decision;
      expect(d.kind).toBe("reply");
      expect(d.kind === "reply" && d.text).toContain(word);
      expect(d.kind === "reply" && d.text).toContain("文字");
    }
  });

  it("refuses messages without the envelope or with a malformed MsgId", () => {
    expect(() => interpret(parseWechatXml("<xml><MsgType>text</MsgType></xml>"), lookup)).toThrow(WechatXmlError);
    expect(() => interpret(parseWechatXml(xmlOf({ ...textMessage("o", "x"), MsgId: "12ab" })), lookup)).toThrow(WechatXmlError);
    expect(() => interpret(parseWechatXml(xmlOf({ ...textMessage("o/../x", "x") })), lookup)).toThrow(WechatXmlError);
  });
});
