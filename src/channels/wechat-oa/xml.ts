// WeChat's XML, both ways. Inbound bodies are parsed strictly: one <xml> root, no DOCTYPE
// or entity declarations (no entity expansion at all; only the five predefined entities and
// character references are decoded, by hand), every value kept as a string (MsgId is 64-bit).

import { XMLParser, XMLValidator } from "fast-xml-parser";

export class WechatXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WechatXmlError";
  }
}

/** The top-level fields of a WeChat message; nested elements (ScanCodeInfo, …) are left out. */
export type WechatFields = Readonly<Record<string, string>>;

const CDATA = "#cdata";
const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: CDATA,
  commentPropName: false,
});

/** Characters XML 1.0 does not allow anywhere, CDATA included (C0 controls, lone surrogates, U+FFFE/F). */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const FORBIDDEN = /<!DOCTYPE|<!ENTITY|<!ELEMENT|<!ATTLIST/i;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Decodes the predefined entities and numeric references; anything else stays literal. */
function decodeText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|lt|gt|amp|quot|apos);/g, (m, ref: string) => {
    if (ref[0] !== "#") return PREDEFINED[ref];
    const code = ref[1] === "x" ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
  });
}

/** A parsed element's value as one string: CDATA taken verbatim, text decoded, pieces joined. */
function textOf(value: unknown): string | null {
  if (typeof value === "string") return decodeText(value);
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const entries = Object.entries(value as Record<string, unknown>);
  // WeChat never mixes CDATA and text in one field, and the parser would lose their order.
  if (CDATA in value && "#text" in value) throw new WechatXmlError("mixed CDATA and text in one field");
  let out = "";
  for (const [k, v] of entries) {
    if (k === CDATA) {
      const parts = Array.isArray(v) ? v : [v];
      if (!parts.every((p) => typeof p === "string")) return null;
      out += parts.join("");
    } else if (k === "#text" && typeof v === "string") out += decodeText(v);
    else return null; // a nested element: not a scalar field
  }
  return out;
}

/** Parses an inbound body; throws WechatXmlError on anything that is not a plain <xml> message. */
export function parseWechatXml(body: string): WechatFields {
  if (typeof body !== "string" || body.trim() === "") throw new WechatXmlError("empty body");
  if (FORBIDDEN.test(body)) throw new WechatXmlError("DOCTYPE or entity declarations are not accepted");
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new WechatXmlError(`malformed XML: ${valid.err.code} at line ${valid.err.line}`);
  let doc: unknown;
  try {
    doc = parser.parse(body);
  } catch (e) {
    throw new WechatXmlError(`unparseable XML: ${(e as Error).message.slice(0, 120)}`);
  }
  const roots = Object.keys(doc as object);
  if (roots.length !== 1 || roots[0] !== "xml") throw new WechatXmlError("the root element must be <xml>");
  const root = (doc as { xml: unknown }).xml;
  if (root === "" || root === null) return Object.freeze({});
  if (typeof root !== "object" || Array.isArray(root)) throw new WechatXmlError("the root element must hold fields");
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, value] of Object.entries(root as Record<string, unknown>)) {
    if (name === CDATA || name === "#text") continue;
    if (Array.isArray(value)) throw new WechatXmlError(`field ${name.slice(0, 40)} appears more than once`);
    const text = textOf(value);
    if (text !== null) fields[name] = text;
  }
  return Object.freeze(fields);
}

/** Wraps text in CDATA, splitting any "]]>" it contains so the section cannot be closed early. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(NOT_XML, "").replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}

/** A passive text reply (被动回复消息). */
export function textReplyXml(o: { toUser: string; fromUser: string; createTime: number; content: string }): string {
  return (
    `<xml><ToUserName>${cdata(o.toUser)}</ToUserName><FromUserName>${cdata(o.fromUser)}</FromUserName>` +
    `<CreateTime>${Math.floor(o.createTime)}</CreateTime><MsgType>${cdata("text")}</MsgType><Content>${cdata(o.content)}</Content></xml>`
  );
}

/** The envelope of an encrypted passive reply. */
export function encryptedReplyXml(o: { encrypt: string; signature: string; timestamp: string; nonce: string }): string {
  return (
    `<xml><Encrypt>${cdata(o.encrypt)}</Encrypt><MsgSignature>${cdata(o.signature)}</MsgSignature>` +
    `<TimeStamp>${o.timestamp}</TimeStamp><Nonce>${cdata(o.nonce)}</Nonce></xml>`
  );
}
