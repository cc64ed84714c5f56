// The web chat: answers go back in the HTTP response; statutes fold out beside the answer.

import type { ChannelProfile } from "../../conversation/index.ts";

export const webProfile: ChannelProfile = {
  name: "web",
  repliesInRequest: true,
  format: { maxChars: 6000, statutes: "folded" },
};
