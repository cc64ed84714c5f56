// An administrator's upload: what the file is and its problems (checked before anything is
// stored), and where an accepted file is kept as the ingested source.

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { GuideError, looksLikeGuide, parseGuide } from "./guides.ts";
import type { IngestSummary } from "./ingest.ts";
import { parseLawJsonl } from "./law-jsonl.ts";
import { LawParseError, parseLawMarkdown } from "./law-markdown.ts";
import type { Guide } from "./types.ts";

/** One problem of an uploaded file, by line (0 when the whole file is at fault). */
export interface UploadProblem {
  line: number;
  message: string;
}

/** What an uploaded file is and what is wrong with it, before anything is stored. */
export interface UploadCheck {
  kind: "guide" | "law_markdown" | "law_jsonl";
  problems: UploadProblem[];
  guide?: Guide;
  /** Articles the file holds, and the laws they belong to. */
  articles: number;
  laws: string[];
}

/** The outcome of an upload: stored and ingested (`ok`), or refused with its problems. */
export interface UploadResult extends UploadCheck {
  ok: boolean;
  /** Where the file is kept (the ingested source), null when rejected before storing. */
  path: string | null;
  summary: IngestSummary | null;
}

/** Checks an uploaded file without storing anything: what it is, and its problems with line numbers. */
export function validateUpload(filename: string, content: string): UploadCheck {
  const name = basename(filename);
  if (name.endsWith(".jsonl")) {
    const { units, problems } = parseLawJsonl(content, name);
    if (units.length === 0 && problems.length === 0) problems.push({ line: 1, message: "文件中没有条文" });
    return { kind: "law_jsonl", problems, articles: units.length, laws: [...new Set(units.map((u) => u.law))] };
  }
  if (looksLikeGuide(content)) {
    try {
      const guide = parseGuide(content, name);
      return { kind: "guide", problems: [], guide, articles: 0, laws: [] };
    } catch (e) {
      const line = e instanceof GuideError ? e.line : 0;
      return { kind: "guide", problems: [{ line, message: e instanceof GuideError ? e.detail : (e as Error).message }], articles: 0, laws: [] };
    }
  }
  try {
    const law = parseLawMarkdown(content);
    if (law.articles.length === 0) return { kind: "law_markdown", problems: [{ line: 1, message: "没有找到条文（第X条）" }], articles: 0, laws: [] };
    return { kind: "law_markdown", problems: [], articles: law.articles.length, laws: [law.title] };
  } catch (e) {
    return { kind: "law_markdown", problems: [{ line: e instanceof LawParseError ? e.line : 0, message: (e as Error).message }], articles: 0, laws: [] };
  }
}

/**
 * Keeps a checked upload under `uploadDir` (guides/ or laws/) and returns its path. Written
 * to a temporary name and renamed, so ingestion never reads half a file.
 */
export function saveUpload(uploadDir: string, check: UploadCheck, filename: string, content: string): string {
  const folder = check.kind === "guide" ? "guides" : "laws";
  // A guide is stored by its id, so an edit replaces the earlier upload of the same guide.
  const name = check.kind === "guide" ? `${check.guide!.id}.md` : safeFileName(filename);
  const dir = join(uploadDir, folder);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
  return path;
}

/** A file name safe on any file system, keeping Chinese titles readable. */
function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, "/"));
  const ext = base.endsWith(".jsonl") ? ".jsonl" : ".md";
  const stem = base.slice(0, base.length - ext.length).replace(/[^\p{L}\p{N}()（）_.-]+/gu, "_").replace(/^\.+/, "").slice(0, 120);
  return `${stem || "upload"}${ext}`;
}
