// Versioned schema for both stores, one file per concern under migrations/: one list, each
// migration written once with the column types that differ between SQLite and PostgreSQL
// (migrations/types.ts) and a dialect branch only where the statements differ (triggers).
// The versions and names are those recorded in existing databases. Append new migrations;
// never edit one that has shipped.
// Version ranges: 1-9 knowledge, 10-19 conversations, 20-29 referrals, 30-39 console, 40-49 channels.

import { CHANNEL_MIGRATIONS } from "./migrations/channels.ts";
import { CONSOLE_MIGRATIONS } from "./migrations/console.ts";
import { CONVERSATION_MIGRATIONS } from "./migrations/conversation.ts";
import { KNOWLEDGE_MIGRATIONS } from "./migrations/knowledge.ts";
import { REFERRAL_MIGRATIONS } from "./migrations/referral.ts";
import { POSTGRES_TYPES, SQLITE_TYPES, type Migration, type SchemaTypes } from "./migrations/types.ts";

export type { Migration };

const ALL = [...KNOWLEDGE_MIGRATIONS, ...CONVERSATION_MIGRATIONS, ...REFERRAL_MIGRATIONS, ...CONSOLE_MIGRATIONS, ...CHANNEL_MIGRATIONS];

/** The migrations in version order, written for one database. */
function migrationsFor(types: SchemaTypes): Migration[] {
  return ALL.map((m) => ({ version: m.version, name: m.name, sql: m.sql(types) })).sort((a, b) => a.version - b.version);
}

export const SQLITE_MIGRATIONS = migrationsFor(SQLITE_TYPES);
export const PG_MIGRATIONS = migrationsFor(POSTGRES_TYPES);
