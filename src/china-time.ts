// China Standard Time, defined once. China has had no daylight saving since 1991, so a fixed
// +08:00 offset is exact and needs no time-zone database.

/** UTC+8 in milliseconds. */
export const CHINA_OFFSET_MS = 8 * 60 * 60 * 1000;

/** Today's date as YYYY-MM-DD in China Standard Time. */
export function chinaToday(now = new Date()): string {
  return new Date(now.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}
