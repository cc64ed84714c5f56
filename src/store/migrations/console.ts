import type { SchemaMigration } from "./types.ts";

// Versions 30-39.
export const CONSOLE_MIGRATIONS: SchemaMigration[] = [
  {
    // Secrets every server process must share (the residents' cookie-signing key). On
    // SQLite the key stays in the data directory's file; the table keeps both schemas level.
    version: 30,
    name: "server_secrets",
    sql: (t) => `CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at ${t.ts} NOT NULL);`,
  },
  {
    // Request counters shared by every server process (the console login limit, residents'
    // flood limit): behind a load balancer a per-process counter gives one allowance per process.
    version: 31,
    name: "rate_limits",
    sql: (t) => `CREATE TABLE rate_limits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, reset_at ${t.ts} NOT NULL);`,
  },
];
