// The Telegram channel (grammY). The server starts it when TELEGRAM_BOT_TOKEN is set:
//
//   const telegram = await startTelegramChannel(app);      // null when not configured
//   if (telegram?.webhookPath) fastify.post(telegram.webhookPath, telegram.webhookHandler());
//   await telegram?.createLinkCode(userId);                 // console: "/link CODE" for a lawyer

import type { App } from "../../app.ts";
import { TelegramChannel, telegramEnabled } from "./channel.ts";

export { TelegramChannel, telegramEnabled, webhookSecret, type TelegramChannelOptions } from "./channel.ts";
export { addressedText } from "./updates.ts";
export { escapeHtml, toHtmlMessages } from "./format.ts";
export { LawyerDesk } from "./lawyers.ts";
export { retryAfterFloodLimit, type RetryOptions } from "./retry.ts";
export { TelegramStore } from "./store.ts";

/** Builds the bot from settings and starts it (polling or webhook); null when TELEGRAM_BOT_TOKEN is unset. */
export async function startTelegramChannel(app: App): Promise<TelegramChannel | null> {
  if (!telegramEnabled(app.config)) return null;
  const channel = new TelegramChannel({ app });
  await channel.start();
  return channel;
}
