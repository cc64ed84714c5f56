// The official-account channel's settings, read from the validated configuration.

import { ConfigError, type Config } from "../../config.ts";
import type { MenuAction } from "./menu.ts";

/** The official account's configuration: server token, AppID, secret, message encryption key, menu and limits. */
export interface WechatOaSettings {
  /** The Token set in the official account's server configuration (服务器配置). */
  token: string;
  /** AppID: checked inside every encrypted message, and used for the access token. */
  appId: string | null;
  appSecret: string | null;
  /** EncodingAESKey (43 characters): enables the compatible and safe modes. */
  aesKey: string | null;
  /** WeChat's API host (tests point it at a local server). */
  apiBase: string;
  /** A passive reply waits this long for the answer, counted from the request's arrival. */
  replyBudgetMs: number;
  /** Requests whose timestamp is further than this from our clock are refused (replay). */
  replayWindowSeconds: number;
  /** Larger bodies are refused before parsing (WeChat's messages are a few KB at most). */
  maxBodyBytes: number;
  /** Where the routes are mounted. */
  path: string;
  /** Menu keys besides the defaults (HUMAN, LEGAL_AID, GUIDE_<guide id>, …). */
  menu: Record<string, MenuAction>;
  /** Backoff for WeChat's rate-limit and busy answers. */
  retry: { attempts: number; baseDelayMs: number };
}

/** Defaults for the official account's settings: API host, passive-reply budget, replay window, body limit, path, retries. */
export const WECHAT_OA_DEFAULTS = {
  apiBase: "https://api.weixin.qq.com",
  replyBudgetMs: 4500,
  replayWindowSeconds: 300,
  maxBodyBytes: 64 * 1024,
  path: "/wechat/oa",
  retry: { attempts: 4, baseDelayMs: 300 },
} as const;

/** Fills the defaults and checks the combinations a single field's validation cannot. */
export function wechatOaSettings(s: Partial<WechatOaSettings> & { token: string }): WechatOaSettings {
  const settings: WechatOaSettings = {
    appId: null,
    appSecret: null,
    aesKey: null,
    menu: {},
    ...WECHAT_OA_DEFAULTS,
    ...s,
    retry: { ...WECHAT_OA_DEFAULTS.retry, ...s.retry },
  };
  if (settings.aesKey && !settings.appId) throw new ConfigError("WECHAT_OA_APPID: required when WECHAT_OA_AES_KEY is set (the AppID inside each encrypted message is checked)");
  if (settings.appSecret && !settings.appId) throw new ConfigError("WECHAT_OA_APPID: required when WECHAT_OA_APPSECRET is set");
  if (settings.aesKey && !/^[A-Za-z0-9]{43}$/.test(settings.aesKey)) throw new ConfigError("WECHAT_OA_AES_KEY: must be exactly 43 letters and digits");
  return settings;
}

/** The channel's settings when WECHAT_OA_TOKEN is set, else null (the channel is off). */
export function wechatOaSettingsFrom(config: Config): WechatOaSettings | null {
  if (!config.WECHAT_OA_TOKEN) return null;
  return wechatOaSettings({
    token: config.WECHAT_OA_TOKEN,
    appId: config.WECHAT_OA_APPID ?? null,
    appSecret: config.WECHAT_OA_APPSECRET ?? null,
    aesKey: config.WECHAT_OA_AES_KEY ?? null,
    apiBase: config.WECHAT_API_BASE,
    replyBudgetMs: config.WECHAT_OA_REPLY_BUDGET_MS,
  });
}
