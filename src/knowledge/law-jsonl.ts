// The JSONL interchange format for statutes, one article per line:
//   {id, law, article, text, status?, level?, effective?, region?}
// (the layout of STARD's corpus.jsonl). Paragraphs may be separated by blank lines.

import { z } from "zod";
import { parseArticleLabel, formatArticleLabel } from "./article-number.ts";
import type { ArticleUnit, LawLevel, LawStatus } from "./types.ts";

export const LAW_LEVELS = ["宪法", "法律", "行政法规", "司法解释", "部门规章", "地方性法规", "案例", "其他"] as const;
export const LAW_STATUSES = ["现行有效", "已修改", "已失效", "尚未生效", "未知"] as const;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected YYYY-MM-DD");

export const InterchangeLine = z.object({
  id: z.string().min(1).max(200),
  law: z.string().min(1).max(300),
  article: z.string().min(1).max(40),
  text: z.string().min(1).max(100_000),
  status: z.enum(LAW_STATUSES).optional(),
  level: z.enum(LAW_LEVELS).optional(),
  effective: isoDate.nullish(),
  promulgated: isoDate.nullish(),
  region: z.string().max(100).nullish(),
  chapters: z.array(z.string()).optional(),
});

export interface JsonlOptions {
  /**
   * Ranking an outside corpus keeps every line it can: an unknown status becomes 未知 and an
   * article label that is not 第X条 is kept as written (number 0), instead of being rejected.
   */
  lenient?: boolean;
}

export interface JsonlProblem {
  line: number;
  message: string;
}

/** Parses a whole JSONL file; bad lines are reported and skipped, never fatal. */
export function parseLawJsonl(content: string, source: string, opts: JsonlOptions = {}): { units: ArticleUnit[]; problems: JsonlProblem[] } {
  const units: ArticleUnit[] = [];
  const problems: JsonlProblem[] = [];
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      problems.push({ line, message: `not valid JSON (${(e as Error).message})` });
      return;
    }
    const parsed = InterchangeLine.safeParse(opts.lenient ? relax(json) : json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      problems.push({ line, message: `${issue.path.join(".") || "line"}: ${issue.message}` });
      return;
    }
    const d = parsed.data;
    // Whitespace passes the schema's length check but leaves nothing to quote or cite (an
    // outside corpus read leniently keeps a line with a law and a text, whatever its label).
    const blank = (opts.lenient ? (["law", "text"] as const) : (["law", "article", "text"] as const)).find((k) => d[k].trim() === "");
    if (blank) {
      problems.push({ line, message: `${blank}: empty` });
      return;
    }
    const no = parseArticleLabel(d.article);
    if (!no && !opts.lenient) {
      problems.push({ line, message: `article: "${d.article}" is not an article number` });
      return;
    }
    units.push({
      id: d.id,
      law: d.law.trim(),
      article: no ? formatArticleLabel(no.no, no.sub) : d.article.trim(),
      articleNo: no?.no ?? 0,
      articleSub: no?.sub ?? 0,
      text: d.text.replace(/\r/g, "").replace(/\n\s*\n/g, "\n").trim(),
      chapters: d.chapters ?? [],
      level: (d.level ?? guessLevel(d.law)) as LawLevel,
      status: (d.status ?? "现行有效") as LawStatus,
      promulgated: d.promulgated ?? null,
      effective: d.effective ?? null,
      region: d.region ?? null,
      source,
      line,
    });
  });
  return { units, problems };
}

/** Lenient reading: ids may be numbers, unknown enum values fall back, dates may be junk. */
function relax(json: unknown): unknown {
  if (typeof json !== "object" || json === null) return json;
  const o = { ...(json as Record<string, unknown>) };
  if (typeof o.id === "number") o.id = String(o.id);
  if (o.status != null && !(LAW_STATUSES as readonly unknown[]).includes(o.status)) o.status = "未知";
  if (o.level != null && !(LAW_LEVELS as readonly unknown[]).includes(o.level)) o.level = "其他";
  for (const k of ["effective", "promulgated"]) if (o[k] != null && !/^\d{4}-\d{2}-\d{2}$/.test(String(o[k]))) o[k] = null;
  if (o.region != null && typeof o.region !== "string") o.region = null;
  if (o.chapters != null && !Array.isArray(o.chapters)) delete o.chapters;
  return o;
}

/** A best guess of 效力等级 from the title, for sources that do not say. */
export function guessLevel(title: string): LawLevel {
  if (/宪法/.test(title) && !/宪法相关/.test(title)) return "宪法";
  if (/^最高人民(法院|检察院)|司法解释|的解释$|若干问题的(规定|意见)/.test(title)) return "司法解释";
  if (/^中华人民共和国.+法$|^全国人民代表大会常务委员会关于/.test(title)) return "法律";
  if (/条例$/.test(title)) return "行政法规";
  return "其他";
}
