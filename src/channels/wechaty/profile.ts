// WeChat through Wechaty: about 2,000 bytes a message. In a group, "reply 详细" works only
// when the bot is addressed, so a group answer says so.

import type { ChannelProfile } from "../../conversation/index.ts";

const LIMITS = { maxBytes: 2000 };

export const wechatyProfile: ChannelProfile = {
  name: "wechaty",
  repliesInRequest: false,
  format: LIMITS,
  groupFormat: { ...LIMITS, hints: { detail: "（内容较长，@我并回复“详细”查看全文）", statutes: "@我并回复“法条”看条文原文" } },
};
