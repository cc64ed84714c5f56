// Versioned migrations for the PostgreSQL store, the counterpart of ../sqlite.ts migrate().
// Same version numbers as the SQLite migrations so both stores report the same schema level.
// Several processes may start at once: an advisory lock (per schema) serialises them and
// each migration runs in its own transaction.

import { migrationsFor, type SchemaMigration } from "../migrations.ts";
import { withTransaction, type PgPool } from "./pool.ts";

/** Applies the pending migrations, the store's and `extra` (see ../migrations.ts); returns their versions. */
export async function migratePg(pool: PgPool, extra: readonly SchemaMigration[] = []): Promise<number[]> {
  const migrations = migrationsFor("postgres", extra);
  return withTransaction(pool, async (client) => {
    const applied: number[] = [];
    await client.query("SELECT pg_advisory_xact_lock(hashtext('lawdesk.migrate.' || current_schema()))");
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
    );
    const done = new Set(
      (await client.query<{ version: number }>("SELECT version FROM schema_migrations")).rows.map((r) => Number(r.version)),
    );
    for (const m of migrations) {
      if (done.has(m.version)) continue;
      await client.query("SAVEPOINT m");
      await client.query(m.sql);
      await client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())", [m.version, m.name]);
      await client.query("RELEASE SAVEPOINT m");
      applied.push(m.version);
    }
    return applied;
  });
}
