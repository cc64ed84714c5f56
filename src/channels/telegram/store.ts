// Telegram's own records: which Telegram account belongs to which console user (lawyer),
// the one-time codes that link them, and which lawyers'-group post shows which referral.

import { createHash, randomInt } from "node:crypto";
import type { SqliteDb } from "../../store/sqlite.ts";

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

export class TelegramStore {
  constructor(private readonly db: SqliteDb) {}

  /** The console user linked to a Telegram account, or null. */
  userFor(telegramUserId: number | string): string | null {
    const r = this.db.prepare("SELECT user_id FROM telegram_links WHERE telegram_user_id = ?").get(String(telegramUserId)) as { user_id: string } | undefined;
    return r?.user_id ?? null;
  }

  telegramFor(userId: string): string | null {
    const r = this.db.prepare("SELECT telegram_user_id FROM telegram_links WHERE user_id = ?").get(userId) as { telegram_user_id: string } | undefined;
    return r?.telegram_user_id ?? null;
  }

  /** Links an account; either side's previous link is replaced (one Telegram account per user). */
  link(telegramUserId: number | string, userId: string, linkedBy: string | null, now: Date): void {
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM telegram_links WHERE telegram_user_id = ? OR user_id = ?").run(String(telegramUserId), userId);
      this.db
        .prepare("INSERT INTO telegram_links (telegram_user_id, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?)")
        .run(String(telegramUserId), userId, now.toISOString(), linkedBy);
    })();
  }

  unlink(userId: string): boolean {
    return this.db.prepare("DELETE FROM telegram_links WHERE user_id = ?").run(userId).changes > 0;
  }

  /** A fresh 8-digit code for a user; earlier unused codes of the user stop working. */
  createCode(userId: string, now: Date, ttlMs: number): { code: string; expiresAt: Date } {
    const code = String(randomInt(10_000_000, 100_000_000));
    const expiresAt = new Date(now.getTime() + ttlMs);
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM telegram_link_codes WHERE user_id = ? AND used_at IS NULL").run(userId);
      this.db
        .prepare("INSERT INTO telegram_link_codes (code_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .run(hash(code), userId, now.toISOString(), expiresAt.toISOString());
    })();
    return { code, expiresAt };
  }

  /** Spends a code: the user it was made for, or null when unknown, used or expired. */
  useCode(code: string, now: Date): string | null {
    const at = now.toISOString();
    const r = this.db
      .prepare("UPDATE telegram_link_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id")
      .get(at, hash(code.trim()), at) as { user_id: string } | undefined;
    return r?.user_id ?? null;
  }

  recordPost(chatId: number | string, messageId: number, referralId: string, now: Date): void {
    this.db
      .prepare("INSERT INTO telegram_referral_posts (chat_id, message_id, referral_id, posted_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(String(chatId), messageId, referralId, now.toISOString());
  }

  referralForPost(chatId: number | string, messageId: number): string | null {
    const r = this.db.prepare("SELECT referral_id FROM telegram_referral_posts WHERE chat_id = ? AND message_id = ?").get(String(chatId), messageId) as
      | { referral_id: string }
      | undefined;
    return r?.referral_id ?? null;
  }

  /** Message ids of a referral's posts in a chat, oldest first. */
  postsFor(referralId: string, chatId: number | string): number[] {
    return (
      this.db.prepare("SELECT message_id FROM telegram_referral_posts WHERE referral_id = ? AND chat_id = ? ORDER BY posted_at, message_id").all(referralId, String(chatId)) as {
        message_id: number;
      }[]
    ).map((r) => r.message_id);
  }
}
