import type { Migration } from "./types.ts";

// Versions 20-29.
// Console users, their sessions, the duty rota, referrals (工单) with their event timeline,
// deadline notices, ratings, saved replies and the append-only audit log.
// Thread ids point into the conversation tables but carry no foreign key: the two
// concerns migrate independently and the referral side must not block a thread purge.
export const REFERRAL_MIGRATIONS: Migration[] = [
  {
    version: 20,
    name: "referral",
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('lawyer', 'supervisor', 'admin')),
        regions TEXT NOT NULL DEFAULT '[]',
        topics TEXT NOT NULL DEFAULT '[]',
        phone TEXT,
        active INTEGER NOT NULL DEFAULT 1,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TEXT,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      -- Only a SHA-256 of the session token is stored: a copy of the database cannot log in.
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        csrf_token TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        revoked_at TEXT,
        ip TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE rota_entries (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users(id),
        regions TEXT NOT NULL,
        topics TEXT NOT NULL DEFAULT '[]',
        -- [{ "day": 1-7 (Mon-Sun), "start": "HH:MM", "end": "HH:MM" }] in Asia/Shanghai time.
        schedule TEXT NOT NULL DEFAULT '[]',
        dates_off TEXT NOT NULL DEFAULT '[]',
        -- [{ "date": "YYYY-MM-DD", "start": "HH:MM", "end": "HH:MM" }]
        dates_on TEXT NOT NULL DEFAULT '[]',
        note TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX rota_entries_user ON rota_entries (user_id);

      -- Per-year sequence behind the referral numbers (2026-000123).
      CREATE TABLE referral_sequences (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);

      CREATE TABLE referrals (
        id TEXT PRIMARY KEY,
        number TEXT NOT NULL UNIQUE,
        -- The conversation core's escalation id: creating twice from one escalation is a no-op.
        escalation_id TEXT UNIQUE,
        thread_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        resident_key TEXT NOT NULL,
        region TEXT,
        topic TEXT NOT NULL,
        urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
        reason TEXT NOT NULL,
        summary TEXT NOT NULL,
        findings TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'replied', 'closed', 'transferred', 'reopened')),
        owner_id TEXT REFERENCES users(id),
        assigned_to TEXT REFERENCES users(id),
        assigned_queue TEXT NOT NULL CHECK (assigned_queue IN ('lawyer', 'supervisor', 'pool')),
        -- Whether a person currently owns the conversation thread (the bot stays silent).
        thread_owned INTEGER NOT NULL DEFAULT 0,
        -- Incremented on reopen; deadline notices and ratings are per cycle.
        cycle INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        -- The first cycle's deadline and response, kept for the bureau's statistics.
        first_response_due TEXT NOT NULL,
        first_response_at TEXT,
        -- The running clock of the current cycle (restarted on reopen).
        clock_started_at TEXT NOT NULL,
        response_due TEXT NOT NULL,
        responded_at TEXT,
        claimed_at TEXT,
        closed_at TEXT,
        outcome TEXT,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
        rating_comment TEXT,
        redacted_at TEXT
      );
      CREATE INDEX referrals_status ON referrals (status);
      CREATE INDEX referrals_owner ON referrals (owner_id, status);
      CREATE INDEX referrals_assigned ON referrals (assigned_to, status);
      CREATE INDEX referrals_thread ON referrals (thread_id);
      CREATE INDEX referrals_region ON referrals (region);

      -- The referral's own timeline (the detail view): replies, internal notes, transfers.
      CREATE TABLE referral_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        referral_id TEXT NOT NULL REFERENCES referrals(id),
        at TEXT NOT NULL,
        actor_id TEXT,
        kind TEXT NOT NULL,
        text TEXT,
        detail TEXT NOT NULL DEFAULT '{}',
        outbox_id TEXT
      );
      CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
      CREATE INDEX referral_events_outbox ON referral_events (outbox_id);

      -- One row per (referral, cycle, kind): a reminder or an overdue escalation is sent once.
      CREATE TABLE referral_deadline_notices (
        referral_id TEXT NOT NULL REFERENCES referrals(id),
        cycle INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue')),
        sent_at TEXT NOT NULL,
        recipients TEXT NOT NULL,
        PRIMARY KEY (referral_id, cycle, kind)
      );

      -- 一案一评: one rating per referral cycle, attached to the owner at the time.
      CREATE TABLE referral_ratings (
        referral_id TEXT NOT NULL REFERENCES referrals(id),
        cycle INTEGER NOT NULL,
        stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
        comment TEXT,
        owner_id TEXT REFERENCES users(id),
        at TEXT NOT NULL,
        PRIMARY KEY (referral_id, cycle)
      );
      CREATE INDEX referral_ratings_owner ON referral_ratings (owner_id);

      -- Saved replies: owner_id NULL means shared with everyone.
      CREATE TABLE reply_templates (
        id TEXT PRIMARY KEY,
        owner_id TEXT REFERENCES users(id),
        title TEXT NOT NULL,
        body TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
      CREATE INDEX audit_log_actor ON audit_log (actor_id);
      -- Append-only, enforced by the database itself rather than by convention.
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    `,
  },
];
