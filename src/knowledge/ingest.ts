// `lawdesk ingest PATH…`: files or folders of statutes (Markdown or JSONL) and service
// guides go into the knowledge store. Unchanged files (same content hash) are skipped; a
// malformed file or line is reported with its path and line and the rest goes on.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { KnowledgeStore, SourceKind, SourceRow } from "../store/knowledge-store.ts";
import { GuideError, looksLikeGuide, parseGuide } from "./guides.ts";
import { guessLevel, LAW_LEVELS, LAW_STATUSES, parseLawJsonl } from "./law-jsonl.ts";
import { LawParseError, parseLawMarkdown } from "./law-markdown.ts";
import { loadLawRevisions, revisionSuperseding, type LawRevision } from "./revisions.ts";
import { chinaToday } from "./status.ts";
import { PROJECT_ROOT } from "../config.ts";
import type { ArticleUnit, Guide, LawLevel, LawStatus } from "./types.ts";

export interface IngestProblem {
  path: string;
  line: number;
  message: string;
}

export interface IngestSummary {
  files: number;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  articles: number;
  guides: number;
  /** Files (or lines of files) left out, with the reason. */
  skipped: IngestProblem[];
  changed: boolean;
}

export interface IngestOptions {
  onProgress?: (done: number, total: number, path: string) => void;
  now?: Date;
  /** Laws revised after their imported text (default: the bundled knowledge/law-revisions.yaml). */
  revisions?: readonly LawRevision[];
  /** Guide ids whose stored version must not be replaced (an administrator's own text). */
  keepGuides?: ReadonlySet<string>;
}

/** Metadata of one law file from a collection's index.jsonl. */
interface LawMeta {
  title?: string;
  subtitle?: string;
  status?: string | null;
  promulgated?: string | null;
  effective?: string | null;
  level?: string | null;
  category?: string | null;
}

interface Candidate {
  path: string;
  root: string;
  rel: string;
}

/** Bumped when parsing changes, so re-ingest redoes files whose content did not change. */
const INGEST_VERSION = "2";

const SKIP_NAMES = new Set(["index.jsonl", "_index.md", "README.md", "readme.md"]);

export function ingestPaths(store: KnowledgeStore, paths: string[], options: IngestOptions = {}): Promise<IngestSummary> {
  // One ingest at a time per store, across processes (see KnowledgeStore.exclusive).
  return store.exclusive(() => ingestUnlocked(store, paths, options));
}

