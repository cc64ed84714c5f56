// PostgreSQL implementation of KnowledgeStore, the counterpart of SqliteKnowledgeStore.
// articles.seq plays SQLite's rowid (insertion order = index order); a replaced article
// gets a new seq, as INSERT OR REPLACE gives it a new rowid. Text sorts use the "C"
// collation (byte order, like SQLite) and DESC sorts put NULLs last, as SQLite does.

import { AsyncLocalStorage } from "node:async_hooks";
import type { ArticleUnit, Guide, LawStatus } from "../../knowledge/types.ts";
import {
  STATUS_ORDER,
  toLawRow,
  toOverride,
  toSource,
  toUnit,
  type KnowledgeStore,
  type LawListQuery,
  type LawOverride,
  type LawOverrideStatus,
  type LawRow,
  type SourceRow,
} from "../knowledge-store.ts";
import { pgJson, q, withTransaction, type PgPool } from "./pool.ts";

type Raw = Record<string, unknown>;

/** Rows per bulk INSERT (unnest of parallel arrays). */
const BATCH = 2000;

/** INSERT OR REPLACE within one batch: the last row with an id wins, at its own position. */
function lastById<T extends { id: string }>(items: T[]): T[] {
  const last = new Map<string, number>();
  items.forEach((it, i) => last.set(it.id, i));
  return items.filter((it, i) => last.get(it.id) === i);
}

export class PgKnowledgeStore implements KnowledgeStore {
  private readonly holder = new AsyncLocalStorage<true>();

  constructor(private readonly pool: PgPool) {}

