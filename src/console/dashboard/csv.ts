// CSV for Excel: UTF-8 with a byte-order mark (without it Excel on Chinese Windows reads the
// file as GBK and shows mojibake), CRLF rows, RFC 4180 quoting.

import type { Cell, Table } from "./tables.ts";

const BOM = "\uFEFF";

export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  let s = String(v);
  // A resident's text starting with = + - @ would run as a formula in Excel: keep it text.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(table: Pick<Table, "columns" | "rows">): string {
  const lines = [table.columns.map((c) => csvCell(c.label)).join(",")];
  for (const row of table.rows) lines.push(table.columns.map((c) => csvCell(row[c.key] ?? null)).join(","));
  return BOM + lines.join("\r\n") + "\r\n";
}
