// SqlDb on both stores, for the channel tables and the purge: SQLite in a temp file and
// PostgreSQL in a fresh schema (dropped on close), each with the real conversation and
// referral stores on the same database so one seed works on both. The postgres variant is
// skipped, saying why, when PostgreSQL is unreachable (see test/store/backends.ts).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteConversationStore, type ConversationStore } from "../../src/store/conversation-store.ts";
import { PgConversationStore } from "../../src/store/pg/conversation-store.ts";
import { openPg, type PgHandle } from "../../src/store/pg/pool.ts";
import { PgReferralStore } from "../../src/store/pg/referral-store.ts";
import { SqliteReferralStore, type ReferralStore } from "../../src/store/referral-store.ts";
import { PgSql, SqliteSql, type SqlDb } from "../../src/store/sql.ts";
import { openSqlite, type SqliteDb } from "../../src/store/sqlite.ts";
import { PG_URL, type BackendName } from "../store/backends.ts";

export { skipped, title } from "../store/backends.ts";

export interface SqlBackend {
  name: BackendName;
  sql: SqlDb;
  conversations: ConversationStore;
  referrals: ReferralStore;
  /** Another connection (SQLite) or pool (PostgreSQL) on the same database: another process. */
  second(): Promise<SqlDb>;
  close(): Promise<void>;
}

export async function sqliteBackend(): Promise<SqlBackend> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-sql-"));
  const path = join(dir, "data", "lawdesk.db");
  const db = openSqlite(path);
  const opened: SqliteDb[] = [db];
  return {
    name: "sqlite",
    sql: new SqliteSql(db),
    conversations: new SqliteConversationStore(db),
    referrals: new SqliteReferralStore(db),
    async second() {
      const d = openSqlite(path);
      opened.push(d);
      return new SqliteSql(d);
    },
    async close() {
      for (const d of opened) if (d.open) d.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function pgBackend(): Promise<SqlBackend> {
  const main = await openPg(PG_URL, { freshSchema: true, max: 5 });
  const others: PgHandle[] = [];
  return {
    name: "postgres",
    sql: new PgSql(main.pool),
    conversations: new PgConversationStore(main.pool),
    referrals: new PgReferralStore(main.pool),
    async second() {
      const h = await openPg(PG_URL, { schema: main.schema!, max: 5 });
      others.push(h);
      return new PgSql(h.pool);
    },
    async close() {
      for (const h of others) await h.close();
      await main.close(); // drops the schema
    },
  };
}

export const SQL_BACKENDS: [BackendName, () => Promise<SqlBackend>][] = [
  ["sqlite", sqliteBackend],
  ["postgres", pgBackend],
];
