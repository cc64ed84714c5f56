import type { Migration } from "../../migrations/types.ts";

// Versions 10-19 (mirror of ../../migrations/conversation.ts). Timestamps are TIMESTAMPTZ
// (the store returns them as ISO strings), JSON columns JSONB, ids BIGINT identities.
export const PG_CONVERSATION_MIGRATIONS: Migration[] = [
  {
    version: 10,
    name: "conversation",
    sql: `
      CREATE TABLE threads (
        id BIGSERIAL PRIMARY KEY,
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        sender_key TEXT NOT NULL,
        group_key TEXT,
        region TEXT,
        context JSONB NOT NULL,
        owned_by TEXT,
        owner_notice_for TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        UNIQUE (channel, thread_key)
      );

      CREATE TABLE inbound_messages (
        id BIGSERIAL PRIMARY KEY,
        channel TEXT NOT NULL,
        platform_message_id TEXT NOT NULL,
        thread_id BIGINT NOT NULL REFERENCES threads(id),
        thread_key TEXT NOT NULL,
        sender_key TEXT NOT NULL,
        group_key TEXT,
        region TEXT,
        text TEXT NOT NULL,
        received_at TIMESTAMPTZ NOT NULL,
        status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'done', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at TIMESTAMPTZ,
        result JSONB,
        reason TEXT,
        error TEXT,
        processed_at TIMESTAMPTZ,
        UNIQUE (channel, platform_message_id)
      );
      CREATE INDEX inbound_unfinished ON inbound_messages (id) WHERE status IN ('received', 'processing');
      CREATE INDEX inbound_thread ON inbound_messages (thread_id, id);

      CREATE TABLE thread_messages (
        id BIGSERIAL PRIMARY KEY,
        thread_id BIGINT NOT NULL REFERENCES threads(id),
        role TEXT NOT NULL CHECK (role IN ('resident', 'bot', 'lawyer', 'system')),
        text TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        inbound_id BIGINT REFERENCES inbound_messages(id),
        author_id TEXT,
        meta JSONB NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE INDEX thread_messages_thread ON thread_messages (thread_id, id);

      CREATE TABLE escalations (
        id BIGSERIAL PRIMARY KEY,
        thread_id BIGINT NOT NULL REFERENCES threads(id),
        inbound_id BIGINT UNIQUE REFERENCES inbound_messages(id),
        reason TEXT NOT NULL,
        urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
        topic TEXT NOT NULL,
        region TEXT,
        summary TEXT NOT NULL,
        findings JSONB NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX escalations_status ON escalations (status, id);
      CREATE INDEX escalations_thread ON escalations (thread_id);

      CREATE TABLE outbox (
        id BIGSERIAL PRIMARY KEY,
        thread_id BIGINT NOT NULL REFERENCES threads(id),
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        group_key TEXT,
        inbound_id BIGINT UNIQUE REFERENCES inbound_messages(id),
        kind TEXT NOT NULL CHECK (kind IN ('answer', 'notice', 'lawyer_reply')),
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'undelivered')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at TIMESTAMPTZ,
        last_error TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        sent_at TIMESTAMPTZ
      );
      CREATE INDEX outbox_due ON outbox (channel, id) WHERE status IN ('pending', 'failed');
      CREATE INDEX outbox_thread ON outbox (thread_id);
    `,
  },
  {
    // Recovery looks for lawyers' replies the referral timeline missed (app.ts): by time.
    version: 11,
    name: "thread_messages_lawyer",
    sql: `CREATE INDEX thread_messages_lawyer ON thread_messages (created_at) WHERE role = 'lawyer';`,
  },
  {
    // When an answer left in a passive reply; committed before the reply is written (see SQLite).
    version: 12,
    name: "outbox_passive",
    sql: `ALTER TABLE outbox ADD COLUMN passive_at TIMESTAMPTZ;`,
  },
];
