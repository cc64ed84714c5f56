// One small async SQL interface over both databases: every store (referral, conversation,
// knowledge, channels, tokens) is written once against it, and so are the plain readers
// (dashboard). Statements use `?` placeholders; the PostgreSQL side numbers them ($1, $2, …).
// Where the two dialects differ (JSON paths, day boundaries, booleans, SKIP LOCKED) a
// statement asks `dialect` for the fragment instead of spelling it. Written here rather than
// taken from a query builder: the statements are plain SQL already, and a builder would add
// table typings without removing the dialect fragments.

import { AsyncLocalStorage } from "node:async_hooks";
import { resolve } from "node:path";
import type Database from "better-sqlite3";
import type pg from "pg";
import * as read from "./rows.ts";
import type { SqliteDb } from "./sqlite.ts";
import { pgJson, pgParams, withTransaction, type PgPool, type PgQueryable } from "./pg/pool.ts";

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
  /** Appended to a SELECT that claims rows: other processes' locked rows are skipped (PostgreSQL). */
  skipLocked: string;
  /** Text for a JSON column parameter (PostgreSQL refuses an escaped NUL in JSONB). */
  toJson(v: unknown): string;
  /** `haystack` contains the text `needle` (both expressions). */
  contains(haystack: string, needle: string): string;
  /** `column` equals `param` ignoring ASCII case (usernames). */
  nocaseEquals(column: string, param: string): string;
  /** The JSON document `target` with top-level `key` set to the text (or NULL) `value`. */
  jsonSet(target: string, key: string, value: string): string;
  /** A parameter read as a timestamp where the type cannot be inferred (CASE, COALESCE). */
  ts(param: string): string;
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
   * Runs `fn` while no other holder of `key` runs (PostgreSQL: a session advisory lock, across
   * processes; SQLite: in this process). Not a transaction. Re-entrant.
   */
  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T>;
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

/** `n` placeholders for an IN list: "?, ?, ?". */
export const marks = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

/** INSERT INTO `table` (`columns`) VALUES with a `?` per column, for each of `rows` rows. */
export function insertInto(table: string, columns: string, rows = 1): string {
  const row = `(${marks(columns.split(",").length)})`;
  return `INSERT INTO ${table} (${columns}) VALUES ${Array.from({ length: rows }, () => row).join(", ")}`;
}

/** "WHERE a AND b", or nothing when there are no conditions. */
export const whereAll = (conditions: string[]): string => (conditions.length ? `WHERE ${conditions.join(" AND ")}` : "");

/** Conditions collected one by one with their parameters, for a WHERE built from filters. */
export function conditions(): { parts: string[]; params: unknown[]; add(sql: string, ...values: unknown[]): void } {
  const parts: string[] = [];
  const params: unknown[] = [];
  return {
    parts,
    params,
    add(sql, ...values) {
      parts.push(sql);
      params.push(...values);
    },
  };
}

/** SELECT * FROM `table` with `column = ?` for each given (not undefined) value, ordered, optionally limited. */
export function selectWhere(table: string, equal: Record<string, unknown>, order: string, limit?: number): { sql: string; params: unknown[] } {
  const given = Object.entries(equal).filter(([, v]) => v !== undefined);
  const params = given.map(([, v]) => v);
  if (limit !== undefined) params.push(limit);
  const sql = `SELECT * FROM ${table} ${whereAll(given.map(([col]) => `${col} = ?`))} ORDER BY ${order}${limit !== undefined ? " LIMIT ?" : ""}`;
  return { sql, params };
}

/**
 * `column` is covered by one of the region `scopes` (the rule of src/referral/regions.ts): the
 * scope itself or a region inside it, and — for a top-level scope, unless `unplaced` is false —
 * a row with no region. substr, not LIKE: ids contain `_`. `none` is the SQL for an empty list.
 */
export function regionClause(
  scopes: readonly string[],
  { none, column = "region", unplaced = true }: { none: string; column?: string; unplaced?: boolean },
): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const s of scopes) {
    parts.push(`${column} = ?`, `substr(${column}, 1, CAST(? AS INTEGER)) = ?`);
    params.push(s, s.length + 1, s + ".");
    if (unplaced && !s.includes(".")) parts.push(`${column} IS NULL`);
  }
  return { sql: parts.length ? `(${parts.join(" OR ")})` : none, params };
}

