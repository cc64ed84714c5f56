// Who is on duty when: weekly slots in Asia/Shanghai time, minus dates off, plus extra
// dates on. Pure functions of the entries and the moment, so routing is testable.

import { regionCovers } from "./regions.ts";
import { hhmmToMinutes, isDate, isHhmm, previousDate, toShanghai } from "./time.ts";
import { ValidationError, type RotaEntry, type RotaEntryInput, type WeeklySlot } from "./types.ts";

function inSlot(minutes: number, start: string, end: string, startedToday: boolean): boolean {
  const s = hhmmToMinutes(start);
  const e = hhmmToMinutes(end);
  if (e > s) return startedToday && minutes >= s && minutes < e;
  // Overnight slot (e.g. 18:00-08:00): the part before midnight belongs to the day it
  // started, the part after midnight to the next calendar day.
  return startedToday ? minutes >= s : minutes < e;
}

/** Whether the entry puts its user on duty at `at` (ignoring region and topic). */
export function entryOnDutyAt(entry: RotaEntry, at: Date): boolean {
  if (!entry.active) return false;
  const now = toShanghai(at);
  const yesterday = previousDate(now.date);
  const off = new Set(entry.datesOff);

  for (const extra of entry.datesOn) {
    if (extra.date !== now.date) continue;
    if (inSlot(now.minutes, extra.start ?? "00:00", extra.end ?? "24:00", true)) return true;
  }
  for (const slot of entry.schedule) {
    // A slot belongs to the date it starts on; a date off cancels the slots starting that day.
    if (slot.day === now.weekday && !off.has(now.date) && inSlot(now.minutes, slot.start, slot.end, true)) return true;
    const prevWeekday = now.weekday === 1 ? 7 : now.weekday - 1;
    if (slot.day === prevWeekday && !off.has(yesterday) && isOvernight(slot) && inSlot(now.minutes, slot.start, slot.end, false)) {
      return true;
    }
  }
  return false;
}

function isOvernight(slot: WeeklySlot): boolean {
  return hhmmToMinutes(slot.end) <= hhmmToMinutes(slot.start);
}

export function entryCoversTopic(entry: RotaEntry, topic: string | null): boolean {
  return entry.topics.length === 0 || (topic !== null && entry.topics.includes(topic));
}

/** A person on duty at a moment, with the rota entry that puts them there. */
export interface DutyMatch {
  userId: string;
  entryId: string;
  /** The entry region that matched (the most specific one when several do). */
  region: string;
}

/** Narrows who is on duty to a region and a topic. */
export interface DutyQuery {
  /** Only entries covering this region (null = unknown region: county-wide entries only). */
  region?: string | null;
  /** Only entries covering this topic; undefined = any topic. */
  topic?: string | null;
}

/** Entries on duty at `at` matching the query, one match per entry. */
export function onDutyAt(entries: readonly RotaEntry[], at: Date, query: DutyQuery = {}): DutyMatch[] {
  const out: DutyMatch[] = [];
  for (const e of entries) {
    if (!entryOnDutyAt(e, at)) continue;
    if (query.topic !== undefined && !entryCoversTopic(e, query.topic)) continue;
    if (query.region !== undefined) {
      const covering = e.regions.filter((r) => regionCovers(r, query.region ?? null));
      if (covering.length === 0) continue;
      out.push({ userId: e.userId, entryId: e.id, region: mostSpecific(covering) });
    } else {
      out.push({ userId: e.userId, entryId: e.id, region: mostSpecific(e.regions) });
    }
  }
  return out;
}

function mostSpecific(regions: string[]): string {
  return [...regions].sort((a, b) => b.split(".").length - a.split(".").length)[0] ?? "";
}

/** Checks a rota entry before it is stored; throws ValidationError in Chinese. */
export function validateRotaInput(input: RotaEntryInput): void {
  if (!input.userId) throw new ValidationError("请选择值班人员");
  if (!input.regions || input.regions.length === 0) throw new ValidationError("请至少选择一个值班区域");
  // Requests come from JSON: anything can sit where an object or a string belongs.
  if (input.schedule !== undefined && !Array.isArray(input.schedule)) throw new ValidationError("值班时段格式不正确");
  if (input.datesOn !== undefined && !Array.isArray(input.datesOn)) throw new ValidationError("加班日期格式不正确");
  for (const slot of input.schedule ?? []) {
    if (!slot || typeof slot !== "object") throw new ValidationError("值班时段格式不正确");
    if (typeof slot.start !== "string" || typeof slot.end !== "string") throw new ValidationError("时间格式应为HH:MM");
    if (!Number.isInteger(slot.day) || slot.day < 1 || slot.day > 7) throw new ValidationError(`星期取值应为1-7：${slot.day}`);
    if (!isHhmm(slot.start) || !isHhmm(slot.end) || slot.start === "24:00") throw new ValidationError(`时间格式应为HH:MM：${slot.start}-${slot.end}`);
    if (slot.start === slot.end) throw new ValidationError("开始时间与结束时间不能相同");
  }
  for (const d of input.datesOff ?? []) if (typeof d !== "string" || !isDate(d)) throw new ValidationError(`日期格式应为YYYY-MM-DD：${d}`);
  for (const x of input.datesOn ?? []) {
    if (!x || typeof x !== "object" || typeof x.date !== "string") throw new ValidationError("加班日期格式不正确");
    if ((x.start !== undefined && x.start !== null && typeof x.start !== "string") || (x.end !== undefined && x.end !== null && typeof x.end !== "string")) throw new ValidationError("时间格式应为HH:MM");
    if (!isDate(x.date)) throw new ValidationError(`日期格式应为YYYY-MM-DD：${x.date}`);
    if ((x.start && !isHhmm(x.start)) || (x.end && !isHhmm(x.end))) throw new ValidationError("时间格式应为HH:MM");
  }
}
