// A local stand-in for WeChat, over real HTTP on loopback. As the message platform it signs
// and POSTs XML to the account's /wechat/oa (plain, compatible or safe mode), gives up on a
// request after its deadline and retries like WeChat (3 tries). As the API host it serves
// /cgi-bin/token and /cgi-bin/message/custom/send, with scripted error codes.

import Fastify, { type FastifyInstance } from "fastify";
import WXBizMsgCrypt from "wechat-crypto";
import { msgSignature, urlSignature } from "../../../src/channels/wechat-oa/crypto.ts";
import { cdata, parseWechatXml } from "../../../src/channels/wechat-oa/xml.ts";

export interface Account {
  token: string;
  appId: string;
  appSecret: string;
  aesKey: string;
}

export const ACCOUNT: Account = {
  token: "lawdeskToken2025",
  appId: "wx5f1c3a7e9b2d4c60",
  appSecret: "s3cr3t-for-tests-only",
  aesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
};

export type Mode = "plain" | "compat" | "aes";

export interface PushOptions {
  mode?: Mode;
  /** WeChat waits this long for the reply, then drops the connection. */
  deadlineMs?: number;
  timestamp?: string;
  nonce?: string;
  /** Sign with another token (a forger). */
  signWith?: string;
  /** Encrypt for another AppID. */
  encryptFor?: string;
  /** Raw body instead of one built from fields. */
  rawBody?: string;
  query?: Record<string, string>;
  contentType?: string;
}

export interface PushResult {
  status: number | null;
  body: string;
  /** Gave up before the reply came (WeChat's deadline). */
  timedOut: boolean;
  elapsedMs: number;
  /** The Content of a passive text reply, decrypted when needed; null for "success" and errors. */
  content: string | null;
  /** The reply was encrypted (and its msg_signature checked). */
  encrypted: boolean;
}

export interface CustomMessage {
  touser: string;
  content: string;
  at: number;
}

