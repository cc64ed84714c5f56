// Row mappers of the knowledge tables, read the same way from both drivers (see rows.ts).

import type { ArticleUnit } from "../knowledge/types.ts";
import type { LawOverride, LawOverrideStatus, LawRow, SourceRow } from "./knowledge-store.ts";
import { iso, jsonOr, num, oneOf, reader, text, textOrNull, type Read } from "./rows.ts";

export const toUnit = reader<ArticleUnit>({
  id: text, law: text, article: text, articleNo: num, articleSub: num, text, chapters: jsonOr<string[]>(() => []), level: oneOf(),
  status: oneOf(), promulgated: textOrNull, effective: textOrNull, region: textOrNull, source: text, line: num,
});

export const toSource = reader<SourceRow>({
  path: text, root: text, kind: oneOf(), hash: text, units: num, ingestedAt: iso, lawKey: textOrNull, lawDate: textOrNull,
});

/** One version of a law in the administration list (grouped query: n = its articles). */
export const toLawRow = reader<LawRow>({
  law: text, source: text, level: text, status: oneOf(), effective: textOrNull, promulgated: textOrNull, articles: ["n", num],
  override: textOrNull as Read<LawOverrideStatus | null>,
});

export const toOverride = reader<LawOverride>({ source: text, law: text, status: oneOf(), setBy: textOrNull, setAt: iso });

/** Current versions first. */
export const STATUS_ORDER = "CASE status WHEN '现行有效' THEN 0 WHEN '尚未生效' THEN 1 WHEN '已修改' THEN 2 ELSE 3 END";
