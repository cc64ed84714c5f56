// The two stores a `lawdesk serve` child can run on, and how a test reads them: the
// embedded SQLite file in the data dir, and PostgreSQL in a fresh schema (DATABASE_URL and
// DATABASE_SCHEMA in the child's environment). Under CI=true PostgreSQL is never skipped: an
// unreachable server fails the test instead.

import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { PG_SKIP_REASON, PG_URL } from "../store/backends.ts";
import { dropSchema, openPg, type PgHandle, randomTestSchema } from "../../src/store/pg/pool.ts";
import { PgSql, SqliteSql, type SqlDb } from "../../src/store/sql.ts";
import type { Workspace } from "./child-server.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const countOf = async (db: SqlDb, sql: string, params: unknown[] = []) => Number((await db.get<{ n: unknown }>(sql, params))?.n ?? 0);

/** One store the child runs on, and how the test reads it. */
export interface StoreVariant {
  name: "sqlite" | "postgres";
  /** Why this variant cannot run here, or null. */
  skip: string | null;
  /** Added to the child's environment. */
  env(): Record<string, string>;
  /** Runs `fn` over the store's database (a read-only handle on SQLite). */
  read<T>(ws: Workspace, fn: (db: SqlDb) => Promise<T>): Promise<T>;
  /** After a SIGKILL: until the dead process's last statements have landed or been rolled back. */
  settleAfterKill(): Promise<void>;
  close(): Promise<void>;
}

export function sqliteVariant(): StoreVariant {
  return {
    name: "sqlite",
    skip: null,
    env: () => ({}),
    async read(ws, fn) {
      const db = new Database(ws.dbPath, { readonly: true, fileMustExist: true });
      try {
        return await fn(new SqliteSql(db));
      } finally {
        db.close();
      }
    },
    // One process, one file: a SIGKILL leaves committed transactions only.
    async settleAfterKill() {},
    async close() {},
  };
}

export function postgresVariant(leaseSeconds: number): StoreVariant {
  const schema = randomTestSchema();
  // Every connection of the child carries this name (node-postgres reads PGAPPNAME), so the
  // test can tell when the server has dropped the dead process's sessions.
  const appName = `lawdesk_crash_${randomBytes(4).toString("hex")}`;
  let handle: PgHandle | null = null;
  const sql = async () => {
    // migrate: false — the child owns the schema; the test only reads it.
    handle ??= await openPg(PG_URL, { schema, migrate: false, max: 2 });
    return new PgSql(handle.pool);
  };
  return {
    name: "postgres",
    skip: process.env.CI ? null : PG_SKIP_REASON,
    env: () => ({
      DATABASE_URL: PG_URL,
      DATABASE_SCHEMA: schema,
      LAWDESK_CLAIM_LEASE_SECONDS: String(leaseSeconds),
      PGAPPNAME: appName,
    }),
    async read(_ws, fn) {
      return fn(await sql());
    },
    async settleAfterKill() {
      // A COMMIT the child sent just before it died still lands; wait until PostgreSQL has
      // noticed the closed sockets so the state read next is the final one.
      const db = await sql();
      for (let i = 0; i < 100; i++) {
        if ((await countOf(db, "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = ?", [appName])) === 0) return;
        await sleep(50);
      }
      throw new Error(`the killed child's PostgreSQL sessions (${appName}) are still open after 5 s`);
    },
    async close() {
      await handle?.close().catch(() => undefined);
      await dropSchema(PG_URL, schema).catch(() => undefined);
    },
  };
}
