import { chinaToday } from "../china-time.ts";
import type { ArticleUnit } from "./types.ts";

/** Today's date in China Standard Time, where the law takes effect (china-time.ts). */
export { chinaToday };

/** Only text that is in force today may be presented as current law. */
export function isCurrentLaw(unit: Pick<ArticleUnit, "status" | "effective">, now = new Date()): boolean {
  if (unit.status !== "现行有效") return false;
  return !unit.effective || unit.effective <= chinaToday(now);
}

/** The validity label shown beside a citation. */
export function validityLabel(unit: Pick<ArticleUnit, "status" | "effective">, now = new Date()): string {
  if (unit.status === "现行有效" && unit.effective && unit.effective > chinaToday(now)) return `尚未生效（${unit.effective}施行）`;
  return unit.status;
}
