// The knowledge store on either database, over SqlDb. Articles are read in insertion order
// (the index order): SQLite's rowid, PostgreSQL's articles.seq. A replaced article is deleted
// and inserted again, so it takes a new place at the end, as INSERT OR REPLACE did. Text sorts
// are byte order on both (PostgreSQL columns are COLLATE "C") and DESC sorts put NULLs last.

import type { ArticleUnit, Guide, LawStatus } from "../knowledge/types.ts";
import { STATUS_ORDER, toLawRow, toOverride, toSource, toUnit } from "./knowledge-rows.ts";
import type { LawListQuery, LawOverride, LawOverrideStatus, LawRow, SourceRow } from "./knowledge-store.ts";
import * as read from "./rows.ts";
import type { Row } from "./rows.ts";
import { chunks, insertInto, marks, selectWhere, type SqlHandle } from "./sql.ts";
import { SqlStore } from "./sql-store.ts";

/** Rows per multi-row INSERT: 14 parameters each stays under both databases' limits. */
const BATCH = 500;

const ARTICLE_COLUMNS = "id, source, law, article, article_no, article_sub, text, chapters, level, status, promulgated, effective, region, line";

/** INSERT OR REPLACE within one batch: the last row with an id wins, at its own position. */
function lastById<T extends { id: string }>(items: T[]): T[] {
  const last = new Map<string, number>();
  items.forEach((it, i) => last.set(it.id, i));
  return items.filter((it, i) => last.get(it.id) === i);
}

export class SqlKnowledgeStore extends SqlStore {
  /** The column that orders articles as they were inserted. */
  private readonly seq: string;

  constructor(handle: SqlHandle) {
    super(handle);
    this.seq = this.d.name === "sqlite" ? "rowid" : "seq";
  }

