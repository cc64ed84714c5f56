// What the dashboard is asked for: a date range in Asia/Shanghai days and optional channel,
// topic, region (a region includes everything below it) and group filters, intersected with
// the regions the viewer may see. Turned into SQL conditions with bound parameters only.

import { CHINA_OFFSET_MS as SHANGHAI_OFFSET_MS } from "../../china-time.ts";
import { HttpError } from "../../server/errors.ts";
import { regionClause } from "../../store/sql.ts";

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_DAYS = 366;

export interface Filters {
  /** First and last day, inclusive, YYYY-MM-DD in Shanghai time. */
  from: string;
  to: string;
  channel: string | null;
  topic: string | null;
  region: string | null;
  group: string | null;
}

/** Regions the viewer may see; null means everything (admins). */
export type Scope = readonly string[] | null;

export function shanghaiDay(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The UTC instant a Shanghai day starts. */
export function dayStart(day: string): Date {
  return new Date(Date.parse(`${day}T00:00:00Z`) - SHANGHAI_OFFSET_MS);
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from..to inclusive, so days without events still get a (zero) row. */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

/** [start, end) in ISO UTC, comparable with the stored toISOString() timestamps. */
export function rangeBounds(f: Pick<Filters, "from" | "to">): { start: string; end: string } {
  return { start: dayStart(f.from).toISOString(), end: dayStart(addDays(f.to, 1)).toISOString() };
}

const one = (v: unknown): string | null => (typeof v === "string" && v.trim() && v !== "all" ? v.trim().slice(0, 200) : null);

/** Query string → filters; default range: the 30 days ending today. */
export function parseFilters(q: Record<string, unknown>, now: Date): Filters {
  const today = shanghaiDay(now);
  const to = one(q.to) ?? today;
  const from = one(q.from) ?? addDays(to, -29);
  if (!DATE.test(from) || !DATE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) {
    throw new HttpError(400, "日期格式应为 YYYY-MM-DD", "bad_date");
  }
  if (from > to) throw new HttpError(400, "开始日期不能晚于结束日期", "bad_range");
  if (daysBetween(from, to).length > MAX_DAYS) throw new HttpError(400, "日期范围最长一年", "bad_range");
  return { from, to, channel: one(q.channel), topic: one(q.topic), region: one(q.region), group: one(q.group) };
}

/**
 * The viewer's scope as SQL. A row without a region is visible only to county-wide scopes
 * (the same rule as referral access in src/referral/regions.ts, written once in the store).
 */
export function scopeSql(column: string, scope: Scope, params: unknown[]): string {
  // Comparisons rather than bare 1/0: PostgreSQL wants a boolean here.
  if (scope === null) return "1 = 1";
  const covered = regionClause(scope, { none: "1 = 0", column });
  params.push(...covered.params);
  return covered.sql;
}

export interface Columns {
  /** Event time (ISO UTC text in SQLite, TIMESTAMPTZ in PostgreSQL; both compare with ISO params). */
  at: string;
  channel?: string;
  topic?: string;
  region?: string;
  group?: string;
}

/** WHERE clause for one query: range, filters and scope, with its parameters. */
export function whereSql(f: Filters, scope: Scope, cols: Columns): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const { start, end } = rangeBounds(f);
  const parts = [`${cols.at} >= ?`, `${cols.at} < ?`];
  params.push(start, end);
  if (f.channel && cols.channel) {
    parts.push(`${cols.channel} = ?`);
    params.push(f.channel);
  }
  if (f.topic && cols.topic) {
    parts.push(`${cols.topic} = ?`);
    params.push(f.topic);
  }
  if (f.group && cols.group) {
    parts.push(`${cols.group} = ?`);
    params.push(f.group);
  }
  if (cols.region) {
    if (f.region) {
      // The chosen region or below it; rows without a region are not in it.
      const chosen = regionClause([f.region], { none: "1 = 0", column: cols.region, unplaced: false });
      parts.push(chosen.sql);
      params.push(...chosen.params);
    }
    parts.push(scopeSql(cols.region, scope, params));
  }
  return { sql: parts.join(" AND "), params };
}
