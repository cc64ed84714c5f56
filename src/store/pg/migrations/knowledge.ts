import type { Migration } from "../../migrations/types.ts";

// Versions 1-9 (mirror of ../../migrations/knowledge.ts). Values the caller supplies as
// strings (ingested_at, law dates, article dates) stay TEXT so they round-trip unchanged.
// Text that is sorted or compared uses COLLATE "C": byte order, like SQLite's BINARY.
// articles.seq stands in for SQLite's rowid (insertion order: the index order).
export const PG_KNOWLEDGE_MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: "knowledge",
    sql: `
      CREATE TABLE sources (
        path TEXT COLLATE "C" PRIMARY KEY,
        root TEXT COLLATE "C" NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('law_markdown', 'law_jsonl', 'guide')),
        hash TEXT NOT NULL,
        units INTEGER NOT NULL,
        ingested_at TEXT NOT NULL,
        law_key TEXT COLLATE "C",
        law_date TEXT COLLATE "C"
      );
      CREATE INDEX sources_law_key ON sources (law_key);
      CREATE TABLE articles (
        seq BIGSERIAL NOT NULL UNIQUE,
        id TEXT COLLATE "C" PRIMARY KEY,
        source TEXT COLLATE "C" NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        law TEXT COLLATE "C" NOT NULL,
        article TEXT NOT NULL,
        article_no INTEGER NOT NULL,
        article_sub INTEGER NOT NULL,
        text TEXT NOT NULL,
        chapters JSONB NOT NULL,
        level TEXT NOT NULL,
        status TEXT NOT NULL,
        promulgated TEXT COLLATE "C",
        effective TEXT COLLATE "C",
        region TEXT,
        line INTEGER NOT NULL
      );
      CREATE INDEX articles_law ON articles (law, article_no, article_sub);
      CREATE INDEX articles_source ON articles (source);
      CREATE TABLE guides (
        id TEXT COLLATE "C" PRIMARY KEY,
        source TEXT COLLATE "C" NOT NULL REFERENCES sources(path) ON DELETE CASCADE,
        data JSONB NOT NULL
      );
      CREATE TABLE knowledge_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL,
        changed_at TIMESTAMPTZ
      );
      INSERT INTO knowledge_version VALUES (1, 0, NULL);
    `,
  },
  {
    version: 2,
    name: "law status overrides",
    sql: `
      CREATE TABLE law_status_overrides (
        source TEXT COLLATE "C" NOT NULL,
        law TEXT COLLATE "C" NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('已失效', '已修改')),
        set_by TEXT,
        set_at TIMESTAMPTZ NOT NULL,
        previous TEXT NOT NULL,
        PRIMARY KEY (source, law)
      );
      -- SQLite re-applies the mark AFTER INSERT with an UPDATE; here a BEFORE INSERT trigger
      -- sets it on the row being inserted (same outcome, one write).
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
        FOR EACH ROW EXECUTE FUNCTION articles_status_override();
    `,
  },
];
