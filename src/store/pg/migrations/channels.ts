import type { Migration } from "../../migrations/types.ts";
import { WECHAT_NONCES_SQL } from "../../migrations/channels.ts";

// Versions 40-49 (mirror of ../../migrations/channels.ts). No store interface covers these
// tables yet (the channel adapters use SQLite directly); the schema is here so both
// databases stand at the same version.
export const PG_CHANNEL_MIGRATIONS: Migration[] = [
  {
    version: 40,
    name: "channels",
    sql: `
      CREATE TABLE channel_groups (
        channel TEXT NOT NULL,
        group_key TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        region TEXT,
        region_source TEXT,
        active BOOLEAN NOT NULL DEFAULT true,
        joined_at TIMESTAMPTZ,
        left_at TIMESTAMPTZ,
        updated_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (channel, group_key)
      );

      CREATE TABLE channel_group_welcomes (
        channel TEXT NOT NULL,
        group_key TEXT NOT NULL,
        member_key TEXT NOT NULL,
        welcomed_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (channel, group_key, member_key)
      );

      CREATE TABLE group_questions (
        id BIGSERIAL PRIMARY KEY,
        channel TEXT NOT NULL,
        group_key TEXT NOT NULL,
        group_name TEXT NOT NULL DEFAULT '',
        region TEXT,
        topic TEXT NOT NULL,
        sensitive BOOLEAN NOT NULL DEFAULT false,
        platform_message_id TEXT NOT NULL,
        asked_at TIMESTAMPTZ NOT NULL,
        UNIQUE (channel, platform_message_id)
      );
      CREATE INDEX group_questions_time ON group_questions (asked_at);

      CREATE TABLE channel_private_routes (
        channel TEXT NOT NULL,
        member_key TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (channel, member_key)
      );

      CREATE TABLE telegram_links (
        telegram_user_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL UNIQUE,
        linked_at TIMESTAMPTZ NOT NULL,
        linked_by TEXT
      );
      CREATE TABLE telegram_link_codes (
        code_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        used_at TIMESTAMPTZ
      );
      CREATE TABLE telegram_referral_posts (
        chat_id TEXT NOT NULL,
        message_id BIGINT NOT NULL,
        referral_id TEXT NOT NULL,
        posted_at TIMESTAMPTZ NOT NULL,
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
    sql: `
      CREATE TABLE wechat_tokens (
        app_id TEXT PRIMARY KEY,
        token TEXT NOT NULL,
        refresh_at BIGINT NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
    `,
  },
  {
    // The nonce cache (see the SQLite migration): shared by every process on the database.
    version: 42,
    name: "wechat_nonces",
    sql: WECHAT_NONCES_SQL,
  },
];
