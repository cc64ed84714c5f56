// The embedded store: one SQLite file in the data directory (better-sqlite3, WAL mode).
// Schema changes are versioned migrations, applied in order at start-up.

import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrationsFor, type Migration, type SchemaMigration } from "./migrations.ts";

export type SqliteDb = Database.Database;

/** Opens (creating it if needed) and migrates the file; `migrations` are those of the parts above the store (see migrations.ts). */
export function openSqlite(path: string, migrations: readonly SchemaMigration[] = []): SqliteDb {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  migrate(db, migrationsFor("sqlite", migrations));
  return db;
}

function migrate(db: SqliteDb, migrations: Migration[]): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set(
    (db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        m.version,
        m.name,
        new Date().toISOString(),
      );
    })();
  }
}
