import type { SchemaMigration } from "./types.ts";

// Versions 10-19.
export const CONVERSATION_MIGRATIONS: SchemaMigration[] = [
  {
    version: 10,
    name: "conversation",
    sql: (t) => `
      -- One row per conversation (channel + thread key). The context is what the pipeline
      -- needs for follow-ups; owned_by is a person's user id once a lawyer takes the thread.
      CREATE TABLE threads (
        id ${t.serial},
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        sender_key TEXT NOT NULL,
        group_key TEXT,
        region TEXT,
        context ${t.json} NOT NULL,
        owned_by TEXT,
        -- The owner the resident was last told about: one "a lawyer follows up" notice per ownership.
        owner_notice_for TEXT,
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL,
        UNIQUE (channel, thread_key)
      );

      -- Every message a channel handed over, recorded before anything else happens to it.
      -- (channel, platform_message_id) is what makes a platform's retry a no-op.
      CREATE TABLE inbound_messages (
        id ${t.serial},
        channel TEXT NOT NULL,
        platform_message_id TEXT NOT NULL,
        thread_id ${t.bigint} NOT NULL REFERENCES threads(id),
        thread_key TEXT NOT NULL,
        sender_key TEXT NOT NULL,
        group_key TEXT,
        region TEXT,
        text TEXT NOT NULL,
        received_at ${t.ts} NOT NULL,
        status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'done', 'failed')),
        -- Incremented by every claim; also the fencing token a completion must present.
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at ${t.ts},
        result ${t.json},
        -- Why the core answered itself instead of the pipeline: rate_limited | owned_by_person.
        reason TEXT,
        error TEXT,
        processed_at ${t.ts},
        UNIQUE (channel, platform_message_id)
      );
      CREATE INDEX inbound_unfinished ON inbound_messages (id) WHERE status IN ('received', 'processing');
      CREATE INDEX inbound_thread ON inbound_messages (thread_id, id);

      CREATE TABLE thread_messages (
        id ${t.serial},
        thread_id ${t.bigint} NOT NULL REFERENCES threads(id),
        role TEXT NOT NULL CHECK (role IN ('resident', 'bot', 'lawyer', 'system')),
        text TEXT NOT NULL,
        created_at ${t.ts} NOT NULL,
        inbound_id ${t.bigint} REFERENCES inbound_messages(id),
        -- The person who wrote a lawyer message (user id), for ownership and rating.
        author_id TEXT,
        meta ${t.json} NOT NULL DEFAULT ${t.emptyObject}
      );
      CREATE INDEX thread_messages_thread ON thread_messages (thread_id, id);

      -- At most one escalation per inbound message: a retry or a re-run can never add a second.
      CREATE TABLE escalations (
        id ${t.serial},
        thread_id ${t.bigint} NOT NULL REFERENCES threads(id),
        inbound_id ${t.bigint} UNIQUE REFERENCES inbound_messages(id),
        reason TEXT NOT NULL,
        urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
        topic TEXT NOT NULL,
        region TEXT,
        summary TEXT NOT NULL,
        findings ${t.json} NOT NULL,
        status TEXT NOT NULL DEFAULT 'new',
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL
      );
      CREATE INDEX escalations_status ON escalations (status, id);
      CREATE INDEX escalations_thread ON escalations (thread_id);

      -- Replies to deliver. At most one per inbound message (lawyer replies have none), so a
      -- message can never be answered twice.
      CREATE TABLE outbox (
        id ${t.serial},
        thread_id ${t.bigint} NOT NULL REFERENCES threads(id),
        channel TEXT NOT NULL,
        thread_key TEXT NOT NULL,
        group_key TEXT,
        inbound_id ${t.bigint} UNIQUE REFERENCES inbound_messages(id),
        kind TEXT NOT NULL CHECK (kind IN ('answer', 'notice', 'lawyer_reply')),
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'undelivered')),
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_at ${t.ts},
        last_error TEXT,
        created_at ${t.ts} NOT NULL,
        sent_at ${t.ts}
      );
      CREATE INDEX outbox_due ON outbox (channel, id) WHERE status IN ('pending', 'failed');
      CREATE INDEX outbox_thread ON outbox (thread_id);
    `,
  },
  {
    // Recovery looks for lawyers' replies the referral timeline missed (app.ts): by time.
    version: 11,
    name: "thread_messages_lawyer",
    sql: () => `CREATE INDEX thread_messages_lawyer ON thread_messages (created_at) WHERE role = 'lawyer';`,
  },
  {
    // When an answer left in a passive reply (the response to WeChat's own request). Set,
    // with status 'sent', and committed before the reply is written: after a crash the row is
    // not sent again by the customer-service API, and WeChat's re-send of the message gets it.
    version: 12,
    name: "outbox_passive",
    sql: (t) => `ALTER TABLE outbox ADD COLUMN passive_at ${t.ts};`,
  },
];
