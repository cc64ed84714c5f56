// The official-account channel's parts, assembled over a running lawdesk app: the cipher,
// the customer-service API client, the passive-reply board and the delivery that the outbox
// dispatcher uses for this channel (so lawyers' replies take the same path).

import type { SqlDb } from "../../store/sql.ts";
import { SqlTokenStore } from "./token-store.ts";
import type { Logger } from "pino";
import type { ConversationCore } from "../../conversation/index.ts";
import type { OutboxDispatcher } from "../dispatcher.ts";
import { WechatApiClient } from "./api.ts";
import { WechatCipher } from "./crypto.ts";
import { WechatOaDelivery, type DeliveryStore } from "./delivery.ts";
import type { MenuLookup } from "./message.ts";
import { MemoryNonceCache, SqlNonceCache, type NonceCache } from "./nonce-cache.ts";
import { PassiveReplies } from "./passive.ts";
import type { WechatOaSettings } from "./settings.ts";

/** What the channel needs of the app (createApp's App satisfies it). */
export interface WechatOaApp {
  core: Pick<ConversationCore, "accept">;
  conversations: DeliveryStore;
  dispatcher: Pick<OutboxDispatcher, "register">;
  log: Logger;
  knowledge?: { allGuides(): readonly { id: string; title: string }[] };
  referrals?: { recordDelivery(outboxId: string, status: "sent", detail?: Record<string, unknown>): Promise<unknown> };
  /** The database, when the access token is to be shared with other processes. */
  sql?: SqlDb;
}

/** The official-account channel's parts over one app: cipher, API client, passive replies and delivery. */
export interface WechatOaChannel {
  settings: WechatOaSettings;
  app: WechatOaApp;
  log: Logger;
  cipher: WechatCipher | null;
  api: WechatApiClient | null;
  passive: PassiveReplies;
  delivery: WechatOaDelivery;
  menu: MenuLookup;
  /** Signed requests seen within the replay window (in the database when there is one). */
  nonces: NonceCache;
  /** Epoch milliseconds (the replay window is checked against it). */
  now: () => number;
}

export interface CreateChannelOptions {
  fetch?: typeof fetch;
  now?: () => number;
  /** Register the delivery on app.dispatcher (default true). */
  registerSender?: boolean;
}

/**
 * Builds the official-account channel over an app and registers its delivery as the outbox sender
 * for `wechat_oa` (unless `registerSender` is false).
 */
export function createWechatOaChannel(app: WechatOaApp, settings: WechatOaSettings, opts: CreateChannelOptions = {}): WechatOaChannel {
  const log = app.log.child({ channel: "wechat_oa" });
  const now = opts.now ?? Date.now;
  const cipher = settings.aesKey && settings.appId ? new WechatCipher(settings.aesKey, settings.appId) : null;
  const api =
    settings.appId && settings.appSecret
      ? new WechatApiClient({
          apiBase: settings.apiBase,
          appId: settings.appId,
          appSecret: settings.appSecret,
          log,
          retry: settings.retry,
          now,
          fetch: opts.fetch,
          // Several processes (PostgreSQL): one shared token instead of one per process.
          tokenStore: app.sql?.dialect.name === "postgres" ? new SqlTokenStore(app.sql) : undefined,
        })
      : null;
  if (!api) log.warn("WECHAT_OA_APPID/WECHAT_OA_APPSECRET not set: only passive replies; slow answers and lawyers' replies cannot be delivered");
  const passive = new PassiveReplies();
  const delivery = new WechatOaDelivery({
    store: app.conversations,
    passive,
    api,
    log,
    onLateDelivery: (row) => {
      if (row.kind === "lawyer_reply") void app.referrals?.recordDelivery(String(row.id), "sent", { late: true }).catch(() => undefined);
    },
  });
  if (opts.registerSender !== false) app.dispatcher.register(delivery);
  const guideTitle = (id: string) => app.knowledge?.allGuides().find((g) => g.id === id)?.title ?? null;
  const nonces = app.sql ? new SqlNonceCache(app.sql) : new MemoryNonceCache();
  return { settings, app, log, cipher, api, passive, delivery, menu: { menu: settings.menu, guideTitle }, nonces, now };
}
