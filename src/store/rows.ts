// Reading a row the same way from both drivers. better-sqlite3 returns ISO text, 1/0 and JSON
// text; node-postgres returns Date, boolean, parsed JSONB and BIGINT as a string. The row
// mappers written with these serve the SQLite and the PostgreSQL store alike.

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
