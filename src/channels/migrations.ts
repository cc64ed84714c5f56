// The chat channels' own tables (versions 40-49, the range the store leaves to them): the
// store knows no platform, so whoever opens it for the channels (app.ts, the tests) hands it
// these to run beside its own. Version 40 holds the group channels' tables (groups/store.ts,
// Wechaty and Telegram alike) and Telegram's (telegram/store.ts) because it shipped as one;
// 41-42 are the official account's (wechat-oa/token-store.ts, nonce-cache.ts). The versions
// and names are those recorded in existing databases: append, never edit one that shipped.

import type { SchemaMigration } from "../store/migrations.ts";

/**
 * The migrations of every chat channel, for `openStore(config, { migrations })`.
 *
 * @example
 * ```ts
 * const store = await openStore(config, { log, migrations: CHANNEL_MIGRATIONS });
 * ```
 */
export const CHANNEL_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 40,
    name: "channels",
    sql: (t) => `
      -- Groups the assistant is (or was) a member of, with the region their referrals route to.
      -- region_source: 'config' (mapping by id or topic), 'admin' (set from the console), NULL (unmapped).
      CREATE TABLE channel_groups (
        channel TEXT NOT NULL,
        group_key TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        region TEXT,
        region_source TEXT,
        active ${t.flag} NOT NULL DEFAULT ${t.true},
        joined_at ${t.ts},
        left_at ${t.ts},
        updated_at ${t.ts} NOT NULL,
        PRIMARY KEY (channel, group_key)
      );

      -- Members already welcomed in a group: a welcome is said once.
      CREATE TABLE channel_group_welcomes (
        channel TEXT NOT NULL,
        group_key TEXT NOT NULL,
        member_key TEXT NOT NULL,
        welcomed_at ${t.ts} NOT NULL,
        PRIMARY KEY (channel, group_key, member_key)
      );

      -- One row per legal question asked in a group (needs analysis 需求研判). No text: only
      -- group, region, topic and time, so nothing personal is kept here.
      CREATE TABLE group_questions (
        id ${t.serial},
        channel TEXT NOT NULL,
        group_key TEXT NOT NULL,
        group_name TEXT NOT NULL DEFAULT '',
        region TEXT,
        topic TEXT NOT NULL,
        sensitive ${t.flag} NOT NULL DEFAULT ${t.false},
        platform_message_id TEXT NOT NULL,
        asked_at ${t.ts} NOT NULL,
        UNIQUE (channel, platform_message_id)
      );
      CREATE INDEX group_questions_time ON group_questions (asked_at);

      -- A group member's case continued in their private chat (a lawyer's reply, a rating
      -- request): their next private messages may belong to that group thread.
      CREATE TABLE channel_private_routes (
        channel TEXT NOT NULL,
        member_key TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        at ${t.ts} NOT NULL,
        PRIMARY KEY (channel, member_key)
      );

      -- Telegram accounts of console users (lawyers), linked by a one-time code or by an admin.
      CREATE TABLE telegram_links (
        telegram_user_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL UNIQUE,
        linked_at ${t.ts} NOT NULL,
        linked_by TEXT
      );
      -- One-time link codes, stored hashed; a code is used once and expires.
      CREATE TABLE telegram_link_codes (
        code_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_at ${t.ts} NOT NULL,
        expires_at ${t.ts} NOT NULL,
        used_at ${t.ts}
      );
      -- Referral posts in the lawyers' group: a reply to one of them is a reply to its referral.
      CREATE TABLE telegram_referral_posts (
        chat_id TEXT NOT NULL,
        message_id ${t.bigint} NOT NULL,
        referral_id TEXT NOT NULL,
        posted_at ${t.ts} NOT NULL,
        PRIMARY KEY (chat_id, message_id)
      );
      CREATE INDEX telegram_referral_posts_referral ON telegram_referral_posts (referral_id);
    `,
  },
  {
    // The official account's access token, shared by every process on the database: WeChat
    // lets a newly fetched token retire the previous one, so processes fetching their own
    // would keep invalidating each other (WeChat's advice: one central token holder).
    version: 41,
    name: "wechat_tokens",
    sql: (t) => `
      CREATE TABLE wechat_tokens (
        app_id TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        refresh_at BIGINT NOT NULL,
        updated_at ${t.ts} NOT NULL
      );
    `,
  },
  {
    // Signed official-account requests seen within the replay window (nonce cache): a signed
    // URL carries its body's digest here, so it cannot be replayed with another body; in the
    // database so every process on it agrees.
    version: 42,
    name: "wechat_nonces",
    sql: () => `
      CREATE TABLE wechat_nonces (
        nonce_key TEXT PRIMARY KEY,
        body_digest TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX wechat_nonces_expiry ON wechat_nonces (expires_at);
    `,
  },
];
