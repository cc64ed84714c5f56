// Every article a guide cites in its own words (body, steps, materials, fees, time limits),
// not only its front-matter legal basis, resolves to a current article of the law named; no
// guide cites a text superseded by a later revision (knowledge/law-revisions.yaml); and a few
// rules that guides once got wrong are checked as facts.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { guideCitations } from "../../src/knowledge/guide-citations.ts";
import { parseGuide } from "../../src/knowledge/guides.ts";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { loadLawRevisions } from "../../src/knowledge/revisions.ts";
import { isCurrentLaw } from "../../src/knowledge/status.ts";
import type { Guide } from "../../src/knowledge/types.ts";
import { loadAliasesFile } from "../../src/retrieval/knowledge-files.ts";
import { SqlKnowledgeStore } from "../../src/store/knowledge-store.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { HAS_LAWS, LAWS_DIR } from "../helpers/shared-data.ts";

const KNOWLEDGE = resolve(PROJECT_ROOT, "knowledge");
const files = readdirSync(join(KNOWLEDGE, "guides")).filter((f) => f.endsWith(".md"));
const guides: Guide[] = files.map((f) => parseGuide(readFileSync(join(KNOWLEDGE, "guides", f), "utf8"), f));
const revisions = loadLawRevisions(KNOWLEDGE);
const revised = new Set(revisions.map((r) => r.law));

describe("guide text as law", () => {
  it("names the law before every article number it cites", () => {
    const unnamed = guides.flatMap((g) => guideCitations(g).filter((c) => !c.name).map((c) => `${g.id} (${c.field}): ${c.article}`));
    expect(unnamed).toEqual([]);
    expect(guides.reduce((n, g) => n + guideCitations(g).length, 0)).toBeGreaterThan(500);
  });

  it("records when it was reviewed and against which law versions", () => {
    const missing = guides.filter((g) => !g.review || g.review.laws.length === 0).map((g) => g.id);
    expect(missing).toEqual([]);
  });

  it("cites no article of a law revised after the collection was taken", () => {
    const short = (t: string) => t.replace(/^中华人民共和国/, "");
    const bad = guides.flatMap((g) => [
      ...g.legalBasis.filter((b) => revised.has(b.law)).map((b) => `${g.id}: ${b.law}${b.article}`),
      ...guideCitations(g).filter((c) => [...revised].some((r) => short(c.name) === short(r))).map((c) => `${g.id}: 《${c.name}》${c.article}`),
    ]);
    expect(bad).toEqual([]);
  });

  // Rules the line-by-line review found wrong in earlier versions of the guides.
  it("states rules the review corrected as the law has them", () => {
    const all = guides.map((g) => ({ id: g.id, text: [g.body, ...g.steps, g.fees, g.timeLimits].join("\n") }));
    for (const g of all) {
      // Wages owed while the job goes on are not caught by the one-year arbitration limit.
      if (/一年/.test(g.text) && /仲裁/.test(g.text) && /(?:欠|拖欠).{0,4}(?:工资|工钱|劳动报酬)/.test(g.text))
        expect(g.text, g.id).toMatch(/劳动关系存续|在职期间|还在职|仍在职|不受.{0,6}(?:一年|时效).{0,4}限制/);
      // The 定金 cap is in 第五百八十六条 (20%), not 第五百八十七条.
      if (/定金.{0,30}百分之二十|定金.{0,30}20%/.test(g.text)) expect(g.text, g.id).toMatch(/第五百八十六条/);
      expect(g.text, `${g.id}: 不满八周岁, not 八周岁以下`).not.toMatch(/八周岁以下/);
      // Criminal detention extends by 1-4 days; 30 days only for roving, repeated or gang suspects.
      if (/(?:拘留|提请.{0,4}逮捕).{0,40}延(?:长)?至?.{0,4}(?:30|三十)日/.test(g.text)) expect(g.text, g.id).toMatch(/流窜|多次|结伙/);
      expect(g.text, `${g.id}: legal aid is not wholly free of court costs`).not.toMatch(/法律援助.{0,12}完全免费/);
    }
  });
});

describe.skipIf(!HAS_LAWS)("guide citations against the statutes in ../shared/data/laws", () => {
  const current = new Map<string, boolean>();
  const titles = new Set<string>();
  const aliases = new Map<string, string>();
  beforeAll(async () => {
    const index = readFileSync(join(LAWS_DIR, "index.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { path: string; title: string; level: string });
    for (const e of index) if (e.level !== "地方性法规" || e.path.includes("山东")) titles.add(e.title);
    for (const a of loadAliasesFile(join(KNOWLEDGE, "law-aliases.yaml"))) for (const n of a.alias) aliases.set(n, a.law);
    const wanted = new Set<string>();
    for (const g of guides) {
      for (const b of g.legalBasis) wanted.add(b.law);
      for (const c of guideCitations(g)) {
        const t = resolveName(c.name);
        if (t) wanted.add(t);
      }
    }
    const db = openSqlite(":memory:");
    const store = new SqlKnowledgeStore(db);
    await ingestPaths(store, index.filter((e) => wanted.has(e.title)).map((e) => join(LAWS_DIR, e.path)), { revisions });
    for (const a of await store.allArticles()) {
      const key = `${a.law}|${a.article}`;
      current.set(key, (current.get(key) ?? false) || isCurrentLaw(a));
    }
    db.close();
  }, 300_000);

  function resolveName(name: string): string | null {
    if (titles.has(name)) return name;
    if (titles.has(`中华人民共和国${name}`)) return `中华人民共和国${name}`;
    return aliases.get(name) ?? null;
  }

  it("every law named with an article number is in the collection under that title or a listed short name", () => {
    const unknown = new Set(guides.flatMap((g) => guideCitations(g).filter((c) => !resolveName(c.name)).map((c) => `${g.id}: 《${c.name}》`)));
    expect([...unknown]).toEqual([]);
  });

  it("every in-text citation is a current article of the law named", () => {
    const bad = guides.flatMap((g) =>
      guideCitations(g)
        .map((c) => ({ c, law: resolveName(c.name) }))
        .filter(({ c, law }) => law && current.get(`${law}|${c.article}`) !== true)
        .map(({ c, law }) => `${g.id} (${c.field}): ${law}${c.article}`),
    );
    expect(bad).toEqual([]);
  });
});
