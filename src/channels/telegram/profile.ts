// Telegram: 4,096 characters a message; replies leave through the outbox.

import type { ChannelProfile } from "../../conversation/index.ts";

export const telegramProfile: ChannelProfile = {
  name: "telegram",
  repliesInRequest: false,
  format: { maxChars: 4096 },
};