async function ingestUnlocked(store: KnowledgeStore, paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const summary: IngestSummary = { files: 0, added: 0, updated: 0, unchanged: 0, removed: 0, articles: 0, guides: 0, skipped: [], changed: false };
  const candidates: Candidate[] = [];
  const roots = new Set<string>();
  for (const p of paths) {
    const abs = resolve(p);
    if (!existsSync(abs)) {
      summary.skipped.push({ path: abs, line: 0, message: "no such file or folder" });
      continue;
    }
    if (statSync(abs).isDirectory()) {
      // A sub-folder of a collection still reads the collection's index.jsonl.
      roots.add(abs);
      const root = findCollectionRoot(join(abs, "_")) ?? abs;
      for (const f of walk(abs)) candidates.push({ path: f, root, rel: relative(root, f) });
    } else {
      const root = findCollectionRoot(abs) ?? dirname(abs);
      candidates.push({ path: abs, root, rel: relative(root, abs) });
    }
  }
  const metaByRoot = new Map<string, Map<string, LawMeta>>();
  const now = options.now ?? new Date();
  const revisions = options.revisions ?? loadLawRevisions(resolve(PROJECT_ROOT, "knowledge"));
  summary.files = candidates.length;

  for (const [i, c] of candidates.entries()) {
    options.onProgress?.(i, candidates.length, c.rel);
    let meta = metaByRoot.get(c.root);
    if (!meta) {
      meta = loadIndexJsonl(c.root);
      metaByRoot.set(c.root, meta);
    }
    const fileMeta = meta.get(c.rel.split("\\").join("/"));
    let content: string;
    try {
      content = readFileSync(c.path, "utf8");
    } catch (e) {
      summary.skipped.push({ path: c.path, line: 0, message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    // A revision listed for this law re-ingests its files, so the mark follows the list.
    const revision = revisions.find((r) => r.law === fileMeta?.title || c.rel.includes(r.law.replace(/^中华人民共和国/, ""))) ?? null;
    const hash = createHash("sha1").update(INGEST_VERSION).update(content).update(JSON.stringify(fileMeta ?? null)).update(revision ? JSON.stringify(revision) : "").digest("hex");
    const existing = await store.getSource(c.path);
    if (existing && existing.hash === hash) {
      summary.unchanged++;
      continue;
    }
    const parsed = parseFile(c, content, fileMeta, now, revisions);
    summary.skipped.push(...parsed.problems);
    if (parsed.kind === null) continue;
    const kept = parsed.guides.find((g) => options.keepGuides?.has(g.id));
    if (kept) {
      summary.skipped.push({ path: c.path, line: 0, message: `guide ${kept.id}: an administrator's version is in use; this text was not applied` });
      continue;
    }
    const row: SourceRow = {
      path: c.path,
      root: c.root,
      kind: parsed.kind,
      hash,
      units: parsed.articles.length + parsed.guides.length,
      ingestedAt: now.toISOString(),
      lawKey: parsed.lawKey ?? null,
      lawDate: parsed.lawDate ?? null,
    };
    await store.replaceSource(row, parsed.articles, parsed.guides);
    summary.articles += parsed.articles.length;
    summary.guides += parsed.guides.length;
    if (existing) summary.updated++;
    else summary.added++;
    summary.changed = true;
  }
  options.onProgress?.(candidates.length, candidates.length, "");

  // A file that disappeared from an ingested folder takes its units with it.
  const seen = new Set(candidates.map((c) => c.path));
  const all = roots.size > 0 ? await store.listSources() : [];
  for (const root of roots) {
    for (const s of all.filter((x) => x.path.startsWith(root + sep))) {
      if (!seen.has(s.path) && !existsSync(s.path)) {
        await store.removeSource(s.path);
        summary.removed++;
        summary.changed = true;
      }
    }
  }
  if (summary.changed) {
    await store.resolveVersions();
    await store.bumpVersion();
  }
  return summary;
}

interface ParsedFile {
  kind: SourceKind | null;
  lawKey?: string;
  lawDate?: string | null;
  articles: ArticleUnit[];
  guides: Guide[];
  problems: IngestProblem[];
}

function parseFile(c: Candidate, content: string, meta: LawMeta | undefined, now: Date, revisions: readonly LawRevision[]): ParsedFile {
  const out: ParsedFile = { kind: null, articles: [], guides: [], problems: [] };
  if (c.path.endsWith(".jsonl")) {
    const { units, problems } = parseLawJsonl(content, c.path);
    out.problems = problems.map((p) => ({ path: c.path, ...p }));
    out.articles = units.map((u) => ({ ...u, status: revisionSuperseding(revisions, u.law, u.promulgated ?? null) && u.status === "现行有效" ? "已修改" : statusOnDate(u.status, u.effective, now) }));
    out.kind = "law_jsonl";
    return out;
  }
  if (looksLikeGuide(content)) {
    try {
      out.guides = [parseGuide(content, c.path)];
      out.kind = "guide";
    } catch (e) {
      const line = e instanceof GuideError ? e.line : 0;
      out.problems.push({ path: c.path, line, message: e instanceof GuideError ? e.detail : (e as Error).message });
    }
    return out;
  }
  try {
    const law = parseLawMarkdown(content);
    if (law.articles.length === 0) {
      out.problems.push({ path: c.path, line: 1, message: "no articles (第X条) found" });
      return out;
    }
    const title = meta?.title ?? law.title;
    // A subtitle names a part of one law (the Civil Code's 总则, 物权编 … 附则), not a version.
    const part = meta?.subtitle ?? law.subtitle;
    const history = law.history.map((h) => h.date).filter((d): d is string => d !== null).sort();
    const promulgated = meta?.promulgated ?? history[history.length - 1] ?? null;
    const effective = meta?.effective ?? null;
    const level = (LAW_LEVELS as readonly string[]).includes(meta?.level ?? "") ? (meta!.level as LawLevel) : guessLevel(title);
    const metaStatus = (LAW_STATUSES as readonly string[]).includes(meta?.status ?? "") ? (meta!.status as LawStatus) : "现行有效";
    // A law revised after this text was taken: the text stays searchable, never current.
    const superseded = metaStatus === "现行有效" && revisionSuperseding(revisions, title, promulgated) !== null;
    const status = superseded ? "已修改" : statusOnDate(metaStatus, effective, now);
    const region = level === "地方性法规" ? (meta?.category ?? null) : null;
    const prefix = createHash("sha1").update(c.rel.split("\\").join("/")).digest("hex").slice(0, 10);
    const used = new Map<string, number>();
    for (const a of law.articles) {
      const base = `${prefix}-${a.no}${a.sub ? `-${a.sub}` : ""}`;
      const n = (used.get(base) ?? 0) + 1;
      used.set(base, n);
      out.articles.push({
        id: n === 1 ? base : `${base}-dup${n}`,
        law: title,
        article: a.label,
        articleNo: a.no,
        articleSub: a.sub,
        text: a.text,
        chapters: part ? [part, ...a.chapters] : a.chapters,
        level,
        status,
        promulgated,
        effective,
        region,
        source: c.path,
        line: a.line,
      });
    }
    out.kind = "law_markdown";
    out.lawKey = part ? `${title}/${part}` : title;
    const fileDate = /\((\d{4}-\d{2}-\d{2})\)\.md$/.exec(c.path)?.[1] ?? null;
    out.lawDate = [fileDate, promulgated, effective, history[history.length - 1] ?? null].filter((d): d is string => !!d).sort().pop() ?? null;
  } catch (e) {
    out.problems.push({ path: c.path, line: e instanceof LawParseError ? e.line : 0, message: (e as Error).message });
  }
  return out;
}

function statusOnDate(status: LawStatus, effective: string | null, now: Date): LawStatus {
  return status === "现行有效" && effective && effective > chinaToday(now) ? "尚未生效" : status;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yield* walk(p);
    else if ((name.endsWith(".md") || name.endsWith(".jsonl")) && !SKIP_NAMES.has(name)) yield p;
  }
}

/** A single file from a collection: the nearest ancestor holding an index.jsonl. */
function findCollectionRoot(file: string): string | null {
  let dir = dirname(file);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "index.jsonl"))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

function loadIndexJsonl(root: string): Map<string, LawMeta> {
  const map = new Map<string, LawMeta>();
  const path = join(root, "index.jsonl");
  if (!existsSync(path)) return map;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const d = JSON.parse(line) as LawMeta & { path?: string };
      if (d.path) map.set(d.path, d);
    } catch {
      // A broken metadata line only loses that file's metadata; the law text still ingests.
    }
  }
  return map;
}
