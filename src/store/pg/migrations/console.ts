import type { Migration } from "../../migrations/types.ts";

// Versions 30-39 (mirror of ../../migrations/console.ts).
export const PG_CONSOLE_MIGRATIONS: Migration[] = [
  {
    version: 30,
    name: "server_secrets",
    sql: `CREATE TABLE server_secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL);`,
  },
];
