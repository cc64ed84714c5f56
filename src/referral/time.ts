// Duty hours are kept in Asia/Shanghai wall-clock time (a fixed offset, CHINA_OFFSET_MS in china-time.ts).
import { CHINA_OFFSET_MS as OFFSET_MS } from "../china-time.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

export interface LocalTime {
  /** YYYY-MM-DD */
  date: string;
  /** ISO day of week, 1 = Monday … 7 = Sunday. */
  weekday: number;
  /** Minutes since local midnight. */
  minutes: number;
  year: number;
}

/**
 * A moment as Asia/Shanghai wall-clock time, which duty hours are written in.
 *
 * @example
 * ```ts
 * toShanghai(new Date("2026-01-05T01:30:00Z")); // { date: "2026-01-05", weekday: 1, minutes: 570, year: 2026 }
 * ```
 */
export function toShanghai(at: Date): LocalTime {
  const local = new Date(at.getTime() + OFFSET_MS);
  const day = local.getUTCDay();
  return {
    date: local.toISOString().slice(0, 10),
    weekday: day === 0 ? 7 : day,
    minutes: local.getUTCHours() * 60 + local.getUTCMinutes(),
    year: local.getUTCFullYear(),
  };
}

/** The local date before `date` (YYYY-MM-DD). */
export function previousDate(date: string): string {
  return new Date(Date.parse(date + "T00:00:00Z") - DAY_MS).toISOString().slice(0, 10);
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

export function isHhmm(s: string): boolean {
  return HHMM.test(s);
}

/** "08:30" → 510; "24:00" → 1440. */
export function hhmmToMinutes(s: string): number {
  if (!isHhmm(s)) throw new Error(`not a HH:MM time: ${s}`);
  const [h, m] = s.split(":").map(Number);
  return h * 60 + m;
}

export function isDate(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(s + "T00:00:00Z"));
}

/** A Shanghai wall-clock moment as a Date ("2026-02-10", "09:00"). Handy in tests and seeds. */
export function shanghai(date: string, time = "00:00"): Date {
  return new Date(Date.parse(`${date}T${time}:00Z`) - OFFSET_MS);
}
