// Telegram: 4,096 characters a message; replies leave through the outbox. An answer's offers
// of more (【详细】, 【法条】) are inline buttons under it rather than words in the text.

import { renderWithButtons, type ChannelProfile } from "../../conversation/index.ts";

export const telegramProfile: ChannelProfile = {
  name: "telegram",
  repliesInRequest: false,
  format: { maxChars: 4096 },
  render: renderWithButtons,
};
