// What the dashboard is asked for: a date range in Asia/Shanghai days and optional channel,
// topic, region (a region includes everything below it) and group filters, intersected with
// the regions the viewer may see. The report store turns them into SQL (src/store/report-sql.ts).

import { CHINA_OFFSET_MS as SHANGHAI_OFFSET_MS } from "../../china-time.ts";
import { HttpError } from "../../server/errors.ts";
import type { GroupOption, ReportFilter } from "../../store/report-sql.ts";

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

/** The filters and the viewer's scope as the report store reads them. */
export function reportFilter(f: Filters, scope: Scope): ReportFilter {
  return { ...rangeBounds(f), channel: f.channel, topic: f.topic, region: f.region, group: f.group, scope };
}

/**
 * The group filter's choices: the groups the channels know (with their names), then any other
 * group a question came from; one per group key, each part ordered by key. Sorted here, not
 * in SQL: the two databases collate text differently.
 */
export function groupChoices(known: readonly GroupOption[], asked: readonly GroupOption[]): GroupOption[] {
  const order = (a: GroupOption, b: GroupOption) => compare(a.groupKey, b.groupKey) || compare(a.channel, b.channel);
  const choices = new Map<string, GroupOption>();
  for (const g of [...[...known].sort(order), ...[...asked].sort(order)]) if (!choices.has(g.groupKey)) choices.set(g.groupKey, g);
  return [...choices.values()];
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
