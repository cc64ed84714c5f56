// Laws revised after the collection was taken: an older imported text is marked 已修改 and is
// never current law; the new text, once uploaded, takes over.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { loadLawRevisions, revisionSuperseding, type LawRevision } from "../../src/knowledge/revisions.ts";
import { isCurrentLaw } from "../../src/knowledge/status.ts";
import { SqlKnowledgeStore } from "../../src/store/knowledge-store.ts";
import { openSqlite } from "../../src/store/sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "lawdesk-revisions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REVISION: LawRevision = { law: "中华人民共和国示例法", passed: "2025-09-12", inForce: "2026-03-01", changes: "全面修订", source: "测试" };

const lawFile = (date: string, text: string) => `# 中华人民共和国示例法

${date.slice(0, 4)}年${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日通过

<!-- INFO END -->

第一条 ${text}
`;

describe("law revisions", () => {
  it("the bundled list names the revisions the issue reported, each with dates and a source", () => {
    const list = loadLawRevisions(resolve(PROJECT_ROOT, "knowledge"));
    const laws = list.map((r) => r.law);
    for (const law of ["中华人民共和国治安管理处罚法", "中华人民共和国仲裁法", "婚姻登记条例"]) expect(laws).toContain(law);
    for (const r of list) {
      expect(r.passed <= r.inForce).toBe(true);
      expect(r.source.length).toBeGreaterThan(3);
    }
  });

  it("an undated or older text is superseded, a text dated on or after the revision is not", () => {
    expect(revisionSuperseding([REVISION], REVISION.law, null)).toBe(REVISION);
    expect(revisionSuperseding([REVISION], REVISION.law, "2017-09-01")).toBe(REVISION);
    expect(revisionSuperseding([REVISION], REVISION.law, "2025-09-12")).toBeNull();
    expect(revisionSuperseding([REVISION], "中华人民共和国其他法", "2017-09-01")).toBeNull();
  });

  it("marks the older text 已修改 at ingestion, and the uploaded new text takes over as current", async () => {
    const db = openSqlite(":memory:");
    const store = new SqlKnowledgeStore(db);
    const old = join(dir, "old.md");
    writeFileSync(old, lawFile("2017-09-01", "旧的规定。"));
    await ingestPaths(store, [old], { revisions: [REVISION] });
    let arts = await store.allArticles();
    expect(arts).toHaveLength(1);
    expect(arts[0].status).toBe("已修改");
    expect(isCurrentLaw(arts[0])).toBe(false);

    const fresh = join(dir, "new.md");
    writeFileSync(fresh, lawFile("2025-09-12", "新的规定。"));
    await ingestPaths(store, [fresh], { revisions: [REVISION] });
    arts = await store.allArticles();
    const current = arts.filter((a) => isCurrentLaw(a));
    expect(current.map((a) => a.text)).toEqual(["新的规定。"]);
    db.close();
  });
});
