// Thread keys of the Telegram channel: a private chat is one thread (its chat id is the
// user's id); in a group each member has their own thread.

export type TelegramThread = { kind: "chat"; chatId: number } | { kind: "group"; chatId: number; userId: number };

export const chatThreadKey = (chatId: number): string => `chat:${chatId}`;
export const groupThreadKey = (chatId: number, userId: number): string => `group:${chatId}:${userId}`;

export function parseTelegramThreadKey(key: string): TelegramThread | null {
  let m = /^chat:(-?\d+)$/.exec(key);
  if (m) return { kind: "chat", chatId: Number(m[1]) };
  m = /^group:(-?\d+):(\d+)$/.exec(key);
  return m ? { kind: "group", chatId: Number(m[1]), userId: Number(m[2]) } : null;
}
