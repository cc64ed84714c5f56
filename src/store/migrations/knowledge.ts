import type { SchemaMigration } from "./types.ts";

// Versions 1-9. Values the caller supplies as strings (ingested_at, law dates, article dates)
// stay TEXT on PostgreSQL too, so they round-trip unchanged. articles.seq on PostgreSQL stands
// in for SQLite's rowid (insertion order: the index order).
export const KNOWLEDGE_MIGRATIONS: SchemaMigration[] = [
  {
    version: 1,
    name: "knowledge",
    sql: (t) => `
      -- One row per ingested file: its content hash decides whether re-ingest redoes it.
      CREATE TABLE sources (
        path ${t.key} PRIMARY KEY,
        root ${t.key} NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('law_markdown', 'law_jsonl', 'guide')),
        hash TEXT NOT NULL,
        units INTEGER NOT NULL,
        ingested_at TEXT NOT NULL,
        -- Law title (+ Civil Code book) and version date, to tell versions of one law apart.
        law_key ${t.key},
        law_date ${t.key}
      );
      CREATE INDEX sources_law_key ON sources (law_key);
      CREATE TABLE articles (${t.dialect === "postgres" ? "\n        seq BIGSERIAL NOT NULL UNIQUE," : ""}
        id ${t.key} PRIMARY KEY,
        source ${t.key} NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        law ${t.key} NOT NULL,
        article TEXT NOT NULL,
        article_no INTEGER NOT NULL,
        article_sub INTEGER NOT NULL,
        text TEXT NOT NULL,
        chapters ${t.json} NOT NULL,
        level TEXT NOT NULL,
        status TEXT NOT NULL,
        promulgated ${t.key},
        effective ${t.key},
        region TEXT,
        line INTEGER NOT NULL
      );
      CREATE INDEX articles_law ON articles (law, article_no, article_sub);
      CREATE INDEX articles_source ON articles (source);
      CREATE TABLE guides (
        id ${t.key} PRIMARY KEY,
        source ${t.key} NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        data ${t.json} NOT NULL
      );
      -- Bumped on every change so each process can tell its in-memory index is stale.
      CREATE TABLE knowledge_version (id INTEGER PRIMARY KEY CHECK (id = 1), version ${t.bigint} NOT NULL, changed_at ${t.ts}${t.dialect === "sqlite" ? " NOT NULL" : ""});
      INSERT INTO knowledge_version VALUES (1, 0, ${t.dialect === "sqlite" ? "''" : "NULL"});
    `,
  },
  {
    version: 2,
    name: "law status overrides",
    sql: (t) => `
      -- An administrator's mark on a law (repealed, superseded) outlives re-ingest: the
      -- trigger re-applies it to every article a (re-)ingested file inserts, whatever path
      -- did the ingest. Keyed by source file and law title (a JSONL file holds many laws).
      CREATE TABLE law_status_overrides (
        source ${t.key} NOT NULL,
        law ${t.key} NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('已失效', '已修改')),
        set_by TEXT,
        set_at ${t.ts} NOT NULL,
        -- The status the file gave it, restored when the mark is lifted.
        previous TEXT NOT NULL,
        PRIMARY KEY (source, law)
      );
      ${t.dialect === "sqlite" ? SQLITE_OVERRIDE_TRIGGER : PG_OVERRIDE_TRIGGER}
    `,
  },
];

const SQLITE_OVERRIDE_TRIGGER = `
      CREATE TRIGGER articles_status_override AFTER INSERT ON articles
        WHEN EXISTS (SELECT 1 FROM law_status_overrides o WHERE o.source = NEW.source AND o.law = NEW.law)
        BEGIN
          UPDATE articles SET status = (SELECT o.status FROM law_status_overrides o WHERE o.source = NEW.source AND o.law = NEW.law)
            WHERE id = NEW.id;
        END;`;

// A BEFORE INSERT trigger sets the mark on the row being inserted (same outcome, one write).
const PG_OVERRIDE_TRIGGER = `
      CREATE FUNCTION articles_status_override() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        mark TEXT;
      BEGIN
        SELECT o.status INTO mark FROM law_status_overrides o WHERE o.source = NEW.source AND o.law = NEW.law;
        IF FOUND THEN
          NEW.status := mark;
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER articles_status_override BEFORE INSERT ON articles
        FOR EACH ROW EXECUTE FUNCTION articles_status_override();`;
