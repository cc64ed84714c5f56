// Opens the store the configuration asks for: PostgreSQL when DATABASE_URL is set (pool,
// migrations at start-up, optional schema), otherwise the embedded SQLite file in the data
// directory. Everything above this line speaks the store interfaces and SqlDb only.

import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { LocalBus, type Bus } from "./bus.ts";
import { SqliteConversationStore, type ConversationStore } from "./conversation-store.ts";
import { SqliteKnowledgeStore, type KnowledgeStore } from "./knowledge-store.ts";
import { PgBus } from "./pg/bus.ts";
import { PgConversationStore } from "./pg/conversation-store.ts";
import { PgKnowledgeStore } from "./pg/knowledge-store.ts";
import { openPg, type PgHandle } from "./pg/pool.ts";
import { PgReferralStore } from "./pg/referral-store.ts";
import { SqliteReferralStore, type ReferralStore } from "./referral-store.ts";
import { PgSql, SqliteSql, type DialectName, type SqlDb } from "./sql.ts";
import { openSqlite, type SqliteDb } from "./sqlite.ts";

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

export async function openStore(config: Config, log?: Logger): Promise<OpenedStore> {
  if (config.DATABASE_URL) {
    const pg = await openPg(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, max: config.DATABASE_POOL_MAX });
    let bus: PgBus;
    try {
      bus = await PgBus.open(pg.pool, config.DATABASE_URL, pg.schema, log);
    } catch (err) {
      await pg.close();
      throw err;
    }
    return {
      kind: "postgres",
      sql: new PgSql(pg.pool),
      conversations: new PgConversationStore(pg.pool),
      referrals: new PgReferralStore(pg.pool),
      knowledge: new PgKnowledgeStore(pg.pool),
      sqlite: null,
      pg,
      bus,
      async close() {
        await bus.close();
        await pg.close();
      },
    };
  }
  const db = openSqlite(join(config.dataDir, "lawdesk.db"));
  return {
    kind: "sqlite",
    sql: new SqliteSql(db),
    conversations: new SqliteConversationStore(db),
    referrals: new SqliteReferralStore(db),
    knowledge: new SqliteKnowledgeStore(db),
    sqlite: db,
    pg: null,
    bus: new LocalBus(),
    async close() {
      if (db.open) db.close();
    },
  };
}
