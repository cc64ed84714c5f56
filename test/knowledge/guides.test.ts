// The bundled service guides: every one parses, uses known topics and directory kinds,
// and every legal basis it names resolves to a real, current article of the statutes.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { parseGuide, GuideError } from "../../src/knowledge/guides.ts";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { isCurrentLaw } from "../../src/knowledge/status.ts";
import type { Guide } from "../../src/knowledge/types.ts";
import { SqlKnowledgeStore } from "../../src/store/knowledge-store.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { HAS_LAWS, LAWS_DIR } from "../helpers/shared-data.ts";

const KNOWLEDGE = resolve(PROJECT_ROOT, "knowledge");
const files = readdirSync(join(KNOWLEDGE, "guides")).filter((f) => f.endsWith(".md"));
const guides: Guide[] = files.map((f) => parseGuide(readFileSync(join(KNOWLEDGE, "guides", f), "utf8"), f));

describe("bundled service guides", () => {
  it("are at least 40, each with a unique id matching its file name", () => {
    expect(guides.length).toBeGreaterThanOrEqual(40);
    expect(new Set(guides.map((g) => g.id)).size).toBe(guides.length);
    for (const g of guides) expect(`${g.id}.md`).toBe(g.source);
  });

  it("use only topics from topics.yaml and service kinds from directory.yaml", () => {
    const topics = new Set((YAML.parse(readFileSync(join(KNOWLEDGE, "topics.yaml"), "utf8")).topics as { id: string }[]).map((t) => t.id));
    const kinds = new Set((YAML.parse(readFileSync(join(KNOWLEDGE, "directory.yaml"), "utf8")).kinds as { id: string }[]).map((k) => k.id));
    for (const g of guides) {
      for (const t of g.topics) expect(topics, `${g.id}: topic ${t}`).toContain(t);
      for (const w of g.where) expect(kinds, `${g.id}: where ${w}`).toContain(w);
    }
  });

  it("cover the public legal services and the questions residents ask most", () => {
    const topics = new Set(guides.flatMap((g) => g.topics));
    for (const t of ["labour", "work_injury", "marriage", "inheritance", "debt", "land", "traffic", "consumer", "fraud", "domestic_violence", "elderly", "legal_aid", "mediation", "notary", "appraisal", "arbitration", "lawyer", "correction", "administrative"]) {
      expect(topics, t).toContain(t);
    }
  });

  it("report a broken guide with its line", () => {
    const bad = readFileSync(join(KNOWLEDGE, "guides", files[0]), "utf8").replace(/^title:.*$/m, "title:");
    expect(() => parseGuide(bad, "bad.md")).toThrow(GuideError);
  });
});

describe.skipIf(!HAS_LAWS)("guides' legal basis against the statutes in ../shared/data/laws", () => {
  const current = new Map<string, boolean>();
  beforeAll(async () => {
    const db = openSqlite(":memory:");
    const store = new SqlKnowledgeStore(db);
    // Only the laws the guides cite, so the test stays fast.
    const titles = new Set(guides.flatMap((g) => g.legalBasis.map((b) => b.law)));
    const index = readFileSync(join(LAWS_DIR, "index.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { path: string; title: string });
    const paths = index.filter((e) => titles.has(e.title)).map((e) => join(LAWS_DIR, e.path));
    await ingestPaths(store, paths);
    for (const a of await store.allArticles()) {
      const key = `${a.law}|${a.article}`;
      current.set(key, (current.get(key) ?? false) || isCurrentLaw(a));
    }
    db.close();
  }, 120_000);

  it("every cited article exists and is current law", () => {
    const unresolved = guides.flatMap((g) => g.legalBasis.filter((b) => current.get(`${b.law}|${b.article}`) !== true).map((b) => `${g.id}: ${b.law}${b.article}`));
    expect(unresolved).toEqual([]);
    expect(guides.reduce((n, g) => n + g.legalBasis.length, 0)).toBeGreaterThan(100);
  });
});
