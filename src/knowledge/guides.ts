// Service guides: Markdown with YAML front matter, written by the project in its own words.
// Validation reports the line of the offending key so an administrator can fix the file.

import matter from "gray-matter";
import { z } from "zod";
import { canonicalArticleLabel, parseArticleLabel } from "./article-number.ts";
import type { Guide } from "./types.ts";

const text = z.string().trim().min(1);
// YAML reads an unquoted 2026-12-02 as a date: accept both, keep YYYY-MM-DD.
const dateText = z.union([z.string(), z.date()]).transform((v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v.trim())).pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "use YYYY-MM-DD"));

export const GuideFrontMatter = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,80}$/, "use lower-case letters, digits and '-'"),
  title: text.max(100),
  topics: z.array(text).min(1),
  questions: z.array(text).min(1),
  legal_basis: z
    .array(
      z.object({
        law: text,
        article: text.refine((a) => parseArticleLabel(a) !== null, "not an article number such as 第三十条"),
      }),
    )
    .default([]),
  steps: z.array(text).min(1),
  materials: z.array(text).default([]),
  where: z.array(text).default([]),
  fees: z.string().default(""),
  time_limits: z.string().default(""),
  always_escalate: z.boolean().default(false),
  // When a lawyer last checked the guide, and against which version (promulgation date) of each law.
  review: z
    .object({
      date: dateText,
      laws: z.array(z.object({ law: text, version: dateText })).default([]),
    })
    .optional(),
});

export class GuideError extends Error {
  constructor(
    readonly source: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${source}:${line}: ${detail}`);
  }
}

/** True when a Markdown file looks like a guide (front matter with an id), not a statute. */
export function looksLikeGuide(content: string): boolean {
  return /^\uFEFF?---\r?\n[\s\S]*?^id\s*:/m.test(content.slice(0, 2000)) && content.trimStart().startsWith("---");
}

export function parseGuide(content: string, source: string): Guide {
  let parsed: matter.GrayMatterFile<string>;
  try {
    // A fresh options object each time: gray-matter caches by content otherwise.
    parsed = matter(content, {});
  } catch (e) {
    const mark = (e as { mark?: { line?: number } }).mark;
    throw new GuideError(source, (mark?.line ?? 0) + 2, `front matter is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const result = GuideFrontMatter.safeParse(parsed.data);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue.path[0] ?? "");
    throw new GuideError(source, lineOfKey(content, key), `${issue.path.join(".") || "front matter"}: ${issue.message}`);
  }
  const d = result.data;
  const body = parsed.content.trim();
  if (body.length < 20) throw new GuideError(source, lineCount(content), "the explanation after the front matter is missing or too short");
  return {
    id: d.id,
    title: d.title,
    topics: d.topics,
    questions: d.questions,
    legalBasis: d.legal_basis.map((b) => ({ law: b.law, article: canonicalArticleLabel(b.article) })),
    steps: d.steps,
    materials: d.materials,
    where: d.where,
    fees: d.fees,
    timeLimits: d.time_limits,
    alwaysEscalate: d.always_escalate,
    review: d.review ? { date: d.review.date, laws: d.review.laws } : null,
    body,
    source,
  };
}

function lineOfKey(content: string, key: string): number {
  if (key === "") return 1;
  const idx = content.split(/\r?\n/).findIndex((l) => l.startsWith(`${key}:`));
  return idx >= 0 ? idx + 1 : 1;
}

function lineCount(content: string): number {
  return content.split(/\r?\n/).length;
}
