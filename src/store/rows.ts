// Reading a row the same way from both drivers. better-sqlite3 returns ISO text, 1/0 and JSON
// text; node-postgres returns Date, boolean, parsed JSONB and BIGINT as a string. The row
// mappers written with these (see reader() below) serve the SQLite and the PostgreSQL store alike.

export type Row = Record<string, unknown>;

export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const intOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
export const iso = (v: unknown): string => isoOrNull(v) ?? "";
export const flag = (v: unknown): boolean => v === true || v === 1 || v === "1" || v === "t";

/** A JSON column: text from SQLite, already parsed from PostgreSQL's JSONB; `fallback` when NULL. */
export function json<T>(v: unknown, fallback: T): T {
  if (v === null || v === undefined || v === "") return fallback;
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

/** Reads one column's value. */
export type Read<V> = (v: unknown) => V;
export const text: Read<string> = (v) => String(v);
export const num: Read<number> = (v) => Number(v);
/** A text column holding one of a union of strings. */
export const oneOf = <V extends string>(): Read<V> => text as Read<V>;
/** A JSON column; `fallback` makes a fresh value for NULL (callers may change what they get). */
export const jsonOr = <V>(fallback: () => V): Read<V> => (v) => json(v, fallback());

/**
 * A row mapper from one reader per field. A field's column is its name in snake_case, or the
 * first element of a [column, reader] pair. Without a type argument the row type is inferred
 * from the readers (and a field's doc comment kept): a row the store defines is declared once.
 */
export function reader<T>(spec: { [K in keyof T]-?: Read<T[K]> | [string, Read<T[K]>] }): (r: Row) => T {
  const fields = Object.entries(spec as Record<string, Read<unknown> | [string, Read<unknown>]>).map(([key, s]) =>
    Array.isArray(s) ? ([key, s[0], s[1]] as const) : ([key, snakeCase(key), s] as const),
  );
  return (r) => {
    const out: Record<string, unknown> = {};
    for (const [key, column, read] of fields) out[key] = read(r[column]);
    return out as T;
  };
}

/** A field name as its column is named: `firstResponseAt` → `first_response_at`. */
export const snakeCase = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
