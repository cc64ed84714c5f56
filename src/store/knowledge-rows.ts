// Row mappers of the knowledge tables, read the same way from both drivers (see rows.ts).

import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import type { ArticleUnit, LawStatus } from "../knowledge/types.ts";
import type { LawOverride, LawOverrideStatus, LawRow, SourceKind, SourceRow } from "./knowledge-store.ts";

export function toUnit(r: Row): ArticleUnit {
  return {
    id: String(r.id),
    law: String(r.law),
    article: String(r.article),
    articleNo: Number(r.article_no),
    articleSub: Number(r.article_sub),
    text: String(r.text),
    chapters: read.json<string[]>(r.chapters, []),
    level: r.level as ArticleUnit["level"],
    status: r.status as LawStatus,
    promulgated: read.textOrNull(r.promulgated),
    effective: read.textOrNull(r.effective),
    region: read.textOrNull(r.region),
    source: String(r.source),
    line: Number(r.line),
  };
}

export function toSource(r: Row): SourceRow {
  return {
    path: String(r.path),
    root: String(r.root),
    kind: r.kind as SourceKind,
    hash: String(r.hash),
    units: Number(r.units),
    ingestedAt: read.iso(r.ingested_at),
    lawKey: read.textOrNull(r.law_key),
    lawDate: read.textOrNull(r.law_date),
  };
}

/** One version of a law in the administration list (grouped query: n = its articles). */
export function toLawRow(r: Row): LawRow {
  return {
    law: String(r.law),
    source: String(r.source),
    level: String(r.level),
    status: r.status as LawStatus,
    effective: read.textOrNull(r.effective),
    promulgated: read.textOrNull(r.promulgated),
    articles: Number(r.n),
    override: read.textOrNull(r.override) as LawOverrideStatus | null,
  };
}

export function toOverride(r: Row): LawOverride {
  return {
    source: String(r.source),
    law: String(r.law),
    status: r.status as LawOverrideStatus,
    setBy: read.textOrNull(r.set_by),
    setAt: read.iso(r.set_at),
  };
}

/** Current versions first. */
export const STATUS_ORDER = "CASE status WHEN '现行有效' THEN 0 WHEN '尚未生效' THEN 1 WHEN '已修改' THEN 2 ELSE 3 END";
