// The customer-service message API (客服消息) and the access token it needs. One token is
// shared by every sender: fetched once (single-flight), cached until shortly before it
// expires, and refreshed once when WeChat says it is invalid or expired. WeChat's answers
// are handled by errcode: the 48-hour window (45015) and refused recipients are permanent,
// rate limits and "system busy" are retried with backoff, the rest is retried later.

import type { SharedToken, TokenStore } from "./token-store.ts";
import type { Logger } from "pino";
import { PermanentDeliveryError } from "../dispatcher.ts";

/** WeChat answered with an error code (or an HTTP error, `code` null). */
export class WechatApiError extends Error {
  constructor(
    readonly code: number | null,
    message: string,
    readonly httpStatus: number | null = null,
  ) {
    super(message);
    this.name = "WechatApiError";
  }
}

/** 45015: the resident last wrote more than 48 hours ago; only their next message reopens the window. */
export class WindowClosedError extends PermanentDeliveryError {
  readonly code = 45015;
  constructor() {
    super("wechat 45015: the 48-hour customer-service window has closed");
    this.name = "WindowClosedError";
  }
}

/** The recipient can never get this message (unknown OpenID, unsubscribed, blocked). */
export class RecipientRefusedError extends PermanentDeliveryError {
  constructor(readonly code: number, errmsg: string) {
    super(`wechat ${code}: ${errmsg}`);
    this.name = "RecipientRefusedError";
  }
}

export const ERR = {
  SYSTEM_BUSY: -1,
  INVALID_CREDENTIAL: 40001,
  INVALID_OPENID: 40003,
  INVALID_ACCESS_TOKEN: 40014,
  ACCESS_TOKEN_EXPIRED: 42001,
  REQUIRE_SUBSCRIBE: 43004,
  WINDOW_CLOSED: 45015,
  RESPONSE_COUNT_LIMIT: 45047,
} as const;

const TOKEN_REJECTED = new Set<number>([ERR.INVALID_CREDENTIAL, ERR.INVALID_ACCESS_TOKEN, ERR.ACCESS_TOKEN_EXPIRED]);
const RETRYABLE = new Set<number>([ERR.SYSTEM_BUSY, ERR.RESPONSE_COUNT_LIMIT]);
const RECIPIENT_REFUSED = new Set<number>([ERR.INVALID_OPENID, ERR.REQUIRE_SUBSCRIBE]);

export interface WechatApiOptions {
  apiBase: string;
  appId: string;
  appSecret: string;
  log: Logger;
  retry?: { attempts: number; baseDelayMs: number };
  /** Per HTTP call. */
  timeoutMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
  /** Several processes on one database: the token is shared through it, fetched by one at a time. */
  tokenStore?: TokenStore;
}

type CachedToken = SharedToken;

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * WeChat's customer-service message API, with one shared access token (fetched once, cached,
 * refreshed when WeChat rejects it); the 48-hour window and refusals are permanent errors.
 */
export class WechatApiClient {
  private cached: CachedToken | null = null;
  private fetching: Promise<string> | null = null;
  /** Tokens WeChat refused lately: never taken back from the shared store. */
  private readonly refused: string[] = [];
  private readonly retry: { attempts: number; baseDelayMs: number };
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchFn: typeof fetch;
  private readonly log: Logger;
  /** Calls made to /cgi-bin/token, for tests and metrics. */
  tokenFetches = 0;

  constructor(private readonly o: WechatApiOptions) {
    this.retry = o.retry ?? { attempts: 4, baseDelayMs: 300 };
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? delay;
    this.fetchFn = o.fetch ?? fetch;
    this.log = o.log.child({ module: "wechat_oa_api" });
  }

  /** A valid access token; concurrent callers share one fetch. */
  accessToken(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    this.fetching ??= this.obtainToken().finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }

  private async obtainToken(): Promise<string> {
    const shared = this.o.tokenStore;
    if (!shared) {
      this.cached = await this.fetchToken();
      return this.cached.token;
    }
    const usable = (t: SharedToken | null) => (t && this.now() < t.refreshAt && !this.refused.includes(t.token) ? t : null);
    // Another process may hold a good token already; if not, renew it under the shared lock.
    this.cached = usable(await shared.read(this.o.appId)) ?? (await shared.refresh(this.o.appId, async (stored) => usable(stored) ?? this.fetchToken()));
    return this.cached.token;
  }

