// Group chats, for every channel that has them (township WeChat groups through Wechaty,
// Telegram groups): when the assistant is addressed, which matters move to a private chat
// and what the group sees instead, the groups and their question log, and how a member's
// group case continues in their private chat.
//
//   const groups = new GroupStore(app.sql);
//   const routed = await continuedGroupThread(groups, app.conversations, "telegram", memberKey, text);
//   if (await answersInGroup(app.conversations, row)) … post to the group … else … privately …

export {
  addressing,
  assessGroupQuestion,
  forGroup,
  isGroupLegalQuestion,
  isUnaddressedEmergency,
  privateInvitation,
  type Addressing,
  type SensitiveReason,
  type Sensitivity,
} from "./policy.ts";
export { GroupStore, type GroupNeedRow, type GroupQuestion, type GroupRow, type RegionSource } from "./store.ts";
export { answersInGroup, continuedGroupThread, PRIVATE_ORIGIN, type ContinuedThread } from "./threads.ts";