  /**
   * Runs `fn` while no other process ingests into this store; re-entrant. Two servers starting
   * at once must not both seed the bundled knowledge (PostgreSQL: a session advisory lock per
   * schema; SQLite: one ingest after another in this process — a `lawdesk ingest` run beside
   * it is safe as each source is replaced atomically).
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.db.exclusive("lawdesk.ingest.", fn);
  }

  async getSource(path: string): Promise<SourceRow | undefined> {
    return this.one("SELECT * FROM sources WHERE path = ?", [path], toSource);
  }

  async listSources(root?: string): Promise<SourceRow[]> {
    const q = selectWhere("sources", { root: root || undefined }, "path");
    return this.many(q.sql, q.params, toSource);
  }

  /** Replaces everything a source contributed, atomically. */
  async replaceSource(source: SourceRow, articles: ArticleUnit[], guides: Guide[]): Promise<void> {
    const arts = lastById(articles);
    const gds = lastById(guides);
    const json = this.d.toJson;
    await this.db.transaction(async (tx) => {
      await tx.run("DELETE FROM sources WHERE path = ?", [source.path]);
      await tx.run("INSERT INTO sources (path, root, kind, hash, units, ingested_at, law_key, law_date) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        source.path, source.root, source.kind, source.hash, source.units, source.ingestedAt, source.lawKey ?? null, source.lawDate ?? null,
      ]);
      // Articles or guides with these ids from another source are replaced (moved here).
      for (const part of chunks(arts, BATCH)) {
        await tx.run(`DELETE FROM articles WHERE id IN (${marks(part.length)})`, part.map((a) => a.id));
        await tx.run(
          insertInto("articles", ARTICLE_COLUMNS, part.length),
          part.flatMap((a) => [
            a.id, source.path, a.law, a.article, a.articleNo, a.articleSub, a.text, json(a.chapters), a.level, a.status,
            a.promulgated, a.effective, a.region, a.line,
          ]),
        );
      }
      for (const part of chunks(gds, BATCH)) {
        await tx.run(`DELETE FROM guides WHERE id IN (${marks(part.length)})`, part.map((g) => g.id));
        await tx.run(
          insertInto("guides", "id, source, data", part.length),
          part.flatMap((g) => [g.id, source.path, json(g)]),
        );
      }
    });
  }

  async removeSource(path: string): Promise<void> {
    await this.db.run("DELETE FROM sources WHERE path = ?", [path]);
  }

  async allArticles(): Promise<ArticleUnit[]> {
    return this.many(`SELECT * FROM articles ORDER BY ${this.seq}`, [], toUnit);
  }

  async allGuides(): Promise<Guide[]> {
    return this.many("SELECT data FROM guides ORDER BY id", [], (r) => read.json<Guide>(r.data, null as unknown as Guide));
  }

  async getArticles(ids: string[]): Promise<ArticleUnit[]> {
    const byId = new Map<string, ArticleUnit>();
    for (const part of chunks([...new Set(ids)], BATCH)) {
      for (const r of await this.db.all<Row>(`SELECT * FROM articles WHERE id IN (${marks(part.length)})`, part)) byId.set(String(r.id), toUnit(r));
    }
    return ids.map((id) => byId.get(id)).filter((a): a is ArticleUnit => !!a);
  }

  /** Every version of an article, current first. */
  async findArticle(law: string, no: number, sub: number): Promise<ArticleUnit[]> {
    const order = `${STATUS_ORDER}, effective DESC NULLS LAST, ${this.seq}`;
    return this.many(`SELECT * FROM articles WHERE law = ? AND article_no = ? AND article_sub = ? ORDER BY ${order}`, [law, no, sub], toUnit);
  }

  async setLawStatus(law: string, status: LawStatus, source?: string): Promise<number> {
    const { changes } = source
      ? await this.db.run("UPDATE articles SET status = ? WHERE law = ? AND source = ?", [status, law, source])
      : await this.db.run("UPDATE articles SET status = ? WHERE law = ?", [status, law]);
    return changes;
  }

  /** Where several versions of one law all claim to be current, keeps only the newest current. */
  async resolveVersions(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.all<{ path: string; law_key: string }>(
        `SELECT s.path, s.law_key FROM sources s
         WHERE s.law_key IN (
           SELECT s2.law_key FROM sources s2 WHERE s2.law_key IS NOT NULL
             AND EXISTS (SELECT 1 FROM articles a WHERE a.source = s2.path AND a.status = '现行有效')
           GROUP BY s2.law_key HAVING COUNT(*) > 1)
         AND EXISTS (SELECT 1 FROM articles a WHERE a.source = s.path AND a.status = '现行有效')
         ORDER BY s.law_key, s.law_date DESC NULLS LAST, s.path DESC`,
      );
      let demoted = 0;
      let lastKey: string | null = null;
      for (const r of rows) {
        if (r.law_key === lastKey) {
          const { changes } = await tx.run("UPDATE articles SET status = '已修改' WHERE source = ? AND status = '现行有效'", [r.path]);
          if (changes > 0) demoted += 1;
        }
        lastKey = r.law_key;
      }
      return demoted;
    });
  }

  async version(): Promise<number> {
    return Number((await this.db.get<{ version: unknown }>("SELECT version FROM knowledge_version WHERE id = 1"))!.version);
  }

  async bumpVersion(): Promise<number> {
    // One statement: concurrent bumps from several processes each get their own number.
    const r = await this.db.get<{ version: unknown }>(
      "UPDATE knowledge_version SET version = version + 1, changed_at = ? WHERE id = 1 RETURNING version",
      [new Date()],
    );
    return Number(r!.version);
  }

  // ---------------------------------------------------------------- administration (the console's knowledge pages)

  /** One row per law and source file (a version of a law), filtered by title, paginated. */
  async listLaws(query: LawListQuery = {}): Promise<{ total: number; rows: LawRow[] }> {
    const params: unknown[] = [];
    const title = query.q?.trim();
    if (title) params.push(title);
    // The status of a version is that of its first article (a file shares one status).
    const grouped = `SELECT a.law, a.source, MIN(a.${this.seq}) AS first, COUNT(*) AS n FROM articles a
      ${title ? `WHERE ${this.d.contains("a.law", "?")}` : ""} GROUP BY a.source, a.law`;
    if (query.status) params.push(query.status);
    const filtered = `SELECT g.*, f.level, f.status, f.effective, f.promulgated, o.status AS override FROM (${grouped}) g
      JOIN articles f ON f.${this.seq} = g.first
      LEFT JOIN law_status_overrides o ON o.source = g.source AND o.law = g.law
      ${query.status ? "WHERE f.status = ?" : ""}`;
    const total = Number((await this.db.get<{ n: unknown }>(`SELECT COUNT(*) AS n FROM (${filtered}) t`, params))!.n);
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
    const offset = Math.max(query.offset ?? 0, 0);
    const page = `SELECT * FROM (${filtered}) t ORDER BY law, effective DESC NULLS LAST, source LIMIT ? OFFSET ?`;
    return { total, rows: await this.many(page, [...params, limit, offset], toLawRow) };
  }

  /** Marks a law of a source repealed or superseded (null lifts the mark); returns articles changed. */
  async overrideLawStatus(source: string, law: string, status: LawOverrideStatus | null, by: string | null): Promise<number> {
    const setStatus = "UPDATE articles SET status = ? WHERE source = ? AND law = ?";
    return this.db.transaction(async (tx) => {
      if (status) {
        const first = await tx.get<{ status: string }>(`SELECT status FROM articles WHERE source = ? AND law = ? ORDER BY ${this.seq} LIMIT 1`, [source, law]);
        if (!first) return 0;
        await tx.run(
          `INSERT INTO law_status_overrides (source, law, status, set_by, set_at, previous) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (source, law) DO UPDATE SET status = excluded.status, set_by = excluded.set_by, set_at = excluded.set_at`,
          [source, law, status, by, new Date(), first.status],
        );
        return (await tx.run(setStatus, [status, source, law])).changes;
      }
      const row = await tx.get<{ previous: string }>("DELETE FROM law_status_overrides WHERE source = ? AND law = ? RETURNING previous", [source, law]);
      if (!row) return 0;
      return (await tx.run(setStatus, [row.previous, source, law])).changes;
    });
  }

  async listLawOverrides(): Promise<LawOverride[]> {
    return this.many("SELECT * FROM law_status_overrides ORDER BY set_at DESC, source, law", [], toOverride);
  }

  /** id, status and effective date of every article, in index order: tells what changed. */
  async articleStates(): Promise<{ id: string; status: LawStatus; effective: string | null }[]> {
    return this.db.all(`SELECT id, status, effective FROM articles ORDER BY ${this.seq}`);
  }
}
