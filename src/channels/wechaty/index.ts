// The township WeChat group channel (Wechaty). The server starts it when WECHATY_PUPPET is set:
//
//   const wechaty = await startWechatyChannel(app);   // null when not configured
//   wechaty?.currentQr();                              // login QR for the console
//   await wechaty?.groupNeeds({ from, to });           // questions per group and topic

import type { App } from "../../app.ts";
import { createWechatyBot, wechatyEnabled } from "./bot.ts";
import { WechatyChannel } from "./channel.ts";

export { createWechatyBot, wechatyEnabled } from "./bot.ts";
export { WechatyChannel, type GroupNeed, type WechatyChannelOptions } from "./channel.ts";
export { GroupRegionMap } from "./group-regions.ts";


/** Builds the bot from settings and starts the channel; null when WECHATY_PUPPET is unset. */
export async function startWechatyChannel(app: App): Promise<WechatyChannel | null> {
  if (!wechatyEnabled(app.config)) return null;
  const channel = new WechatyChannel({ bot: createWechatyBot(app.config), app });
  await channel.start();
  return channel;
}
