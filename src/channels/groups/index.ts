// Group chats, for every channel that has them (township WeChat groups through Wechaty,
// Telegram groups): when the assistant is addressed, what the group sees instead of a
// personal matter's answer (the core decides which matters move to a private chat), the
// groups and their question log, and how a member's group case continues privately.
//
//   const groups = new GroupStore(app.sql);
//   const routed = await continuedGroupThread(groups, app.conversations, "telegram", memberKey, text);
//   if (await answersInGroup(app.conversations, row)) … post to the group … else … privately …

export { addressing, forGroup, privateInvitation, type Addressing } from "./policy.ts";
export { GroupStore, type GroupNeedRow, type GroupQuestion, type GroupRow, type RegionSource } from "./store.ts";
export { answersInGroup, continuedGroupThread, PRIVATE_ORIGIN, type ContinuedThread } from "./threads.ts";
