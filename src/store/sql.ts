// One small async SQL interface over both stores, for the readers that are plain queries
// rather than a store of their own (dashboard, metrics, channel tables, the privacy purge).
// Statements use `?` placeholders; the PostgreSQL side numbers them ($1, $2, …). Where the
// two dialects differ (JSON paths, day boundaries, booleans) a statement asks `dialect`
// for the fragment instead of spelling it. Written here rather than taken from a query
// builder: the stores already own their SQL, and this is the thin common part they lack.

import { AsyncLocalStorage } from "node:async_hooks";
import type pg from "pg";
import * as read from "./rows.ts";
import type { SqliteDb } from "./sqlite.ts";
import { pgParams, withTransaction, type PgPool, type PgQueryable } from "./pg/pool.ts";

export type DialectName = "sqlite" | "postgres";

/** Dialect-specific SQL fragments. Column names are trusted (written in the code). */
export interface Dialect {
  name: DialectName;
  /** Text at a JSON path of a JSON column: json(col, "escalation", "topic"). */
  json(column: string, ...path: string[]): string;
  /** The China-time calendar day (YYYY-MM-DD) of a timestamp column. */
  day(column: string): string;
  /** A boolean literal. */
  bool(v: boolean): string;
}

export interface SqlDb {
  readonly dialect: Dialect;
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  get<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T | undefined>;
  /** A write; `changes` is the number of rows affected. */
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /**
   * Runs `fn` in one transaction (SQLite: BEGIN IMMEDIATE); rolled back when it throws. Every
   * statement `fn` makes through this SqlDb belongs to it, and a transaction() begun inside
   * joins it; one begun elsewhere meanwhile waits (SQLite) or runs on its own connection.
   */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>;
  /**
   * Inside a transaction: waits until no other transaction holds `key`, then holds it to the
   * end of this one. For a read-then-write that two processes could interleave (PostgreSQL
   * advisory lock); SQLite's write transactions are serial already.
   */
  lock(key: string): Promise<void>;
}

const jsonPath = (path: string[]) => {
  for (const p of path) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)) throw new Error(`invalid JSON path segment: ${p}`);
  return path;
};

export const SQLITE_DIALECT: Dialect = {
  name: "sqlite",
  json: (column, ...path) => `json_extract(${column}, '$.${jsonPath(path).join(".")}')`,
  day: (column) => `date(${column}, '+8 hours')`,
  bool: (v) => (v ? "1" : "0"),
};

export const POSTGRES_DIALECT: Dialect = {
  name: "postgres",
  json: (column, ...path) => `(${column} #>> '{${jsonPath(path).join(",")}}')`,
  // Timestamps are TIMESTAMPTZ; China has had no daylight saving since 1991, so +8 is exact.
  day: (column) => `to_char((${column})::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`,
  bool: (v) => (v ? "true" : "false"),
};

/** `?` placeholders to `$1…$n`, skipping quoted strings and identifiers. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let out = "";
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === "?") {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** better-sqlite3 binds booleans and Dates poorly; give it what it stores. */
function sqliteParams(params: unknown[]): unknown[] {
  return params.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p instanceof Date ? p.toISOString() : p));
}

export class SqliteSql implements SqlDb {
  readonly dialect = SQLITE_DIALECT;
  // SQLite has one connection: transactions are serialised so that an await inside one
  // does not let another caller's transaction slip into it. A transaction() called from
  // inside one (same async context) joins it instead of waiting for itself.
  private txQueue: Promise<unknown> = Promise.resolve();
  private readonly inTx = new AsyncLocalStorage<true>();

  constructor(readonly db: SqliteDb) {}

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...sqliteParams(params)) as T[];
  }

  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return this.db.prepare(sql).get(...sqliteParams(params)) as T | undefined;
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: this.db.prepare(sql).run(...sqliteParams(params)).changes };
  }

  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.inTx.getStore()) return fn(this);
    const run = () =>
      this.inTx.run(true, async () => {
        this.db.exec("BEGIN IMMEDIATE");
        try {
          const out = await fn(this);
          this.db.exec("COMMIT");
          return out;
        } catch (err) {
          if (this.db.inTransaction) this.db.exec("ROLLBACK");
          throw err;
        }
      });
    const next = this.txQueue.then(run, run);
    this.txQueue = next.catch(() => undefined);
    return next;
  }

  async lock(): Promise<void> {
    if (!this.inTx.getStore()) throw new Error("lock() outside a transaction");
  }
}

export class PgSql implements SqlDb {
  readonly dialect = POSTGRES_DIALECT;
  /** The connection of the transaction the current async context runs in, if any. */
  private readonly txClient = new AsyncLocalStorage<PgQueryable>();

  constructor(readonly pool: PgPool) {}

  private query(sql: string, params: unknown[]): Promise<pg.QueryResult> {
    return (this.txClient.getStore() ?? this.pool).query(numberPlaceholders(sql), pgParams(params));
  }

  async all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.query(sql, params)).rows as T[];
  }

  async get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.query(sql, params)).rows[0] as T | undefined;
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }

  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.txClient.getStore()) return fn(this);
    return withTransaction(this.pool, (client) => this.txClient.run(client, () => fn(this)));
  }

  async lock(key: string): Promise<void> {
    if (!this.txClient.getStore()) throw new Error("lock() outside a transaction");
    await this.query("SELECT pg_advisory_xact_lock(hashtext(?))", [key]);
  }
}

/** Values of plain queries that differ by driver, read the same way (see rows.ts). */
export const sqlValue = {
  /** TIMESTAMPTZ comes back as Date from PostgreSQL, as ISO text from SQLite. */
  iso: read.isoOrNull,
  /** COUNT(*) is a bigint string from PostgreSQL; NULL (an empty SUM) counts as 0. */
  num: (v: unknown): number => read.intOrNull(v) ?? 0,
  bool: read.flag,
  /** JSONB arrives parsed from PostgreSQL, as text from SQLite. */
  json: <T>(v: unknown): T => read.json<T>(v, null as T),
};
