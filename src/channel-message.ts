// What a channel hands the conversation core: the channels that exist and one resident's
// message. Plain data shared by the channels, the core, the referral queue and the stores;
// the answering pipeline never sees it (it gets the text, the thread context and a format).

/** The channels lawdesk knows, as stored on threads and outbox rows. */
export type ChannelName = "cli" | "web" | "wechat_oa" | "wechaty" | "telegram" | "eval";

/** A message as a channel hands it over. */
export interface InboundMessage {
  channel: ChannelName;
  /** Conversation key within the channel (an OpenID, a chat id, a group member key). */
  threadKey: string;
  senderKey: string;
  /** The group the message was posted in, when any (township WeChat group, Telegram group). */
  groupKey?: string | null;
  text: string;
  /** The platform's own id, used to process a message at most once. */
  platformMessageId: string;
  receivedAt: Date;
  /** Region id from the directory (township/village), when the channel knows it. */
  region?: string | null;
  /**
   * A message posted in a group: the member's private thread, where the core moves it when
   * the matter is too personal for the group. Unset: it stays in the group thread.
   */
  privateThreadKey?: string | null;
}
