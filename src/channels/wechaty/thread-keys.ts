// Thread keys of the WeChat channel: a private chat is one thread per contact; in a group
// each member has their own thread, so one member's case never mixes with another's.

export type WechatyThread = { kind: "dm"; contactId: string } | { kind: "room"; roomId: string; contactId: string };

export const dmThreadKey = (contactId: string): string => `dm:${contactId}`;
export const roomThreadKey = (roomId: string, contactId: string): string => `room:${roomId}:${contactId}`;

/** Room ids contain no ':' (WeChat: "…@chatroom"); the contact id is everything after the second ':'. */
export function parseThreadKey(key: string): WechatyThread | null {
  if (key.startsWith("dm:")) return key.length > 3 ? { kind: "dm", contactId: key.slice(3) } : null;
  const m = /^room:([^:]+):(.+)$/.exec(key);
  return m ? { kind: "room", roomId: m[1], contactId: m[2] } : null;
}
