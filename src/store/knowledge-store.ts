// Persistence of the knowledge base: ingested sources, their articles and guides.
// Async interface so a PostgreSQL implementation can stand beside the SQLite one.

import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import { AsyncLocalStorage } from "node:async_hooks";
import type { ArticleUnit, Guide, LawStatus } from "../knowledge/types.ts";
import type { SqliteDb } from "./sqlite.ts";

export type SourceKind = "law_markdown" | "law_jsonl" | "guide";

export interface SourceRow {
  path: string;
  root: string;
  kind: SourceKind;
  hash: string;
  units: number;
  ingestedAt: string;
  lawKey?: string | null;
  lawDate?: string | null;
}

export interface KnowledgeStore {
  /**
   * Runs `fn` while no other process ingests into this store (PostgreSQL: an advisory lock;
   * two servers starting at once must not both seed the bundled knowledge). Re-entrant.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  getSource(path: string): Promise<SourceRow | undefined>;
  listSources(root?: string): Promise<SourceRow[]>;
  /** Replaces everything a source contributed, atomically. */
  replaceSource(source: SourceRow, articles: ArticleUnit[], guides: Guide[]): Promise<void>;
  removeSource(path: string): Promise<void>;
  allArticles(): Promise<ArticleUnit[]>;
  allGuides(): Promise<Guide[]>;
  getArticles(ids: string[]): Promise<ArticleUnit[]>;
  /** Every version of an article, current first. */
  findArticle(law: string, no: number, sub: number): Promise<ArticleUnit[]>;
  setLawStatus(law: string, status: LawStatus, source?: string): Promise<number>;
  /** Where several versions of one law all claim to be current, keeps only the newest current. */
  resolveVersions(): Promise<number>;
  version(): Promise<number>;
  bumpVersion(): Promise<number>;
  // ---- administration (the console's knowledge pages)
  /** One row per law and source file (a version of a law), filtered by title, paginated. */
  listLaws(query?: LawListQuery): Promise<{ total: number; rows: LawRow[] }>;
  /** Marks a law of a source repealed or superseded (null lifts the mark); returns articles changed. */
  overrideLawStatus(source: string, law: string, status: LawOverrideStatus | null, by: string | null): Promise<number>;
  listLawOverrides(): Promise<LawOverride[]>;
  /** id, status and effective date of every article, in index order: tells what changed. */
  articleStates(): Promise<{ id: string; status: LawStatus; effective: string | null }[]>;
}

export type LawOverrideStatus = "已失效" | "已修改";

export interface LawOverride {
  source: string;
  law: string;
  status: LawOverrideStatus;
  setBy: string | null;
  setAt: string;
}

export interface LawListQuery {
  /** Part of the title. */
  q?: string;
  status?: LawStatus;
  offset?: number;
  limit?: number;
}

export interface LawRow {
  law: string;
  source: string;
  level: string;
  status: LawStatus;
  effective: string | null;
  promulgated: string | null;
  articles: number;
  /** The administrator's mark, when there is one. */
  override: LawOverrideStatus | null;
}

// Row mappers for both stores (the PostgreSQL store imports them): see rows.ts.
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

/** Current versions first (both stores order versions of an article this way). */
export const STATUS_ORDER = "CASE status WHEN '现行有效' THEN 0 WHEN '尚未生效' THEN 1 WHEN '已修改' THEN 2 ELSE 3 END";

export class SqliteKnowledgeStore implements KnowledgeStore {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly holder = new AsyncLocalStorage<true>();

