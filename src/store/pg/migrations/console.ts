import type { Migration } from "../../migrations/types.ts";

// Versions 30-39 (mirror of ../../migrations/console.ts).
export const PG_CONSOLE_MIGRATIONS: Migration[] = [
  {
    version: 30,
    name: "server_secrets",
    sql: `CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);`,
  },
  {
    // Request counters shared by every server process (the console login limit, residents'
    // flood limit): behind a load balancer a per-process counter gives one allowance per process.
    version: 31,
    name: "rate_limits",
    sql: `CREATE TABLE rate_limits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, reset_at TIMESTAMPTZ NOT NULL);`,
  },
];
