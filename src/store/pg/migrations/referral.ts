import type { Migration } from "../../migrations/types.ts";

// Versions 20-29 (mirror of ../../migrations/referral.ts). Timestamps are TIMESTAMPTZ (the
// store takes and returns ISO-8601 strings, normalised to milliseconds and Z); JSON lists
// are JSONB; flags are BOOLEAN. Ids sort with COLLATE "C" (byte order, like SQLite).
// usernames are unique case-insensitively (SQLite's COLLATE NOCASE folds ASCII only, and so
// does lower() under the "C" collation).
export const PG_REFERRAL_MIGRATIONS: Migration[] = [
  {
    version: 20,
    name: "referral",
    sql: `
      CREATE TABLE users (
        id TEXT COLLATE "C" PRIMARY KEY,
        username TEXT COLLATE "C" NOT NULL,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('lawyer', 'supervisor', 'admin')),
        regions JSONB NOT NULL DEFAULT '[]'::jsonb,
        topics JSONB NOT NULL DEFAULT '[]'::jsonb,
        phone TEXT,
        active BOOLEAN NOT NULL DEFAULT true,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        locked_until TIMESTAMPTZ,
        must_change_password BOOLEAN NOT NULL DEFAULT false,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE UNIQUE INDEX users_username_nocase ON users (lower(username));

      CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        csrf_token TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL,
        last_seen_at TIMESTAMPTZ NOT NULL,
        revoked_at TIMESTAMPTZ,
        ip TEXT
      );
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE rota_entries (
        id TEXT COLLATE "C" PRIMARY KEY,
        user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
        regions JSONB NOT NULL,
        topics JSONB NOT NULL DEFAULT '[]'::jsonb,
        schedule JSONB NOT NULL DEFAULT '[]'::jsonb,
        dates_off JSONB NOT NULL DEFAULT '[]'::jsonb,
        dates_on JSONB NOT NULL DEFAULT '[]'::jsonb,
        note TEXT NOT NULL DEFAULT '',
        active BOOLEAN NOT NULL DEFAULT true,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );
      CREATE INDEX rota_entries_user ON rota_entries (user_id);

      CREATE TABLE referral_sequences (year INTEGER PRIMARY KEY, last INTEGER NOT NULL);

      CREATE TABLE referrals (
        id TEXT COLLATE "C" PRIMARY KEY,
        number TEXT COLLATE "C" NOT NULL UNIQUE,
        escalation_id TEXT UNIQUE,
        thread_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        resident_key TEXT NOT NULL,
        region TEXT COLLATE "C",
        topic TEXT NOT NULL,
        urgency TEXT NOT NULL CHECK (urgency IN ('normal', 'urgent', 'emergency')),
        reason TEXT NOT NULL,
        summary TEXT NOT NULL,
        findings JSONB NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'claimed', 'replied', 'closed', 'transferred', 'reopened')),
        owner_id TEXT COLLATE "C" REFERENCES users(id),
        assigned_to TEXT COLLATE "C" REFERENCES users(id),
        assigned_queue TEXT NOT NULL CHECK (assigned_queue IN ('lawyer', 'supervisor', 'pool')),
        thread_owned BOOLEAN NOT NULL DEFAULT false,
        cycle INTEGER NOT NULL DEFAULT 1,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL,
        first_response_due TIMESTAMPTZ NOT NULL,
        first_response_at TIMESTAMPTZ,
        clock_started_at TIMESTAMPTZ NOT NULL,
        response_due TIMESTAMPTZ NOT NULL,
        responded_at TIMESTAMPTZ,
        claimed_at TIMESTAMPTZ,
        closed_at TIMESTAMPTZ,
        outcome TEXT,
        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
        rating_comment TEXT,
        redacted_at TIMESTAMPTZ
      );
      CREATE INDEX referrals_status ON referrals (status);
      CREATE INDEX referrals_owner ON referrals (owner_id, status);
      CREATE INDEX referrals_assigned ON referrals (assigned_to, status);
      CREATE INDEX referrals_thread ON referrals (thread_id);
      CREATE INDEX referrals_region ON referrals (region);

      CREATE TABLE referral_events (
        id BIGSERIAL PRIMARY KEY,
        referral_id TEXT COLLATE "C" NOT NULL REFERENCES referrals(id),
        at TIMESTAMPTZ NOT NULL,
        actor_id TEXT,
        kind TEXT NOT NULL,
        text TEXT,
        detail JSONB NOT NULL DEFAULT '{}'::jsonb,
        outbox_id TEXT
      );
      CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
      CREATE INDEX referral_events_outbox ON referral_events (outbox_id);

      CREATE TABLE referral_deadline_notices (
        referral_id TEXT COLLATE "C" NOT NULL REFERENCES referrals(id),
        cycle INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('reminder', 'overdue')),
        sent_at TIMESTAMPTZ NOT NULL,
        recipients JSONB NOT NULL,
        PRIMARY KEY (referral_id, cycle, kind)
      );

      CREATE TABLE referral_ratings (
        referral_id TEXT COLLATE "C" NOT NULL REFERENCES referrals(id),
        cycle INTEGER NOT NULL,
        stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
        comment TEXT,
        owner_id TEXT COLLATE "C" REFERENCES users(id),
        at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (referral_id, cycle)
      );
      CREATE INDEX referral_ratings_owner ON referral_ratings (owner_id);

      CREATE TABLE reply_templates (
        id TEXT COLLATE "C" PRIMARY KEY,
        owner_id TEXT COLLATE "C" REFERENCES users(id),
        title TEXT COLLATE "C" NOT NULL,
        body TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL
      );

      CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY,
        at TIMESTAMPTZ NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT,
        detail JSONB NOT NULL DEFAULT '{}'::jsonb
      );
      CREATE INDEX audit_log_target ON audit_log (target_type, target_id);
      CREATE INDEX audit_log_actor ON audit_log (actor_id);
      -- Append-only, enforced by the database itself rather than by convention
      -- (UPDATE, DELETE and TRUNCATE are refused).
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$;
      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
      CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
    `,
  },
];
