// Telegram's own records: which Telegram account belongs to which console user (lawyer),
// the one-time codes that link them, and which lawyers'-group post shows which referral.
// Runs on SQLite or PostgreSQL through SqlDb.

import { createHash, randomInt } from "node:crypto";
import type { TelegramLink, TelegramLinkList } from "../../channel-admin.ts";
import { sqlValue, type SqlDb } from "../../store/sql.ts";

const hash = (code: string) => createHash("sha256").update(code).digest("hex");

/**
 * Telegram's own records: which Telegram account is which console user, the one-time link
 * codes, and which lawyers'-group post shows which referral.
 */
export class TelegramStore implements TelegramLinkList {
  constructor(private readonly sql: SqlDb) {}

  async listLinks(): Promise<TelegramLink[]> {
    const rows = await this.sql.all<{ user_id: unknown; telegram_user_id: unknown; linked_at: unknown }>(
      "SELECT user_id, telegram_user_id, linked_at FROM telegram_links ORDER BY linked_at DESC",
    );
    return rows.map((r) => ({ userId: String(r.user_id), telegramUserId: String(r.telegram_user_id), linkedAt: sqlValue.iso(r.linked_at) ?? "" }));
  }

  /** The console user linked to a Telegram account, or null. */
  async userFor(telegramUserId: number | string): Promise<string | null> {
    const r = await this.sql.get<{ user_id: string }>("SELECT user_id FROM telegram_links WHERE telegram_user_id = ?", [String(telegramUserId)]);
    return r?.user_id ?? null;
  }

  async telegramFor(userId: string): Promise<string | null> {
    const r = await this.sql.get<{ telegram_user_id: string }>("SELECT telegram_user_id FROM telegram_links WHERE user_id = ?", [userId]);
    return r?.telegram_user_id ?? null;
  }

  /** Links an account; either side's previous link is replaced (one Telegram account per user). */
  async link(telegramUserId: number | string, userId: string, linkedBy: string | null, now: Date): Promise<void> {
    await this.sql.transaction(async (tx) => {
      // Two links at once (two processes) would both delete nothing, then collide on insert.
      await tx.lock("telegram_links");
      await tx.run("DELETE FROM telegram_links WHERE telegram_user_id = ? OR user_id = ?", [String(telegramUserId), userId]);
      await tx.run("INSERT INTO telegram_links (telegram_user_id, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?)", [
        String(telegramUserId),
        userId,
        now.toISOString(),
        linkedBy,
      ]);
    });
  }

  async unlink(userId: string): Promise<boolean> {
    return (await this.sql.run("DELETE FROM telegram_links WHERE user_id = ?", [userId])).changes > 0;
  }

  /** A fresh 8-digit code for a user; earlier unused codes of the user stop working. */
  async createCode(userId: string, now: Date, ttlMs: number): Promise<{ code: string; expiresAt: Date }> {
    const code = String(randomInt(10_000_000, 100_000_000));
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.sql.transaction(async (tx) => {
      await tx.run("DELETE FROM telegram_link_codes WHERE user_id = ? AND used_at IS NULL", [userId]);
      await tx.run("INSERT INTO telegram_link_codes (code_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)", [
        hash(code),
        userId,
        now.toISOString(),
        expiresAt.toISOString(),
      ]);
    });
    return { code, expiresAt };
  }

  /**
   * Spends a code: the user it was made for, or null when unknown, used or expired. One
   * conditional UPDATE, so of two concurrent redeemers exactly one gets the user (PostgreSQL
   * re-checks `used_at IS NULL` after the first commits).
   */
  async useCode(code: string, now: Date): Promise<string | null> {
    const at = now.toISOString();
    const r = await this.sql.get<{ user_id: string }>(
      "UPDATE telegram_link_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id",
      [at, hash(code.trim()), at],
    );
    return r?.user_id ?? null;
  }

  async recordPost(chatId: number | string, messageId: number, referralId: string, now: Date): Promise<void> {
    await this.sql.run("INSERT INTO telegram_referral_posts (chat_id, message_id, referral_id, posted_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", [
      String(chatId),
      messageId,
      referralId,
      now.toISOString(),
    ]);
  }

  async referralForPost(chatId: number | string, messageId: number): Promise<string | null> {
    const r = await this.sql.get<{ referral_id: string }>("SELECT referral_id FROM telegram_referral_posts WHERE chat_id = ? AND message_id = ?", [
      String(chatId),
      messageId,
    ]);
    return r?.referral_id ?? null;
  }

  /** Message ids of a referral's posts in a chat, oldest first. */
  async postsFor(referralId: string, chatId: number | string): Promise<number[]> {
    const rows = await this.sql.all<{ message_id: unknown }>(
      "SELECT message_id FROM telegram_referral_posts WHERE referral_id = ? AND chat_id = ? ORDER BY posted_at, message_id",
      [referralId, String(chatId)],
    );
    // BIGINT arrives as a string from PostgreSQL.
    return rows.map((r) => sqlValue.num(r.message_id));
  }
}
