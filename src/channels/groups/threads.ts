// A group member's case may continue in their private chat: a lawyer's reply or a rating
// request for their group thread is delivered privately. Their next private message belongs
// to that group thread while a lawyer holds it, or when it answers the rating request.
// Shared by every channel with groups (WeChat, Telegram).

import type { ChannelName } from "../../channel-message.ts";
import { parseRating } from "../../referral/rating.ts";
import type { ConversationStore } from "../../store/conversation-store.ts";
import type { GroupStore } from "./store.ts";

/** Prefix of the platform message id of such a private message, so its answer stays private. */
export const PRIVATE_ORIGIN = "dm>";

/** The group thread a member's private message belongs to, with the group and region it came from. */
export interface ContinuedThread {
  threadKey: string;
  groupKey: string | null;
  region: string | null;
}

/**
 * The group thread a member's private message continues, or null when it starts a private
 * conversation: it does while a lawyer holds that thread, or when it answers its rating request.
 *
 * @example
 * ```ts
 * const routed = await continuedGroupThread(groups, app.conversations, "telegram", memberKey, text);
 * if (routed) message = { ...message, threadKey: routed.threadKey, groupKey: routed.groupKey, region: routed.region };
 * ```
 */
export async function continuedGroupThread(
  groups: GroupStore,
  conversations: ConversationStore,
  channel: ChannelName,
  memberKey: string,
  text: string,
): Promise<ContinuedThread | null> {
  const threadKey = await groups.getPrivateRoute(channel, memberKey);
  if (!threadKey) return null;
  const thread = await conversations.findThread(channel, threadKey);
  if (!thread) return null;
  const continues = thread.ownedBy !== null || (thread.context.awaitingRating !== null && parseRating(text) !== null);
  return continues ? { threadKey, groupKey: thread.groupKey, region: thread.region } : null;
}

/** Only the bot's answer to a question asked in the group itself goes back to the group. */
export async function answersInGroup(conversations: ConversationStore, row: { kind: string; inboundId: number | null; groupKey: string | null }): Promise<boolean> {
  if (!row.groupKey || row.kind !== "answer" || row.inboundId === null) return false;
  const inbound = await conversations.getInbound(row.inboundId);
  return !!inbound && !inbound.platformMessageId.startsWith(PRIVATE_ORIGIN);
}
