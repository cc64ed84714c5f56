// The WeChat official account (公众号) channel. See plugin.ts for how a server mounts it.

export { wechatOaPlugin, checkSignature, type WechatOaPluginOptions, type ReplyEvent } from "./plugin.ts";
export { createWechatOaChannel, type WechatOaApp, type WechatOaChannel } from "./channel.ts";
export { wechatOaSettings, wechatOaSettingsFrom, WECHAT_OA_DEFAULTS, type WechatOaSettings } from "./settings.ts";
export { WechatApiClient, WechatApiError, WindowClosedError, RecipientRefusedError } from "./api.ts";
export { WechatCipher, urlSignature, msgSignature, WechatCryptoError } from "./crypto.ts";
export { WechatOaDelivery } from "./delivery.ts";
export { DEFAULT_MENU, type MenuAction } from "./menu.ts";