  /** A session advisory lock on one connection for the whole of `fn` (per schema). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.holder.getStore()) return fn();
    const client = await this.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtext('lawdesk.ingest.' || current_schema()))");
      try {
        return await this.holder.run(true, fn);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('lawdesk.ingest.' || current_schema()))");
      }
    } finally {
      client.release();
    }
  }

  async getSource(path: string): Promise<SourceRow | undefined> {
    const r = (await q(this.pool, "SELECT * FROM sources WHERE path = $1", [path])).rows[0] as Raw | undefined;
    return r ? toSource(r) : undefined;
  }

  async listSources(root?: string): Promise<SourceRow[]> {
    const rows = root
      ? (await q(this.pool, "SELECT * FROM sources WHERE root = $1 ORDER BY path", [root])).rows
      : (await q(this.pool, "SELECT * FROM sources ORDER BY path")).rows;
    return (rows as Raw[]).map(toSource);
  }

  async replaceSource(source: SourceRow, articles: ArticleUnit[], guides: Guide[]): Promise<void> {
    const arts = lastById(articles);
    const gds = lastById(guides);
    await withTransaction(this.pool, async (c) => {
      await q(c, "DELETE FROM sources WHERE path = $1", [source.path]);
      await q(c,
        "INSERT INTO sources (path, root, kind, hash, units, ingested_at, law_key, law_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [source.path, source.root, source.kind, source.hash, source.units, source.ingestedAt, source.lawKey ?? null, source.lawDate ?? null],
      );
      // Articles or guides with these ids from another source are replaced (moved here).
      if (arts.length) await q(c, "DELETE FROM articles WHERE id = ANY($1::text[])", [arts.map((a) => a.id)]);
      if (gds.length) await q(c, "DELETE FROM guides WHERE id = ANY($1::text[])", [gds.map((g) => g.id)]);
      for (let i = 0; i < arts.length; i += BATCH) {
        const part = arts.slice(i, i + BATCH);
        const col = <K extends keyof ArticleUnit>(k: K) => part.map((a) => a[k]);
        await q(c,
          `INSERT INTO articles (id, source, law, article, article_no, article_sub, text, chapters, level, status, promulgated, effective, region, line)
           SELECT u.id, $2, u.law, u.article, u.no, u.sub, u.text, u.chapters::jsonb, u.level, u.status, u.promulgated, u.effective, u.region, u.line
           FROM unnest($1::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[],
                       $11::text[], $12::text[], $13::text[], $14::int[])
             WITH ORDINALITY AS u(id, law, article, no, sub, text, chapters, level, status, promulgated, effective, region, line, ord)
           ORDER BY u.ord`,
          [
            col("id"),
            source.path,
            col("law"),
            col("article"),
            col("articleNo"),
            col("articleSub"),
            col("text"),
            part.map((a) => pgJson(a.chapters)),
            col("level"),
            col("status"),
            col("promulgated"),
            col("effective"),
            col("region"),
            col("line"),
          ],
        );
      }
      if (gds.length) {
        await q(c,
          `INSERT INTO guides (id, source, data)
           SELECT u.id, $2, u.data::jsonb FROM unnest($1::text[], $3::text[]) WITH ORDINALITY AS u(id, data, ord) ORDER BY u.ord`,
          [gds.map((g) => g.id), source.path, gds.map((g) => pgJson(g))],
        );
      }
    });
  }

  async removeSource(path: string): Promise<void> {
    await q(this.pool, "DELETE FROM sources WHERE path = $1", [path]);
  }

  async allArticles(): Promise<ArticleUnit[]> {
    return ((await q(this.pool, "SELECT * FROM articles ORDER BY seq")).rows as Raw[]).map(toUnit);
  }

  async allGuides(): Promise<Guide[]> {
    return ((await q(this.pool, "SELECT data FROM guides ORDER BY id")).rows as { data: Guide }[]).map((r) => r.data);
  }

  async getArticles(ids: string[]): Promise<ArticleUnit[]> {
    if (!ids.length) return [];
    const rows = (await q(this.pool, "SELECT * FROM articles WHERE id = ANY($1::text[])", [ids])).rows as Raw[];
    const byId = new Map(rows.map((r) => [String(r.id), toUnit(r)]));
    return ids.map((id) => byId.get(id)).filter((a): a is ArticleUnit => !!a);
  }

  async findArticle(law: string, no: number, sub: number): Promise<ArticleUnit[]> {
    const r = await q(this.pool,
      `SELECT * FROM articles WHERE law = $1 AND article_no = $2 AND article_sub = $3 ORDER BY ${STATUS_ORDER}, effective DESC NULLS LAST, seq`,
      [law, no, sub],
    );
    return (r.rows as Raw[]).map(toUnit);
  }

  async setLawStatus(law: string, status: LawStatus, source?: string): Promise<number> {
    const r = source
      ? await q(this.pool, "UPDATE articles SET status = $1 WHERE law = $2 AND source = $3", [status, law, source])
      : await q(this.pool, "UPDATE articles SET status = $1 WHERE law = $2", [status, law]);
    return r.rowCount ?? 0;
  }

  async resolveVersions(): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      const rows = (
        await q(c,
          `SELECT s.path, s.law_key AS "lawKey", s.law_date AS "lawDate" FROM sources s
           WHERE s.law_key IN (
             SELECT s2.law_key FROM sources s2 WHERE s2.law_key IS NOT NULL
               AND EXISTS (SELECT 1 FROM articles a WHERE a.source = s2.path AND a.status = '现行有效')
             GROUP BY s2.law_key HAVING COUNT(*) > 1)
           AND EXISTS (SELECT 1 FROM articles a WHERE a.source = s.path AND a.status = '现行有效')
           ORDER BY s.law_key, s.law_date DESC NULLS LAST, s.path DESC`,
        )
      ).rows as { path: string; lawKey: string; lawDate: string | null }[];
      let demoted = 0;
      let lastKey: string | null = null;
      for (const r of rows) {
        if (r.lawKey === lastKey) {
          const u = await q(c, "UPDATE articles SET status = '已修改' WHERE source = $1 AND status = '现行有效'", [r.path]);
          if ((u.rowCount ?? 0) > 0) demoted += 1;
        }
        lastKey = r.lawKey;
      }
      return demoted;
    });
  }

  async version(): Promise<number> {
    return Number((await q(this.pool, "SELECT version FROM knowledge_version WHERE id = 1")).rows[0].version);
  }

  async bumpVersion(): Promise<number> {
    // One statement: concurrent bumps from several processes each get their own number.
    const r = await q(this.pool, "UPDATE knowledge_version SET version = version + 1, changed_at = now() WHERE id = 1 RETURNING version");
    return Number(r.rows[0].version);
  }

  async listLaws(query: LawListQuery = {}): Promise<{ total: number; rows: LawRow[] }> {
    const params: unknown[] = [];
    const title = query.q?.trim();
    let where = "";
    if (title) {
      params.push(title);
      where = `WHERE strpos(a.law, $${params.length}) > 0`;
    }
    const grouped = `SELECT a.law, a.source, MIN(a.seq) AS first, COUNT(*) AS n FROM articles a ${where} GROUP BY a.source, a.law`;
    let statusWhere = "";
    if (query.status) {
      params.push(query.status);
      statusWhere = `WHERE f.status = $${params.length}`;
    }
    const filtered = `SELECT g.*, f.level, f.status, f.effective, f.promulgated, o.status AS override FROM (${grouped}) g
      JOIN articles f ON f.seq = g.first
      LEFT JOIN law_status_overrides o ON o.source = g.source AND o.law = g.law
      ${statusWhere}`;
    const total = Number((await q(this.pool, `SELECT COUNT(*) AS n FROM (${filtered}) t`, params)).rows[0].n);
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 200);
    const offset = Math.max(query.offset ?? 0, 0);
    const rows = (
      await q(this.pool,
        `SELECT * FROM (${filtered}) t ORDER BY law, effective DESC NULLS LAST, source LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, limit, offset],
      )
    ).rows as Raw[];
    return {
      total,
      rows: rows.map(toLawRow),
    };
  }

  async overrideLawStatus(source: string, law: string, status: LawOverrideStatus | null, by: string | null): Promise<number> {
    return withTransaction(this.pool, async (c) => {
      if (status) {
        const first = (await q(c, "SELECT status FROM articles WHERE source = $1 AND law = $2 ORDER BY seq LIMIT 1", [source, law])).rows[0] as
          | { status: string }
          | undefined;
        if (!first) return 0;
        await q(c,
          `INSERT INTO law_status_overrides (source, law, status, set_by, set_at, previous) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (source, law) DO UPDATE SET status = excluded.status, set_by = excluded.set_by, set_at = excluded.set_at`,
          [source, law, status, by, new Date(), first.status],
        );
        return (await q(c, "UPDATE articles SET status = $1 WHERE source = $2 AND law = $3", [status, source, law])).rowCount ?? 0;
      }
      const row = (await q(c, "DELETE FROM law_status_overrides WHERE source = $1 AND law = $2 RETURNING previous", [source, law])).rows[0] as
        | { previous: string }
        | undefined;
      if (!row) return 0;
      return (await q(c, "UPDATE articles SET status = $1 WHERE source = $2 AND law = $3", [row.previous, source, law])).rowCount ?? 0;
    });
  }

  async listLawOverrides(): Promise<LawOverride[]> {
    return ((await q(this.pool, "SELECT * FROM law_status_overrides ORDER BY set_at DESC, source, law")).rows as Raw[]).map(toOverride);
  }

  async articleStates(): Promise<{ id: string; status: LawStatus; effective: string | null }[]> {
    return (await q(this.pool, "SELECT id, status, effective FROM articles ORDER BY seq")).rows as {
      id: string;
      status: LawStatus;
      effective: string | null;
    }[];
  }
}
