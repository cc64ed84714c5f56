// Reading the article interchange JSONL ({id, law, article, text, status?, level?,
// effective?, region?, chapters?}) into ArticleUnits.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import type { ArticleUnit, LawLevel, LawStatus } from "../knowledge/types.ts";
import { canonicalArticleLabel, parseArticleLabel } from "../knowledge/article-number.ts";

const STATUSES: LawStatus[] = ["现行有效", "已修改", "已失效", "尚未生效", "未知"];
const LEVELS: LawLevel[] = ["宪法", "法律", "行政法规", "司法解释", "部门规章", "地方性法规", "案例", "其他"];

export interface CorpusLine {
  id: string;
  law: string;
  article: string;
  text: string;
  status?: string | null;
  level?: string | null;
  effective?: string | null;
  promulgated?: string | null;
  region?: string | null;
  chapters?: string[];
}

/** One JSONL line -> ArticleUnit. Missing status means 现行有效 (the STARD corpus is all in force). */
export function corpusLineToUnit(l: CorpusLine, source: string, line: number): ArticleUnit {
  const num = parseArticleLabel(l.article);
  return {
    id: String(l.id),
    law: l.law,
    article: num ? canonicalArticleLabel(l.article) : l.article,
    articleNo: num?.no ?? 0,
    articleSub: num?.sub ?? 0,
    text: l.text.replace(/\n{2,}/g, "\n"),
    chapters: Array.isArray(l.chapters) ? l.chapters : [],
    level: LEVELS.includes(l.level as LawLevel) ? (l.level as LawLevel) : "其他",
    status: l.status == null ? "现行有效" : STATUSES.includes(l.status as LawStatus) ? (l.status as LawStatus) : "未知",
    promulgated: l.promulgated ?? null,
    effective: l.effective ?? null,
    region: l.region ?? null,
    source,
    line,
  };
}

export function readCorpusJsonl(path: string): ArticleUnit[] {
  const source = basename(path);
  const out: ArticleUnit[] = [];
  readFileSync(path, "utf8")
    .split("\n")
    .forEach((raw, i) => {
      if (raw.trim() === "") return;
      out.push(corpusLineToUnit(JSON.parse(raw) as CorpusLine, source, i + 1));
    });
  return out;
}