/** Splits `items` into runs short enough for one statement's parameters. */
export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const SQLITE_DIALECT: Dialect = {
  name: "sqlite",
  json: (column, ...path) => `json_extract(${column}, '$.${jsonPath(path).join(".")}')`,
  day: (column) => `date(${column}, '+8 hours')`,
  bool: (v) => (v ? "1" : "0"),
  skipLocked: "",
  toJson: (v) => JSON.stringify(v),
  contains: (haystack, needle) => `instr(${haystack}, ${needle}) > 0`,
  // The SQLite column is COLLATE NOCASE already (ASCII folding), so its index serves this.
  nocaseEquals: (column, param) => `${column} = ${param}`,
  jsonSet: (target, key, value) => `json_set(${target}, '$.${jsonPath([key])[0]}', ${value})`,
  ts: (param) => param,
};

export const POSTGRES_DIALECT: Dialect = {
  name: "postgres",
  json: (column, ...path) => `(${column} #>> '{${jsonPath(path).join(",")}}')`,
  // Timestamps are TIMESTAMPTZ; China has had no daylight saving since 1991, so +8 is exact.
  day: (column) => `to_char((${column})::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')`,
  bool: (v) => (v ? "true" : "false"),
  skipLocked: " FOR UPDATE SKIP LOCKED",
  toJson: pgJson,
  contains: (haystack, needle) => `strpos(${haystack}, ${needle}) > 0`,
  // lower() in the "C" collation folds ASCII only, as SQLite's NOCASE; the unique index is on lower(username).
  nocaseEquals: (column, param) => `lower(${column}) = lower(${param}::text COLLATE "C")`,
  jsonSet: (target, key, value) =>
    `jsonb_set((${target})::jsonb, '{${jsonPath([key])[0]}}', COALESCE(to_jsonb((${value})::text), 'null'::jsonb))`,
  ts: (param) => `${param}::timestamptz`,
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

/** Runs `fn` after the runs queued before it; `queue` holds the tail. */
function serialise<T>(queue: { tail: Promise<unknown> }, fn: () => Promise<T>): Promise<T> {
  const next = queue.tail.then(fn, fn);
  queue.tail = next.catch(() => undefined);
  return next;
}

/**
 * What every SqliteSql on one database file shares in this process: the write queue and the
 * exclusive() lanes. Two connections on one file in one process must not both hold a write
 * transaction across an await: the second's BEGIN would wait synchronously (busy_timeout)
 * and block the event loop that the first needs to commit.
 */
interface SqliteShared {
  tx: { tail: Promise<unknown> };
  /** Transactions queued or running. */
  pending: number;
  inTx: AsyncLocalStorage<true>;
  held: Map<string, { tail: Promise<unknown>; holder: AsyncLocalStorage<true> }>;
}
const sqliteFiles = new Map<string, SqliteShared>();
const sqliteMemory = new WeakMap<SqliteDb, SqliteShared>();
const sqliteStatements = new WeakMap<SqliteDb, Map<string, Database.Statement>>();

function sharedOf(db: SqliteDb): SqliteShared {
  const fresh = (): SqliteShared => ({ tx: { tail: Promise.resolve() }, pending: 0, inTx: new AsyncLocalStorage(), held: new Map() });
  if (db.memory) {
    if (!sqliteMemory.has(db)) sqliteMemory.set(db, fresh());
    return sqliteMemory.get(db)!;
  }
  const file = resolve(db.name);
  if (!sqliteFiles.has(file)) sqliteFiles.set(file, fresh());
  return sqliteFiles.get(file)!;
}

export class SqliteSql implements SqlDb {
  readonly dialect = SQLITE_DIALECT;
  // Transactions are serialised (per file, see SqliteShared) so that an await inside one does
  // not let another caller's write slip into it or wait on it. A transaction() called from
  // inside one (same async context) joins it instead of waiting for itself. A write outside a
  // transaction queues as a transaction of its own.
  private readonly shared: SqliteShared;
  private readonly statements: Map<string, Database.Statement>;

  constructor(readonly db: SqliteDb) {
    this.shared = sharedOf(db);
    if (!sqliteStatements.has(db)) sqliteStatements.set(db, new Map());
    this.statements = sqliteStatements.get(db)!;
  }

  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // Statements built from filters vary; keep the cache bounded.
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs `use` on the statement; a write outside a transaction waits for any transaction. */
  private exec<T>(sql: string, use: (stmt: Database.Statement) => T): Promise<T> {
    const stmt = this.prepare(sql);
    if (stmt.readonly || this.shared.inTx.getStore() || this.shared.pending === 0) {
      try {
        return Promise.resolve(use(stmt));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.transaction(async () => use(stmt));
  }

  all<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.exec(sql, (s) => s.all(...sqliteParams(params)) as T[]);
  }

  get<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return this.exec(sql, (s) => s.get(...sqliteParams(params)) as T | undefined);
  }

  run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return this.exec(sql, (s) => ({ changes: s.run(...sqliteParams(params)).changes }));
  }

  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    const { inTx } = this.shared;
    if (inTx.getStore()) return fn(this);
    this.shared.pending += 1;
    return serialise(this.shared.tx, () =>
      inTx.run(true, async () => {
        try {
          this.db.exec("BEGIN IMMEDIATE");
          try {
            const out = await fn(this);
            this.db.exec("COMMIT");
            return out;
          } catch (err) {
            if (this.db.inTransaction) this.db.exec("ROLLBACK");
            throw err;
          }
        } finally {
          this.shared.pending -= 1;
        }
      }),
    );
  }

  exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let lane = this.shared.held.get(key);
    if (!lane) this.shared.held.set(key, (lane = { tail: Promise.resolve(), holder: new AsyncLocalStorage() }));
    const { holder } = lane;
    if (holder.getStore()) return fn();
    return serialise(lane, () => holder.run(true, fn));
  }

  async lock(): Promise<void> {
    if (!this.shared.inTx.getStore()) throw new Error("lock() outside a transaction");
  }
}

