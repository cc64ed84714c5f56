// Row mappers of the knowledge tables, read the same way from both drivers (see rows.ts); the
// administration rows are typed by their mappers.

import type { ArticleUnit, LawStatus } from "../knowledge/types.ts";
import type { SourceRow } from "./knowledge-store.ts";
import { iso, jsonOr, num, oneOf, reader, text, textOrNull, type Read } from "./rows.ts";

export const toUnit = reader<ArticleUnit>({
  id: text, law: text, article: text, articleNo: num, articleSub: num, text, chapters: jsonOr<string[]>(() => []), level: oneOf(),
  status: oneOf(), promulgated: textOrNull, effective: textOrNull, region: textOrNull, source: text, line: num,
});

export const toSource = reader<SourceRow>({
  path: text, root: text, kind: oneOf(), hash: text, units: num, ingestedAt: iso, lawKey: textOrNull, lawDate: textOrNull,
});

/** An administrator's mark on a law: repealed or superseded. */
export type LawOverrideStatus = "已失效" | "已修改";

/** One version of a law in the administration list (grouped query: n = its articles). */
export const toLawRow = reader({
  law: text, source: text, level: text, status: oneOf<LawStatus>(), effective: textOrNull, promulgated: textOrNull, articles: ["n", num],
  /** The administrator's mark, when there is one. */
  override: textOrNull as Read<LawOverrideStatus | null>,
});
export type LawRow = ReturnType<typeof toLawRow>;

export const toOverride = reader({ source: text, law: text, status: oneOf<LawOverrideStatus>(), setBy: textOrNull, setAt: iso });
export type LawOverride = ReturnType<typeof toOverride>;

/** Current versions first. */
export const STATUS_ORDER = "CASE status WHEN '现行有效' THEN 0 WHEN '尚未生效' THEN 1 WHEN '已修改' THEN 2 ELSE 3 END";
