// What the console's channels page (渠道) may ask of a running chat-app channel: the group
// bot's login QR, status and groups, and lawyers' account links. Declared here, outside the
// channels, so the server and the console reach a channel through this port and never
// import its implementation; the channels implement it and commands/serve.ts wires them in.

import type { GroupNeedRow, GroupRow } from "./channels/groups/index.ts";

/** A login QR an administrator scans to sign the group bot in. */
export interface LoginQr {
  /** The raw QR payload (draw it with any QR library). */
  qrcode: string;
  /** A public page that renders the code, for a console without a QR library. */
  imageUrl: string;
  status: "waiting" | "scanned" | "confirmed" | "timeout" | "cancel" | "unknown";
  at: string;
}

export interface GroupBotStatus {
  loggedIn: boolean;
  /** The account's display name once logged in. */
  account: string | null;
  /** Groups the bot is in now. */
  groups: number;
}

/** A bot that sits in residents' groups (township WeChat groups): sign-in, groups and their regions. */
export interface GroupBotAdmin {
  /** The login QR while an administrator must scan it; null once logged in. */
  currentQr(): LoginQr | null;
  status(): Promise<GroupBotStatus>;
  listGroups(): Promise<GroupRow[]>;
  /** Maps a group to a region (null: back to the configured mapping); null when the group is unknown. */
  setGroupRegion(groupKey: string, region: string | null): Promise<GroupRow | null>;
  /** Legal questions per group and topic over [from, to), for the dashboard. */
  groupNeeds(range: { from: Date; to: Date }): Promise<GroupNeedRow[]>;
}

/** A channel lawyers link their own accounts to (Telegram), to take referrals there. */
export interface LawyerLinkAdmin {
  /** A one-time code the lawyer sends to the bot. */
  createLinkCode(userId: string): Promise<{ code: string; expiresAt: Date }>;
  linkByAdmin(adminId: string, userId: string, platformUserId: number): Promise<void>;
  /** False when the user had no link. */
  unlink(userId: string): Promise<boolean>;
}

/** A lawyer's Telegram account link, as the Telegram channel stored it. */
export interface TelegramLink {
  userId: string;
  telegramUserId: string;
  /** ISO time. */
  linkedAt: string;
}

/**
 * The stored Telegram links, readable whether or not the bot runs now: a lawyer linked last
 * month stays linked while the bot is switched off, and the channels page says so.
 */
export interface TelegramLinkList {
  /** Every link, newest first. */
  listLinks(): Promise<TelegramLink[]>;
}

/** The running channels the console administers; null when a channel is not configured. */
export interface ChannelAdmin {
  /** The township WeChat groups bot (Wechaty). */
  wechaty: GroupBotAdmin | null;
  /** The Telegram bot lawyers link their accounts to. */
  telegram: LawyerLinkAdmin | null;
}
