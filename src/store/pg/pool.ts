// PostgreSQL connection pool for the stores (node-postgres). One pool per process; every
// connection runs in UTC with the schema's search_path, so a test (or a tenant) can live in
// its own schema. Migrations run once when the pool is opened (see migrate.ts).

import pg from "pg";
import { randomBytes } from "node:crypto";
import type { SchemaMigration } from "../migrations.ts";
import { migratePg } from "./migrate.ts";

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;
/** Anything that can run a query: the pool itself or a client inside a transaction. */
export type PgQueryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

export interface OpenPgOptions {
  /** Schema to use (search_path). Created when missing. Default: the server's default (public). */
  schema?: string;
  /** Create a fresh, randomly named schema (lawdesk_test_<random>) for this pool; dropped by close(). */
  freshSchema?: boolean;
  /** Pool size (default 10). */
  max?: number;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Migrations of the parts above the store, applied with its own (see ../migrations.ts). */
  migrations?: readonly SchemaMigration[];
  /** Passed through to pg.Pool. */
  connectionTimeoutMillis?: number;
}

export interface PgHandle {
  pool: PgPool;
  schema: string | null;
  url: string;
  /** Ends the pool; drops the schema when it was created with freshSchema. */
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function randomTestSchema(): string {
  return `lawdesk_test_${randomBytes(6).toString("hex")}`;
}

/** Opens a pool on `url`; see OpenPgOptions for schema-per-test use. */
export async function openPg(url: string, opts: OpenPgOptions = {}): Promise<PgHandle> {
  const schema = opts.freshSchema ? randomTestSchema() : (opts.schema ?? null);
  if (schema !== null && !SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  if (schema !== null) {
    await adminQuery(url, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`, opts.connectionTimeoutMillis ?? 5000).catch((err) => {
      // Two processes creating the same schema at once: the loser sees a unique violation.
      const code = (err as { code?: string }).code;
      if (code !== "23505" && code !== "42P06") throw err;
    });
  }
  const settings = ["-c timezone=UTC"];
  if (schema !== null) settings.push(`-c search_path=${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    options: settings.join(" "),
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
  });
  // An idle client that errors (server restart) must not crash the process.
  pool.on("error", () => undefined);
  const handle: PgHandle = {
    pool,
    schema,
    url,
    async close() {
      await pool.end();
      if (opts.freshSchema && schema !== null) await dropSchema(url, schema);
    },
  };
  try {
    if (opts.migrate !== false) await migratePg(pool, opts.migrations);
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw err;
  }
  return handle;
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid PostgreSQL schema name: ${schema}`);
  await adminQuery(url, `DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
}

/** One statement on a connection of its own, outside the pool (schemas are made before it exists). */
async function adminQuery(url: string, sql: string, connectionTimeoutMillis?: number): Promise<void> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** Runs `fn` in one transaction on one client; rolls back on any error. */
export async function withTransaction<T>(pool: PgPool, fn: (c: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const out = await fn(client);
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

// PostgreSQL refuses the NUL character in TEXT and in JSONB, where SQLite stores it. A chat
// message or payload carrying one must not make a write fail (a platform would retry it
// forever), so every string parameter has NUL replaced by U+FFFD, and JSON parameters
// (built with pgJson) have the escaped form replaced too.
const NUL = /\u0000/g;
const cleanText = (v: unknown): unknown => (typeof v === "string" && v.includes("\u0000") ? v.replace(NUL, "\uFFFD") : v);

export function pgParams(params: unknown[] = []): unknown[] {
  return params.map((p) => (Array.isArray(p) ? p.map(cleanText) : cleanText(p)));
}

/** JSON text for a JSONB parameter: an escaped NUL (\u0000) becomes \ufffd. */
export function pgJson(v: unknown): string {
  const s = JSON.stringify(v);
  return s.includes("\\u0000") ? s.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, "$1\\ufffd") : s;
}
