// WeChat as the platform, in front of a real `lawdesk serve` child: residents whose messages
// WeChat POSTs (signed, safe mode) to /wechat/oa and re-sends with the same MsgId when a try
// gets no answer in time (up to 3 tries, like WeChat), and the customer-service API host
// (FakeWechat) counting what the server sends that way. Every answer the resident sees —
// a passive reply or a customer-service message — is booked against the MsgId it answers.
//
// A try that finds the server down (connection refused, during a restart) is retried after a
// short pause without counting: WeChat's tries are seconds apart and a restart is quick, so
// this stands for "the next try reaches the restarted server".

import { ACCOUNT, FakeWechat, textMessage, sleep, type CustomMessage } from "../channels/wechat-oa/fake-wechat.ts";

/** A `lawdesk serve` child's settings for the test account, its API host the fake's. */
export function officialAccountEnv(wechat: FakeWechat): Record<string, string> {
  return {
    WECHAT_OA_TOKEN: ACCOUNT.token,
    WECHAT_OA_APPID: ACCOUNT.appId,
    WECHAT_OA_APPSECRET: ACCOUNT.appSecret,
    WECHAT_OA_AES_KEY: ACCOUNT.aesKey,
    WECHAT_API_BASE: wechat.apiBase,
  };
}

export interface PlatformOptions {
  /** WeChat drops a try after this long (5 s in production, scaled down with the reply budget). */
  deadlineMs: number;
  /** Share of messages whose first try is dropped early (a lost response): a re-send follows. */
  earlyDropShare: number;
  /** Called on the arrival of every reply (passive: carries the answer), before its body is read (the kill switch). */
  onReply?: (passive: boolean) => void;
}

export interface Booked {
  msgId: string;
  openid: string;
  marker: string;
  /** Passive reply contents received for this MsgId. */
  passive: string[];
  /** HTTP tries WeChat made (refused connections not counted). */
  tries: number;
  /** All tries used without any HTTP answer. */
  exhausted: boolean;
}

const MAX_TRIES = 3;
/** How long WeChat keeps finding the server down before the test gives up on it. */
const PATIENCE_MS = 180_000;

/** A fresh marker per message, letters only (digits would be masked as personal numbers). */
export function markerOf(i: number): string {
  let s = "";
  for (let n = i + 26 * 26; n > 0; n = Math.floor(n / 26)) s = String.fromCharCode(97 + (n % 26)) + s;
  return `wxq${s}`;
}
export const MARKER = /wxq[a-z]+/g;

export class WechatPlatform {
  readonly booked = new Map<string, Booked>();

  constructor(
    readonly wechat: FakeWechat,
    private readonly o: PlatformOptions,
  ) {}

  /** The server's address changes on restart. */
  set target(url: string) {
    this.wechat.target = url;
  }

  /** Delivers one message like WeChat and books the passive answer, if any. */
  async deliver(openid: string, text: string, marker: string, msgId: string): Promise<Booked> {
    const b: Booked = { msgId, openid, marker, passive: [], tries: 0, exhausted: false };
    this.booked.set(msgId, b);
    const earlyDrop = Math.random() < this.o.earlyDropShare;
    const t0 = Date.now();
    while (b.tries < MAX_TRIES) {
      // WeChat re-sends the same message (same MsgId, same signed request).
      const { url, body } = this.wechat.request(textMessage(openid, text, msgId), { mode: "aes" });
      const deadline = earlyDrop && b.tries === 0 ? 200 : this.o.deadlineMs;
      try {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "text/xml" }, body, signal: AbortSignal.timeout(deadline) });
        this.o.onReply?.((res.headers.get("content-type") ?? "").includes("xml"));
        const reply = await res.text();
        b.tries += 1;
        if (res.status >= 500) continue;
        if (res.status !== 200) throw new Error(`${msgId}: HTTP ${res.status} ${reply}`);
        const { content } = this.wechat.readReply(reply);
        if (content !== null) b.passive.push(content);
        return b;
      } catch (e) {
        if (refused(e)) {
          if (Date.now() - t0 > PATIENCE_MS) throw new Error(`${msgId}: server down for ${PATIENCE_MS} ms`);
          await sleep(100);
          continue;
        }
        if (!dropped(e)) throw e;
        b.tries += 1; // timed out, or the connection died with the server: WeChat tries again
      }
    }
    b.exhausted = true;
    return b;
  }

  /**
   * Every answer the resident of `msgId` saw: passive replies, and customer-service messages
   * with its marker or with none (an answer composed without the model: a template, a
   * hand-over notice), which belong to it when the resident sent only this one message.
   */
  answersTo(b: Booked): string[] {
    return [...b.passive, ...this.customerServiceTo(b).map((m) => m.content)];
  }

  /** The customer-service messages that answer `b` (with when WeChat received each), oldest first. */
  customerServiceTo(b: Booked): CustomMessage[] {
    return this.wechat.messagesTo(b.openid).filter((m) => {
      const markers = m.content.match(MARKER);
      return markers === null || markers.includes(b.marker);
    });
  }
}

const causeCode = (e: unknown): string => String((e as { cause?: { code?: string } }).cause?.code ?? "");

function refused(e: unknown): boolean {
  return causeCode(e) === "ECONNREFUSED";
}

function dropped(e: unknown): boolean {
  const name = (e as Error).name;
  if (name === "TimeoutError" || name === "AbortError") return true;
  // The server died mid-request: reset, closed socket, or the body cut short.
  const code = causeCode(e);
  return e instanceof TypeError || ["ECONNRESET", "UND_ERR_SOCKET", "EPIPE"].includes(code);
}