  /**
   * The embedded store serves one server process: its ingests run one after another. (A
   * `lawdesk ingest` run beside it is safe without this: each source is replaced atomically.)
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holder.getStore()) return fn();
    const run = () => this.holder.run(true, fn);
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  constructor(private readonly db: SqliteDb) {}

  async getSource(path: string): Promise<SourceRow | undefined> {
    const r = this.db.prepare("SELECT * FROM sources WHERE path = ?").get(path) as Record<string, unknown> | undefined;
    return r ? toSource(r) : undefined;
  }

  async listSources(root?: string): Promise<SourceRow[]> {
    const rows = (root
      ? this.db.prepare("SELECT * FROM sources WHERE root = ? ORDER BY path").all(root)
      : this.db.prepare("SELECT * FROM sources ORDER BY path").all()) as Record<string, unknown>[];
    return rows.map(toSource);
  }

  async replaceSource(source: SourceRow, articles: ArticleUnit[], guides: Guide[]): Promise<void> {
    const insertArticle = this.db.prepare(
      `INSERT OR REPLACE INTO articles (id, source, law, article, article_no, article_sub, text, chapters, level, status, promulgated, effective, region, line)
       VALUES (@id, @source, @law, @article, @articleNo, @articleSub, @text, @chapters, @level, @status, @promulgated, @effective, @region, @line)`,
    );
    const insertGuide = this.db.prepare("INSERT OR REPLACE INTO guides (id, source, data) VALUES (?, ?, ?)");
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM sources WHERE path = ?").run(source.path);
      this.db
        .prepare("INSERT INTO sources (path, root, kind, hash, units, ingested_at, law_key, law_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        .run(source.path, source.root, source.kind, source.hash, source.units, source.ingestedAt, source.lawKey ?? null, source.lawDate ?? null);
      for (const a of articles) insertArticle.run({ ...a, source: source.path, chapters: JSON.stringify(a.chapters) });
      for (const g of guides) insertGuide.run(g.id, source.path, JSON.stringify(g));
    })();
  }

  async removeSource(path: string): Promise<void> {
    this.db.prepare("DELETE FROM sources WHERE path = ?").run(path);
  }

  async allArticles(): Promise<ArticleUnit[]> {
    return (this.db.prepare("SELECT * FROM articles ORDER BY rowid").all() as Row[]).map(toUnit);
  }

  async allGuides(): Promise<Guide[]> {
    return (this.db.prepare("SELECT data FROM guides ORDER BY id").all() as { data: string }[]).map(
      (r) => JSON.parse(r.data) as Guide,
    );
  }

  async getArticles(ids: string[]): Promise<ArticleUnit[]> {
    const stmt = this.db.prepare("SELECT * FROM articles WHERE id = ?");
    return ids.map((id) => stmt.get(id) as Row | undefined).filter((r): r is Row => !!r).map(toUnit);
  }

  async findArticle(law: string, no: number, sub: number): Promise<ArticleUnit[]> {
    return (
      this.db
        .prepare(`SELECT * FROM articles WHERE law = ? AND article_no = ? AND article_sub = ? ORDER BY ${STATUS_ORDER}, effective DESC`)
        .all(law, no, sub) as Row[]
    ).map(toUnit);
  }

  async setLawStatus(law: string, status: LawStatus, source?: string): Promise<number> {
    const r = source
      ? this.db.prepare("UPDATE articles SET status = ? WHERE law = ? AND source = ?").run(status, law, source)
      : this.db.prepare("UPDATE articles SET status = ? WHERE law = ?").run(status, law);
    return r.changes;
  }

  async resolveVersions(): Promise<number> {
    const rows = this.db
      .prepare(
        `SELECT s.path, s.law_key AS lawKey, s.law_date AS lawDate FROM sources s
         WHERE s.law_key IN (
           SELECT s2.law_key FROM sources s2 WHERE s2.law_key IS NOT NULL
             AND EXISTS (SELECT 1 FROM articles a WHERE a.source = s2.path AND a.status = '现行有效')
           GROUP BY s2.law_key HAVING COUNT(*) > 1)
         AND EXISTS (SELECT 1 FROM articles a WHERE a.source = s.path AND a.status = '现行有效')
         ORDER BY s.law_key, s.law_date DESC, s.path DESC`,
      )
      .all() as { path: string; lawKey: string; lawDate: string | null }[];
    let demoted = 0;
    let lastKey: string | null = null;
    const demote = this.db.prepare("UPDATE articles SET status = '已修改' WHERE source = ? AND status = '现行有效'");
    this.db.transaction(() => {
      for (const r of rows) {
        if (r.lawKey === lastKey) demoted += demote.run(r.path).changes > 0 ? 1 : 0;
        lastKey = r.lawKey;
      }
    })();
    return demoted;
  }

  async version(): Promise<number> {
    return (this.db.prepare("SELECT version FROM knowledge_version WHERE id = 1").get() as { version: number }).version;
  }

  async bumpVersion(): Promise<number> {
    this.db.prepare("UPDATE knowledge_version SET version = version + 1, changed_at = ? WHERE id = 1").run(new Date().toISOString());
    return this.version();
  }

  async listLaws(query: LawListQuery = {}): Promise<{ total: number; rows: LawRow[] }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.q?.trim()) {
      where.push("instr(a.law, ?) > 0");
      params.push(query.q.trim());
    }
    // The status of a version is that of its first article (a file shares one status).
    const grouped = `SELECT a.law, a.source, MIN(a.rowid) AS first, COUNT(*) AS n FROM articles a
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""} GROUP BY a.source, a.law`;
    const filtered = `SELECT g.*, f.level, f.status, f.effective, f.promulgated, o.status AS override FROM (${grouped}) g
      JOIN articles f ON f.rowid = g.first
      LEFT JOIN law_status_overrides o ON o.source = g.source AND o.law = g.law
      ${query.status ? "WHERE f.status = ?" : ""}`;
    if (query.status) params.push(query.status);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM (${filtered})`).get(...params) as { n: number }).n;
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
    const rows = this.db
      .prepare(`SELECT * FROM (${filtered}) ORDER BY law, effective DESC, source LIMIT ? OFFSET ?`)
      .all(...params, limit, Math.max(query.offset ?? 0, 0)) as Record<string, unknown>[];
    return {
      total,
      rows: rows.map(toLawRow),
    };
  }

  async overrideLawStatus(source: string, law: string, status: LawOverrideStatus | null, by: string | null): Promise<number> {
    return this.db.transaction(() => {
      if (status) {
        const first = this.db.prepare("SELECT status FROM articles WHERE source = ? AND law = ? ORDER BY rowid LIMIT 1").get(source, law) as { status: string } | undefined;
        if (!first) return 0;
        this.db
          .prepare(
            `INSERT INTO law_status_overrides (source, law, status, set_by, set_at, previous) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (source, law) DO UPDATE SET status = excluded.status, set_by = excluded.set_by, set_at = excluded.set_at`,
          )
          .run(source, law, status, by, new Date().toISOString(), first.status);
        return this.db.prepare("UPDATE articles SET status = ? WHERE source = ? AND law = ?").run(status, source, law).changes;
      }
      const row = this.db.prepare("DELETE FROM law_status_overrides WHERE source = ? AND law = ? RETURNING previous").get(source, law) as { previous: string } | undefined;
      if (!row) return 0;
      return this.db.prepare("UPDATE articles SET status = ? WHERE source = ? AND law = ?").run(row.previous, source, law).changes;
    })();
  }

  async listLawOverrides(): Promise<LawOverride[]> {
    return (this.db.prepare("SELECT * FROM law_status_overrides ORDER BY set_at DESC").all() as Row[]).map(toOverride);
  }

  async articleStates(): Promise<{ id: string; status: LawStatus; effective: string | null }[]> {
    return this.db.prepare("SELECT id, status, effective FROM articles ORDER BY rowid").all() as { id: string; status: LawStatus; effective: string | null }[];
  }
}