/** The transaction connection of the current async context, shared by every PgSql on one pool. */
const pgShared = new WeakMap<PgPool, { txClient: AsyncLocalStorage<PgQueryable>; held: AsyncLocalStorage<Set<string>> }>();

export class PgSql implements SqlDb {
  readonly dialect = POSTGRES_DIALECT;
  /** The connection of the transaction the current async context runs in, if any. */
  private readonly txClient: AsyncLocalStorage<PgQueryable>;
  /** The exclusive() keys the current async context holds. */
  private readonly held: AsyncLocalStorage<Set<string>>;

  constructor(readonly pool: PgPool) {
    let shared = pgShared.get(pool);
    if (!shared) pgShared.set(pool, (shared = { txClient: new AsyncLocalStorage(), held: new AsyncLocalStorage() }));
    this.txClient = shared.txClient;
    this.held = shared.held;
  }

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

  /** A session advisory lock on a connection of its own, per schema, for the whole of `fn`. */
  async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const held = this.held.getStore();
    if (held?.has(key)) return fn();
    const client = await this.pool.connect();
    const lockKey = "hashtext(CAST(? AS text) || current_schema())";
    try {
      await client.query(numberPlaceholders(`SELECT pg_advisory_lock(${lockKey})`), [key]);
      try {
        return await this.held.run(new Set([...(held ?? []), key]), fn);
      } finally {
        await client.query(numberPlaceholders(`SELECT pg_advisory_unlock(${lockKey})`), [key]);
      }
    } finally {
      client.release();
    }
  }

  async lock(key: string): Promise<void> {
    if (!this.txClient.getStore()) throw new Error("lock() outside a transaction");
    await this.query("SELECT pg_advisory_xact_lock(hashtext(?))", [key]);
  }
}

/** A store's handle: SqlDb, or the SQLite connection or PostgreSQL pool to make one on. */
export type SqlHandle = SqlDb | SqliteDb | PgPool;

export function asSql(handle: SqlHandle): SqlDb {
  if ("dialect" in handle) return handle;
  return "prepare" in handle ? new SqliteSql(handle) : new PgSql(handle);
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