  /** Sends one text message to a resident (客服消息). */
  async sendText(openid: string, content: string): Promise<void> {
    await this.withBackoff(() => this.callWithToken("/cgi-bin/message/custom/send", { touser: openid, msgtype: "text", text: { content } }));
  }

  /** Drops the cached token unless someone already replaced it (so N failures cause one refresh). */
  private invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = null;
    if (!this.refused.includes(token)) this.refused.push(token);
    if (this.refused.length > 8) this.refused.shift();
  }

  private async fetchToken(): Promise<CachedToken> {
    this.tokenFetches += 1;
    const url = new URL("/cgi-bin/token", this.o.apiBase);
    url.search = new URLSearchParams({ grant_type: "client_credential", appid: this.o.appId, secret: this.o.appSecret }).toString();
    const body = await this.request(url, { method: "GET" });
    const token = typeof body.access_token === "string" ? body.access_token : null;
    const expiresIn = Number(body.expires_in);
    if (!token || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      const code = typeof body.errcode === "number" ? body.errcode : null;
      // The URL holds the secret: log only the code.
      this.log.error({ errcode: code }, "fetching the access token failed");
      throw new WechatApiError(code, `wechat token: ${code ?? "no token"} ${String(body.errmsg ?? "").slice(0, 100)}`);
    }
    // Renew a little early: WeChat's clock and ours differ, and a send takes time.
    const margin = Math.min(300, expiresIn / 4);
    return { token, refreshAt: this.now() + (expiresIn - margin) * 1000 };
  }

  private async callWithToken(path: string, payload: unknown): Promise<void> {
    let token = await this.accessToken();
    let body = await this.post(path, token, payload);
    if (TOKEN_REJECTED.has(body.errcode as number)) {
      this.log.info({ errcode: body.errcode }, "access token refused; refreshing once");
      this.invalidate(token);
      token = await this.accessToken();
      body = await this.post(path, token, payload);
    }
    throwForCode(body);
  }

  private post(path: string, token: string, payload: unknown): Promise<Record<string, unknown>> {
    const url = new URL(path, this.o.apiBase);
    url.searchParams.set("access_token", token);
    return this.request(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload) });
  }

  private async request(url: URL, init: RequestInit): Promise<Record<string, unknown>> {
    let res: Response;
    try {
      res = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000) });
    } catch (e) {
      throw new WechatApiError(null, `wechat ${url.pathname}: ${(e as Error).name}`);
    }
    if (res.status >= 500) throw new WechatApiError(null, `wechat ${url.pathname}: HTTP ${res.status}`, res.status);
    const text = await res.text();
    try {
      const body = JSON.parse(text) as unknown;
      if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {
      // fall through
    }
    throw new WechatApiError(null, `wechat ${url.pathname}: HTTP ${res.status}, not JSON`, res.status);
  }

  /** Retries WeChat's "busy" and rate-limit answers, network errors and 5xx, doubling the wait. */
  private async withBackoff(call: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (e) {
        if (!isRetryable(e) || attempt >= this.retry.attempts) throw e;
        const wait = this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
        this.log.warn({ attempt, code: (e as WechatApiError).code, http: (e as WechatApiError).httpStatus, waitMs: Math.round(wait) }, "wechat busy; retrying");
        await this.sleep(wait);
      }
    }
  }
}

function isRetryable(e: unknown): boolean {
  if (!(e instanceof WechatApiError)) return false;
  if (e.code === null) return e.httpStatus === null || e.httpStatus >= 500; // network or 5xx
  return RETRYABLE.has(e.code);
}

function throwForCode(body: Record<string, unknown>): void {
  const code = typeof body.errcode === "number" ? body.errcode : 0;
  if (code === 0) return;
  const errmsg = String(body.errmsg ?? "").slice(0, 120);
  if (code === ERR.WINDOW_CLOSED) throw new WindowClosedError();
  if (RECIPIENT_REFUSED.has(code)) throw new RecipientRefusedError(code, errmsg);
  throw new WechatApiError(code, `wechat ${code}: ${errmsg}`);
}
