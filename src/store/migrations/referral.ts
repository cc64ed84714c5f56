import type { SchemaMigration } from "./types.ts";

// Versions 20-29.
// Console users, their sessions, the duty rota, referrals (工单) with their event timeline,
// deadline notices, ratings, saved replies and the append-only audit log.
// Thread ids point into the conversation tables but carry no foreign key: the two
// concerns migrate independently and the referral side must not block a thread purge.
// Usernames are unique case-insensitively: SQLite's COLLATE NOCASE folds ASCII only, and so
// does lower() under PostgreSQL's "C" collation (a unique index on lower(username)).
export const REFERRAL_MIGRATIONS: SchemaMigration[] = [
  {
    version: 20,
    name: "referral",
    sql: (t) => `
      CREATE TABLE users (
        id ${t.key} PRIMARY KEY,
        username ${t.dialect === "sqlite" ? "TEXT NOT NULL UNIQUE COLLATE NOCASE" : `${t.key} NOT NULL`},
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('lawyer', 'supervisor', 'admin')),
        regions ${t.json} NOT NULL DEFAULT ${t.emptyList},
        topics ${t.json} NOT NULL DEFAULT ${t.emptyList},
        phone TEXT,
        active ${t.flag} NOT NULL DEFAULT ${t.true},
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until ${t.ts},
        must_change_password ${t.flag} NOT NULL DEFAULT ${t.false},
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL
      );
      ${t.dialect === "postgres" ? "CREATE UNIQUE INDEX users_username_nocase ON users (lower(username));" : ""}

      -- Only a SHA-256 of the session token is stored: a copy of the database cannot log in.
      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id ${t.key} NOT NULL REFERENCES users(id),
        csrf_token TEXT NOT NULL,
        created_at ${t.ts} NOT NULL,
        expires_at ${t.ts} NOT NULL,
        last_seen_at ${t.ts} NOT NULL,
        revoked_at ${t.ts},
        ip TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE rota_entries (
        id ${t.key} PRIMARY KEY,
        user_id ${t.key} NOT NULL REFERENCES users(id),
        regions ${t.json} NOT NULL,
        topics ${t.json} NOT NULL DEFAULT ${t.emptyList},
        -- [{ "day": 1-7 (Mon-Sun), "start": "HH:MM", "end": "HH:MM" }] in Asia/Shanghai time.
        schedule ${t.json} NOT NULL DEFAULT ${t.emptyList},
        dates_off ${t.json} NOT NULL DEFAULT ${t.emptyList},
        -- [{ "date": "YYYY-MM-DD", "start": "HH:MM", "end": "HH:MM" }]
        dates_on ${t.json} NOT NULL DEFAULT ${t.emptyList},
        note TEXT NOT NULL DEFAULT '',
        active ${t.flag} NOT NULL DEFAULT ${t.true},
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL
      );
      CREATE INDEX rota_entries_user ON rota_entries (user_id);

      -- Per-year sequence behind the referral numbers (2026-000123).
      CREATE TABLE referral_sequences (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);

      CREATE TABLE referrals (
        id ${t.key} PRIMARY KEY,
        number ${t.key} NOT NULL UNIQUE,
        -- The conversation core's escalation id: creating twice from one escalation is a no-op.
        escalation_id TEXT UNIQUE,
        thread_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        resident_key TEXT NOT NULL,
        region ${t.key},
        topic TEXT NOT NULL,
        urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
        reason TEXT NOT NULL,
        summary TEXT NOT NULL,
        findings ${t.json} NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'replied', 'closed', 'transferred', 'reopened')),
        owner_id ${t.key} REFERENCES users(id),
        assigned_to ${t.key} REFERENCES users(id),
        assigned_queue TEXT NOT NULL CHECK (assigned_queue IN ('lawyer', 'supervisor', 'pool')),
        -- Whether a person currently owns the conversation thread (the bot stays silent).
        thread_owned ${t.flag} NOT NULL DEFAULT ${t.false},
        -- Incremented on reopen; deadline notices and ratings are per cycle.
        cycle INTEGER NOT NULL DEFAULT 1,
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL,
        -- The first cycle's deadline and response, kept for the bureau's statistics.
        first_response_due ${t.ts} NOT NULL,
        first_response_at ${t.ts},
        -- The running clock of the current cycle (restarted on reopen).
        clock_started_at ${t.ts} NOT NULL,
        response_due ${t.ts} NOT NULL,
        responded_at ${t.ts},
        claimed_at ${t.ts},
        closed_at ${t.ts},
        outcome TEXT,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
        rating_comment TEXT,
        redacted_at ${t.ts}
      );
      CREATE INDEX referrals_status ON referrals (status);
      CREATE INDEX referrals_owner ON referrals (owner_id, status);
      CREATE INDEX referrals_assigned ON referrals (assigned_to, status);
      CREATE INDEX referrals_thread ON referrals (thread_id);
      CREATE INDEX referrals_region ON referrals (region);

      -- The referral's own timeline (the detail view): replies, internal notes, transfers.
      CREATE TABLE referral_events (
        id ${t.serial},
        referral_id ${t.key} NOT NULL REFERENCES referrals(id),
        at ${t.ts} NOT NULL,
        actor_id TEXT,
        kind TEXT NOT NULL,
        text TEXT,
        detail ${t.json} NOT NULL DEFAULT ${t.emptyObject},
        outbox_id TEXT
      );
      CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
      CREATE INDEX referral_events_outbox ON referral_events (outbox_id);

      -- One row per (referral, cycle, kind): a reminder or an overdue escalation is sent once.
      CREATE TABLE referral_deadline_notices (
        referral_id ${t.key} NOT NULL REFERENCES referrals(id),
        cycle INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue')),
        sent_at ${t.ts} NOT NULL,
        recipients ${t.json} NOT NULL,
        PRIMARY KEY (referral_id, cycle, kind)
      );

      -- 一案一评: one rating per referral cycle, attached to the owner at the time.
      CREATE TABLE referral_ratings (
        referral_id ${t.key} NOT NULL REFERENCES referrals(id),
        cycle INTEGER NOT NULL,
        stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
        comment TEXT,
        owner_id ${t.key} REFERENCES users(id),
        at ${t.ts} NOT NULL,
        PRIMARY KEY (referral_id, cycle)
      );
      CREATE INDEX referral_ratings_owner ON referral_ratings (owner_id);

      -- Saved replies: owner_id NULL means shared with everyone.
      CREATE TABLE reply_templates (
        id ${t.key} PRIMARY KEY,
        owner_id ${t.key} REFERENCES users(id),
        title ${t.key} NOT NULL,
        body TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at ${t.ts} NOT NULL,
        updated_at ${t.ts} NOT NULL
      );

      CREATE TABLE audit_log (
        id ${t.serial},
        at ${t.ts} NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT,
        detail ${t.json} NOT NULL DEFAULT ${t.emptyObject}
      );
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
      CREATE INDEX audit_log_actor ON audit_log (actor_id);
      -- Append-only, enforced by the database itself rather than by convention
      -- (UPDATE, DELETE and, on PostgreSQL, TRUNCATE are refused).
      ${t.dialect === "sqlite" ? SQLITE_AUDIT_APPEND_ONLY : PG_AUDIT_APPEND_ONLY}
    `,
  },
];

const SQLITE_AUDIT_APPEND_ONLY = `
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;`;

const PG_AUDIT_APPEND_ONLY = `
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();`;
