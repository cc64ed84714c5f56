// The two stores the contract suites run against: SQLite in a temp file, and PostgreSQL in a
// fresh schema per test (CREATE SCHEMA lawdesk_test_<random>, search_path set on the pool,
// DROP SCHEMA … CASCADE afterwards), so tests are isolated and can run in parallel. Both
// carry the chat channels' tables beside the store's, as the app opens them.
// When PostgreSQL cannot be reached the postgres variant is skipped with a message saying why;
// CI starts PostgreSQL (127.0.0.1:5432, trust auth, database `test`), so it runs there.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { CHANNEL_MIGRATIONS } from "../../src/channels/migrations.ts";
import { SqlConversationStore, type ConversationStore } from "../../src/store/conversation-store.ts";
import { SqlKnowledgeStore, type KnowledgeStore } from "../../src/store/knowledge-store.ts";
import { SqlReferralStore, type ReferralStore } from "../../src/store/referral-store.ts";
import { openPg, type PgHandle } from "../../src/store/pg/pool.ts";
import { PgSql, SqliteSql, type SqlDb } from "../../src/store/sql.ts";
import { openSqlite, type SqliteDb } from "../../src/store/sqlite.ts";

export type BackendName = "sqlite" | "postgres";

export interface Stores {
  /** Plain queries on the same database (channel tables, purge, dashboard). */
  sql: SqlDb;
  conversation: ConversationStore;
  knowledge: KnowledgeStore;
  referral: ReferralStore;
}

export interface Backend extends Stores {
  name: BackendName;
  /** An independent connection (SQLite) or pool (PostgreSQL) on the same database: another process. */
  second(): Promise<Stores>;
  /** Rows in a table (test assertions only). */
  count(table: string): Promise<number>;
  /** Runs one parameterless SQL statement; resolves to the number of rows changed. */
  exec(sql: string): Promise<number>;
  close(): Promise<void>;
}

export const PG_URL = process.env.LAWDESK_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

async function probe(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const unreachable = await probe(PG_URL);
/** Why the postgres variant is skipped, or null when PostgreSQL is reachable. */
export const PG_SKIP_REASON: string | null = unreachable
  ? `PostgreSQL unreachable at ${PG_URL} (${unreachable}); postgres contract tests skipped — start PostgreSQL or set LAWDESK_TEST_DATABASE_URL`
  : null;
if (PG_SKIP_REASON) console.warn(`[test/store] ${PG_SKIP_REASON}`);

export async function makeSqlite(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-contract-"));
  const path = join(dir, "data", "lawdesk.db");
  const db = openSqlite(path, CHANNEL_MIGRATIONS);
  const opened: SqliteDb[] = [db];
  const stores = (d: SqliteDb): Stores => ({ sql: new SqliteSql(d), conversation: new SqlConversationStore(d), knowledge: new SqlKnowledgeStore(d),
    referral: new SqlReferralStore(d),
  });
  return {
    name: "sqlite",
    ...stores(db),
    async second() {
      const d = openSqlite(path, CHANNEL_MIGRATIONS);
      opened.push(d);
      return stores(d);
    },
    async count(table) {
      return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    },
    async exec(sql) {
      return db.prepare(sql).run().changes;
    },
    async close() {
      for (const d of opened) if (d.open) d.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function makePg(): Promise<Backend> {
  const main = await openPg(PG_URL, { freshSchema: true, max: 5, migrations: CHANNEL_MIGRATIONS });
  const others: PgHandle[] = [];
  const stores = (h: PgHandle): Stores => ({ sql: new PgSql(h.pool), conversation: new SqlConversationStore(h.pool), knowledge: new SqlKnowledgeStore(h.pool),
    referral: new SqlReferralStore(h.pool),
  });
  return {
    name: "postgres",
    ...stores(main),
    async second() {
      const h = await openPg(PG_URL, { schema: main.schema!, max: 5, migrations: CHANNEL_MIGRATIONS });
      others.push(h);
      return stores(h);
    },
    async count(table) {
      return Number((await main.pool.query(`SELECT COUNT(*) AS n FROM ${table}`)).rows[0].n);
    },
    async exec(sql) {
      return (await main.pool.query(sql)).rowCount ?? 0;
    },
    async close() {
      for (const h of others) await h.close();
      await main.close();
    },
  };
}

export const BACKENDS: [BackendName, () => Promise<Backend>][] = [
  ["sqlite", makeSqlite],
  ["postgres", makePg],
];

/** The describe title, saying why a variant is skipped. */
export function title(suite: string, name: BackendName): string {
  return name === "postgres" && PG_SKIP_REASON ? `${suite} (${name}) — SKIPPED: ${PG_SKIP_REASON}` : `${suite} (${name})`;
}

export const skipped = (name: BackendName): boolean => name === "postgres" && PG_SKIP_REASON !== null;