export function xmlOf(fields: Record<string, string | number>): string {
  const inner = Object.entries(fields)
    .map(([k, v]) => (typeof v === "number" ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v)}</${k}>`))
    .join("");
  return `<xml>${inner}</xml>`;
}

let msgSeq = 7_000_000_000_000_000_000n;
/** A fresh 64-bit MsgId, as a string (beyond Number.MAX_SAFE_INTEGER on purpose). */
export function nextMsgId(): string {
  msgSeq += 1n;
  return msgSeq.toString();
}

export function textMessage(openid: string, content: string, msgId = nextMsgId(), createTime = Math.floor(Date.now() / 1000)): Record<string, string | number> {
  return { ToUserName: "gh_lawdesk", FromUserName: openid, CreateTime: createTime, MsgType: "text", Content: content, MsgId: msgId };
}

export function eventMessage(openid: string, event: string, eventKey?: string, createTime = Math.floor(Date.now() / 1000)): Record<string, string | number> {
  return { ToUserName: "gh_lawdesk", FromUserName: openid, CreateTime: createTime, MsgType: "event", Event: event, ...(eventKey ? { EventKey: eventKey } : {}) };
}

export class FakeWechat {
  readonly api: FastifyInstance;
  apiBase = "";
  readonly messages: CustomMessage[] = [];
  tokenFetches = 0;
  /** Error codes returned by the next custom/send calls, in order (0 = ok). */
  readonly sendScript: number[] = [];
  /** OpenIDs whose 48-hour window has closed: every send to them gets 45015. */
  readonly windowClosed = new Set<string>();
  /** HTTP statuses for the next custom/send calls (before any errcode). */
  readonly httpScript: number[] = [];
  private tokenSeq = 0;
  private validTokens = new Set<string>();
  readonly oracle: WXBizMsgCrypt;

  constructor(
    public target: string,
    readonly account: Account = ACCOUNT,
  ) {
    this.oracle = new WXBizMsgCrypt(account.token, account.aesKey, account.appId);
    this.api = Fastify();
    this.api.get("/cgi-bin/token", async (req) => {
      this.tokenFetches += 1;
      const q = req.query as Record<string, string>;
      if (q.appid !== account.appId || q.secret !== account.appSecret) return { errcode: 40013, errmsg: "invalid appid" };
      const token = `TOKEN_${++this.tokenSeq}`;
      this.validTokens.add(token);
      return { access_token: token, expires_in: 7200 };
    });
    this.api.post("/cgi-bin/message/custom/send", async (req, reply) => {
      const status = this.httpScript.shift();
      if (status && status !== 200) return reply.code(status).send("upstream error");
      const token = (req.query as Record<string, string>).access_token;
      if (!this.validTokens.has(token)) return { errcode: 40001, errmsg: "invalid credential" };
      const scripted = this.sendScript.shift();
      if (scripted === 40001 || scripted === 42001) this.validTokens.delete(token);
      if (scripted) return { errcode: scripted, errmsg: "scripted" };
      const body = req.body as { touser: string; msgtype: string; text: { content: string } };
      if (this.windowClosed.has(body.touser)) return { errcode: 45015, errmsg: "response out of time limit or subscription is canceled" };
      this.messages.push({ touser: body.touser, content: body.text.content, at: Date.now() });
      return { errcode: 0, errmsg: "ok" };
    });
  }

  async start(): Promise<void> {
    this.apiBase = await this.api.listen({ host: "127.0.0.1", port: 0 });
  }

  async stop(): Promise<void> {
    await this.api.close();
  }

  /** Invalidates every token issued so far (as if WeChat rotated it). */
  expireTokens(): void {
    this.validTokens.clear();
  }

  messagesTo(openid: string): CustomMessage[] {
    return this.messages.filter((m) => m.touser === openid);
  }

  /** Signs a GET URL check. */
  async verifyUrl(echostr: string, opts: Pick<PushOptions, "timestamp" | "nonce" | "signWith"> = {}): Promise<{ status: number; body: string }> {
    const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = opts.nonce ?? String(Math.floor(Math.random() * 1e9));
    const signature = urlSignature(opts.signWith ?? this.account.token, timestamp, nonce);
    const res = await fetch(`${this.target}?${new URLSearchParams({ signature, timestamp, nonce, echostr })}`);
    return { status: res.status, body: await res.text() };
  }

  /** Builds the signed request WeChat would send for these fields. */
  request(fields: Record<string, string | number> | null, opts: PushOptions = {}): { url: string; body: string } {
    const mode = opts.mode ?? "plain";
    const token = opts.signWith ?? this.account.token;
    const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
    const nonce = opts.nonce ?? String(Math.floor(Math.random() * 1e9));
    const plainXml = opts.rawBody ?? xmlOf(fields ?? {});
    const query: Record<string, string> = { signature: urlSignature(token, timestamp, nonce), timestamp, nonce, openid: String(fields?.FromUserName ?? "") };
    let body = plainXml;
    if (mode !== "plain") {
      const cipher = opts.encryptFor ? new WXBizMsgCrypt(this.account.token, this.account.aesKey, opts.encryptFor) : this.oracle;
      const encrypt = cipher.encrypt(plainXml);
      query.encrypt_type = "aes";
      query.msg_signature = msgSignature(token, timestamp, nonce, encrypt);
      body =
        mode === "aes"
          ? `<xml><ToUserName>${cdata(String(fields?.ToUserName ?? "gh_lawdesk"))}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt></xml>`
          : plainXml.replace(/<\/xml>$/, `<Encrypt>${cdata(encrypt)}</Encrypt></xml>`);
    }
    Object.assign(query, opts.query);
    return { url: `${this.target}?${new URLSearchParams(query)}`, body };
  }

  /** POSTs a body exactly as given (for published vectors and hostile input). */
  async postRaw(query: Record<string, string>, body: string, contentType = "text/xml"): Promise<PushResult> {
    const t0 = performance.now();
    const res = await fetch(`${this.target}?${new URLSearchParams(query)}`, { method: "POST", headers: { "content-type": contentType }, body });
    const text = await res.text();
    return { status: res.status, body: text, timedOut: false, elapsedMs: performance.now() - t0, ...this.readReply(text) };
  }

  /** One delivery: POSTs and waits at most the deadline (then drops the connection, like WeChat). */
  async push(fields: Record<string, string | number> | null, opts: PushOptions = {}): Promise<PushResult> {
    const { url, body } = this.request(fields, opts);
    const t0 = performance.now();
    const deadline = opts.deadlineMs ?? 5000;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": opts.contentType ?? "text/xml" },
        body,
        signal: AbortSignal.timeout(deadline),
      });
      const text = await res.text();
      return { status: res.status, body: text, timedOut: false, elapsedMs: performance.now() - t0, ...this.readReply(text) };
    } catch (e) {
      if ((e as Error).name !== "TimeoutError") throw e;
      return { status: null, body: "", timedOut: true, elapsedMs: performance.now() - t0, content: null, encrypted: false };
    }
  }

  /**
   * Delivers like WeChat: up to `tries` attempts, each dropped after `deadlineMs`; stops
   * at the first reply that arrives in time. `beforeTry` runs before each attempt.
   */
  async deliver(
    fields: Record<string, string | number>,
    opts: PushOptions & { tries?: number; deadlines?: number[]; beforeTry?: (i: number) => Promise<void> | void } = {},
  ): Promise<PushResult[]> {
    const results: PushResult[] = [];
    const tries = opts.tries ?? 3;
    for (let i = 0; i < tries; i++) {
      await opts.beforeTry?.(i);
      const r = await this.push(fields, { ...opts, deadlineMs: opts.deadlines?.[i] ?? opts.deadlineMs });
      results.push(r);
      if (!r.timedOut) break;
    }
    return results;
  }

  /** Reads a passive reply: decrypts (checking msg_signature) when it is the encrypted envelope. */
  readReply(text: string): { content: string | null; encrypted: boolean } {
    if (!text.startsWith("<xml>")) return { content: null, encrypted: false };
    const outer = parseWechatXml(text);
    if (outer.Encrypt) {
      const expected = msgSignature(this.account.token, outer.TimeStamp, outer.Nonce, outer.Encrypt);
      if (expected !== outer.MsgSignature) throw new Error("reply msg_signature does not verify");
      const { message, id } = this.oracle.decrypt(outer.Encrypt);
      if (id !== this.account.appId) throw new Error(`reply encrypted for ${id}`);
      return { content: parseWechatXml(message).Content ?? null, encrypted: true };
    }
    return { content: outer.Content ?? null, encrypted: false };
  }
}

/** Polls until `check` holds (or fails after `timeoutMs`). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = "condition"): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
