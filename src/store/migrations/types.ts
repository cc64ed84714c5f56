import type { DialectName } from "../sql.ts";

/** A migration as a database runs it. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Column types that differ between the databases; everything else is written once. */
export interface SchemaTypes {
  dialect: DialectName;
  /** An auto-numbered primary key (AUTOINCREMENT: a deleted id is never reused). */
  serial: string;
  /** A 64-bit integer (SQLite's INTEGER is one already), e.g. a column that refers to a serial key. */
  bigint: string;
  /** A point in time: ISO-8601 text on SQLite, TIMESTAMPTZ on PostgreSQL. */
  ts: string;
  json: string;
  /** JSON defaults. */
  emptyList: string;
  emptyObject: string;
  flag: string;
  true: string;
  false: string;
  /** Text that is sorted or compared byte by byte (SQLite's BINARY is byte order already). */
  key: string;
}

/** A migration of both databases: `sql` writes the statements for one of them. */
export interface SchemaMigration {
  version: number;
  name: string;
  sql: (t: SchemaTypes) => string;
}

export const SQLITE_TYPES: SchemaTypes = {
  dialect: "sqlite",
  serial: "INTEGER PRIMARY KEY AUTOINCREMENT",
  bigint: "INTEGER",
  ts: "TEXT",
  json: "TEXT",
  emptyList: "'[]'",
  emptyObject: "'{}'",
  flag: "INTEGER",
  true: "1",
  false: "0",
  key: "TEXT",
};

export const POSTGRES_TYPES: SchemaTypes = {
  dialect: "postgres",
  serial: "BIGSERIAL PRIMARY KEY",
  bigint: "BIGINT",
  ts: "TIMESTAMPTZ",
  json: "JSONB",
  emptyList: "'[]'::jsonb",
  emptyObject: "'{}'::jsonb",
  flag: "BOOLEAN",
  true: "true",
  false: "false",
  key: 'TEXT COLLATE "C"',
};
