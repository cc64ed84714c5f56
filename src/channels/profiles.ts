// Every channel's profile, as each channel folder declares it, for the conversation core
// (app.ts hands them over) and the console's test bench.

import type { ChannelName } from "../channel-message.ts";
import type { ChannelProfile } from "../conversation/index.ts";
import { telegramProfile } from "./telegram/profile.ts";
import { cliProfile, evalProfile } from "./terminal/profile.ts";
import { webProfile } from "./web/profile.ts";
import { wechatOaProfile } from "./wechat-oa/profile.ts";
import { wechatyProfile } from "./wechaty/profile.ts";

/**
 * Every channel's profile (name, length limit, whether it replies within the request, how it
 * lays out an answer), as the conversation core is built with.
 */
export const CHANNEL_PROFILES: readonly ChannelProfile[] = [cliProfile, evalProfile, webProfile, wechatOaProfile, wechatyProfile, telegramProfile];

/**
 * The profile of one channel; throws for a name no channel declares.
 *
 * @example
 * ```ts
 * const { format } = profileOf("wechat_oa"); // the limits an answer for the official account must fit
 * ```
 */
export function profileOf(name: ChannelName): ChannelProfile {
  const p = CHANNEL_PROFILES.find((c) => c.name === name);
  if (!p) throw new Error(`no profile for channel ${name}`);
  return p;
}
