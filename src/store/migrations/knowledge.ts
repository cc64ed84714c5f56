import type { Migration } from "./types.ts";

export const KNOWLEDGE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "knowledge",
    sql: `
      -- One row per ingested file: its content hash decides whether re-ingest redoes it.
      CREATE TABLE sources (
        path TEXT PRIMARY KEY,
        root TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('law_markdown', 'law_jsonl', 'guide')),
        hash TEXT NOT NULL,
        units INTEGER NOT NULL,
        ingested_at TEXT NOT NULL,
        -- Law title (+ Civil Code book) and version date, to tell versions of one law apart.
        law_key TEXT,
        law_date TEXT
      );
      CREATE INDEX sources_law_key ON sources (law_key);
      CREATE TABLE articles (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        law TEXT NOT NULL,
        article TEXT NOT NULL,
        article_no INTEGER NOT NULL,
        article_sub INTEGER NOT NULL,
        text TEXT NOT NULL,
        chapters TEXT NOT NULL,
        level TEXT NOT NULL,
        status TEXT NOT NULL,
        promulgated TEXT,
        effective TEXT,
        region TEXT,
        line INTEGER NOT NULL
      );
      CREATE INDEX articles_law ON articles (law, article_no, article_sub);
      CREATE INDEX articles_source ON articles (source);
      CREATE TABLE guides (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        data TEXT NOT NULL
      );
      -- Bumped on every change so each process can tell its in-memory index is stale.
      CREATE TABLE knowledge_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, changed_at TEXT NOT NULL);
      INSERT INTO knowledge_version VALUES (1, 0, '');
    `,
  },
  {
    version: 2,
    name: "law status overrides",
    sql: `
      -- An administrator's mark on a law (repealed, superseded) outlives re-ingest: the
      -- trigger re-applies it to every article a (re-)ingested file inserts, whatever path
      -- did the ingest. Keyed by source file and law title (a JSONL file holds many laws).
      CREATE TABLE law_status_overrides (
        source TEXT NOT NULL,
        law TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('已失效', '已修改')),
        set_by TEXT,
        set_at TEXT NOT NULL,
        -- The status the file gave it, restored when the mark is lifted.
        previous TEXT NOT NULL,
        PRIMARY KEY (source, law)
      );
      CREATE TRIGGER articles_status_override AFTER INSERT ON articles
        WHEN EXISTS (SELECT 1 FROM law_status_overrides o WHERE o.source = NEW.source AND o.law = NEW.law)
        BEGIN
          UPDATE articles SET status = (SELECT o.status FROM law_status_overrides o WHERE o.source = NEW.source AND o.law = NEW.law)
            WHERE id = NEW.id;
        END;
    `,
  },
];
