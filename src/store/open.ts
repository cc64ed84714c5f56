// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set (pool,
// migrations at start-up, optional schema), otherwise the embedded SQLite file in the data
// directory. Everything above this line speaks the store interfaces and SqlDb only.

import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { LocalBus, type Bus } from "./bus.ts";
import type { SchemaMigration } from "./migrations.ts";
import { SqlConversationStore, type ConversationStore } from "./conversation-store.ts";
import { SqlKnowledgeStore, type KnowledgeStore } from "./knowledge-store.ts";
import { PgBus } from "./pg/bus.ts";
import { openPg, type PgHandle } from "./pg/pool.ts";
import { SqlReferralStore, type ReferralStore } from "./referral-store.ts";
import { PgSql, SqliteSql, type DialectName, type SqlDb } from "./sql.ts";
import { openSqlite, type SqliteDb } from "./sqlite.ts";

/** The stores on one database, with its handle and bus. */
export interface OpenedStore {
  kind: DialectName;
  sql: SqlDb;
  conversations: ConversationStore;
  referrals: ReferralStore;
  knowledge: KnowledgeStore;
  /** The SQLite handle on the embedded store, null on PostgreSQL. */
  sqlite: SqliteDb | null;
  /** The PostgreSQL pool, null on SQLite. */
  pg: PgHandle | null;
  /** Tells the other processes on this database what changed (silent on SQLite). */
  bus: Bus;
  close(): Promise<void>;
}

/** The three stores over one SqlDb. */
function storesOn(sql: SqlDb): Pick<OpenedStore, "sql" | "conversations" | "referrals" | "knowledge"> {
  return { sql, conversations: new SqlConversationStore(sql), referrals: new SqlReferralStore(sql), knowledge: new SqlKnowledgeStore(sql) };
}

export interface OpenStoreOptions {
  log?: Logger;
  /** Tables of the parts above the store (the chat channels'), migrated with its own. */
  migrations?: readonly SchemaMigration[];
}

/**
 * Opens the configured store and runs the pending migrations: the store's own and `migrations`
 * (the chat channels' tables, which the store does not know). Close it when done.
 *
 * @example
 * ```ts
 * const store = await openStore(config, { log, migrations: CHANNEL_MIGRATIONS });
 * const thread = await store.conversations.findThread("web", threadKey);
 * await store.close();
 * ```
 */
export async function openStore(config: Config, { log, migrations }: OpenStoreOptions = {}): Promise<OpenedStore> {
  if (config.DATABASE_URL) {
    const pg = await openPg(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, max: config.DATABASE_POOL_MAX, migrations });
    let bus: PgBus;
    try {
      bus = await PgBus.open(pg.pool, config.DATABASE_URL, pg.schema, log);
    } catch (err) {
      await pg.close();
      throw err;
    }
    return {
      kind: "postgres",
      ...storesOn(new PgSql(pg.pool)),
      sqlite: null,
      pg,
      bus,
      async close() {
        await bus.close();
        await pg.close();
      },
    };
  }
  const db = openSqlite(join(config.dataDir, "lawdesk.db"), migrations);
  return {
    kind: "sqlite",
    ...storesOn(new SqliteSql(db)),
    sqlite: db,
    pg: null,
    bus: new LocalBus(),
    async close() {
      if (db.open) db.close();
    },
  };
}
