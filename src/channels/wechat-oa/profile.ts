// The official account: a text message holds about 2,000 bytes; replies leave through the
// outbox (a passive reply while WeChat waits, else the customer-service API).

import type { ChannelProfile } from "../../conversation/index.ts";

export const wechatOaProfile: ChannelProfile = {
  name: "wechat_oa",
  repliesInRequest: false,
  format: { maxBytes: 2000 },
};
