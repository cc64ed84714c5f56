// What an inbound WeChat message asks of us: a question for the conversation core, a fixed
// reply, or only an acknowledgement. Pure: fields in, decision out.

import { menuAction, type MenuAction } from "./menu.ts";
import { MENU_UNKNOWN, unsupportedReply, VOICE_NOT_RECOGNISED, WELCOME } from "./replies.ts";
import { WechatXmlError, type WechatFields } from "./xml.ts";

export interface Envelope {
  /** The resident's OpenID (FromUserName). */
  openid: string;
  /** The official account's id (ToUserName), the sender of our passive reply. */
  account: string;
  createTime: string;
  msgType: string;
}

export type Decision =
  /** Through the conversation core, as if typed; `platformId` makes WeChat's retries one message. */
  | { kind: "ask"; text: string; platformId: string; via: "text" | "voice" | "menu" }
  /** A fixed passive reply. */
  | { kind: "reply"; text: string }
  /** Nothing to say: reply "success". */
  | { kind: "ack" };

export interface Interpreted {
  envelope: Envelope;
  decision: Decision;
}

export interface MenuLookup {
  menu: Readonly<Record<string, MenuAction>>;
  guideTitle: (guideId: string) => string | null;
}

const OPENID = /^[A-Za-z0-9_-]{1,64}$/;
const DIGITS = /^[0-9]{1,20}$/;
const MEDIA = new Set(["image", "video", "shortvideo", "location", "link", "file", "music"]);

function required(fields: WechatFields, name: string, pattern?: RegExp): string {
  const v = fields[name];
  if (typeof v !== "string" || v === "") throw new WechatXmlError(`missing ${name}`);
  if (pattern && !pattern.test(v)) throw new WechatXmlError(`malformed ${name}`);
  return v;
}

export function envelopeOf(fields: WechatFields): Envelope {
  return {
    openid: required(fields, "FromUserName", OPENID),
    account: required(fields, "ToUserName").slice(0, 64),
    createTime: required(fields, "CreateTime", DIGITS),
    msgType: required(fields, "MsgType").toLowerCase().slice(0, 32),
  };
}

/** A MsgId is unique per resident, not across the account: two residents' messages may share one. */
export function messagePlatformId(e: Envelope, msgId: string): string {
  return `${e.openid}:${msgId}`;
}

/** Events carry no MsgId: WeChat's retries of one event share FromUserName and CreateTime. */
export function eventPlatformId(e: Envelope): string {
  return `event:${e.openid}:${e.createTime}`;
}

export function interpret(fields: WechatFields, lookup: MenuLookup): Interpreted {
  const envelope = envelopeOf(fields);
  return { envelope, decision: decide(fields, envelope, lookup) };
}

function decide(fields: WechatFields, e: Envelope, lookup: MenuLookup): Decision {
  switch (e.msgType) {
    case "text": {
      const msgId = required(fields, "MsgId", DIGITS);
      const text = (fields.Content ?? "").trim();
      return text ? { kind: "ask", text, platformId: messagePlatformId(e, msgId), via: "text" } : { kind: "ack" };
    }
    case "voice": {
      const msgId = required(fields, "MsgId", DIGITS);
      const text = (fields.Recognition ?? "").trim();
      return text ? { kind: "ask", text, platformId: messagePlatformId(e, msgId), via: "voice" } : { kind: "reply", text: VOICE_NOT_RECOGNISED };
    }
    case "event":
      return decideEvent(fields, e, lookup);
    default:
      // Only a fixed reply follows, so the MsgId is not needed (but must be sane when present).
      if (fields.MsgId !== undefined && !DIGITS.test(fields.MsgId)) throw new WechatXmlError("malformed MsgId");
      return { kind: "reply", text: MEDIA.has(e.msgType) ? unsupportedReply(e.msgType) : unsupportedReply("") };
  }
}

function decideEvent(fields: WechatFields, e: Envelope, lookup: MenuLookup): Decision {
  const event = required(fields, "Event").toLowerCase();
  switch (event) {
    case "subscribe":
      return { kind: "reply", text: WELCOME };
    case "click":
    case "view": {
      const action = menuAction(fields.EventKey ?? "", lookup.menu, lookup.guideTitle);
      if (!action) return event === "click" ? { kind: "reply", text: MENU_UNKNOWN } : { kind: "ack" };
      if (action.kind === "reply") return { kind: "reply", text: action.text };
      return { kind: "ask", text: action.text, platformId: eventPlatformId(e), via: "menu" };
    }
    default:
      // unsubscribe, SCAN, LOCATION reports, template-send receipts: nothing to say.
      return { kind: "ack" };
  }
}
