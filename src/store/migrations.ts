// Versioned schema for both stores, one file per concern under migrations/: one list, each
// migration written once with the column types that differ between SQLite and PostgreSQL
// (migrations/types.ts) and a dialect branch only where the statements differ (triggers).
// The versions and names are those recorded in existing databases. Append new migrations;
// never edit one that has shipped.
// Version ranges: 1-9 knowledge, 10-19 conversations, 20-29 referrals, 30-39 console.
// 40-49 belong to the chat channels, which declare their own tables (src/channels/migrations.ts)
// and hand them to the store when they open it: the store knows no platform.

import { CONSOLE_MIGRATIONS } from "./migrations/console.ts";
import { CONVERSATION_MIGRATIONS } from "./migrations/conversation.ts";
import { KNOWLEDGE_MIGRATIONS } from "./migrations/knowledge.ts";
import { REFERRAL_MIGRATIONS } from "./migrations/referral.ts";
import { POSTGRES_TYPES, SQLITE_TYPES, type Migration, type SchemaMigration } from "./migrations/types.ts";
import type { DialectName } from "./sql.ts";

export type { Migration, SchemaMigration };

/** The store's own migrations, for both databases. */
export const STORE_MIGRATIONS: readonly SchemaMigration[] = [...KNOWLEDGE_MIGRATIONS, ...CONVERSATION_MIGRATIONS, ...REFERRAL_MIGRATIONS, ...CONSOLE_MIGRATIONS];

/**
 * The store's migrations and `extra` (those of the parts above it that keep tables of their
 * own, such as the chat channels) in version order, written for one database. A version
 * used twice is a programming error, refused before anything runs.
 */
export function migrationsFor(dialect: DialectName, extra: readonly SchemaMigration[] = []): Migration[] {
  const types = dialect === "postgres" ? POSTGRES_TYPES : SQLITE_TYPES;
  const all = [...STORE_MIGRATIONS, ...extra].sort((a, b) => a.version - b.version);
  const twice = all.find((m, i) => i > 0 && all[i - 1].version === m.version);
  if (twice) throw new Error(`migration version ${twice.version} is declared twice`);
  return all.map((m) => ({ version: m.version, name: m.name, sql: m.sql(types) }));
}
