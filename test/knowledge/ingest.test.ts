import { mkdtempSync, mkdirSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { SqlKnowledgeStore } from "../../src/store/knowledge-store.ts";
import { openSqlite, type SqliteDb } from "../../src/store/sqlite.ts";
import { HAS_LAWS, LAWS_DIR } from "../helpers/shared-data.ts";

let dir: string;
let db: SqliteDb;
let store: SqlKnowledgeStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lawdesk-ingest-"));
  db = openSqlite(join(dir, "data", "lawdesk.db"));
  store = new SqlKnowledgeStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, content: string): string {
  const p = join(dir, "src", rel);
  mkdirSync(resolve(p, ".."), { recursive: true });
  writeFileSync(p, content);
  return p;
}

const LAW = "# 中华人民共和国示例法\n\n2020年1月1日 通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 立法目的。\n\n第二条 适用范围。\n";
const GUIDE = `---
id: sample-guide
title: 示例指南
topics: [labour]
questions: [老板欠钱咋办]
legal_basis:
  - law: 中华人民共和国示例法
    article: 第2条
steps: [先收集证据]
---
这是一段足够长的通俗解释，告诉居民应该怎么做，到哪里去办理。
`;

describe("ingest", () => {
  it("adds laws, JSONL and guides, then redoes only what changed", async () => {
    write("laws/示例法.md", LAW);
    write("corpus.jsonl", '{"id":"x1","law":"某条例","article":"第3条","text":"第一段\\n\\n第二段"}\n');
    write("guides/sample-guide.md", GUIDE);
    const first = await ingestPaths(store, [join(dir, "src")]);
    expect(first).toMatchObject({ files: 3, added: 3, articles: 3, guides: 1, skipped: [], changed: true });
    const v1 = await store.version();

    const second = await ingestPaths(store, [join(dir, "src")]);
    expect(second).toMatchObject({ added: 0, updated: 0, unchanged: 3, changed: false });
    expect(await store.version()).toBe(v1);

    write("laws/示例法.md", LAW + "\n第三条 新增。\n");
    const third = await ingestPaths(store, [join(dir, "src")]);
    expect(third).toMatchObject({ updated: 1, unchanged: 2, articles: 3 });
    expect(await store.version()).toBe(v1 + 1);

    const jsonl = await store.findArticle("某条例", 3, 0);
    expect(jsonl[0]).toMatchObject({ id: "x1", article: "第三条", text: "第一段\n第二段", status: "现行有效" });
    const [guide] = await store.allGuides();
    expect(guide.legalBasis).toEqual([{ law: "中华人民共和国示例法", article: "第二条" }]);
  });

  it("reports malformed files and lines with path and line, and ingests the rest", async () => {
    write("laws/good.md", LAW);
    write("laws/broken.md", "第一条 没有标题的文件。\n");
    write("bad.jsonl", '{"id":"ok","law":"甲法","article":"第一条","text":"好的"}\n{not json\n{"id":"y","law":"乙法","article":"第X章","text":"t"}\n');
    write("guides/bad-guide.md", GUIDE.replace("steps: [先收集证据]", "steps: []"));
    const s = await ingestPaths(store, [join(dir, "src")]);
    const where = s.skipped.map((p) => `${p.path.slice(dir.length + 5)}:${p.line}`);
    expect(where).toEqual(expect.arrayContaining(["bad.jsonl:2", "bad.jsonl:3", "laws/broken.md:1", "guides/bad-guide.md:9"]));
    expect(s.articles).toBe(3); // good.md (2) + the good JSONL line
    expect((await store.findArticle("甲法", 1, 0))[0].text).toBe("好的");
  });

  it("forgets a file removed from an ingested folder", async () => {
    const p = write("laws/示例法.md", LAW);
    await ingestPaths(store, [join(dir, "src")]);
    rmSync(p);
    const s = await ingestPaths(store, [join(dir, "src")]);
    expect(s.removed).toBe(1);
    expect(await store.allArticles()).toEqual([]);
  });

  it("keeps only the newest version of a law current when several claim to be", async () => {
    write("laws/示例法(2018-01-01).md", LAW.replace("2020年1月1日", "2018年1月1日"));
    write("laws/示例法(2023-12-29).md", LAW.replace("2020年1月1日", "2023年12月29日"));
    await ingestPaths(store, [join(dir, "src")]);
    const versions = await store.findArticle("中华人民共和国示例法", 1, 0);
    expect(versions.map((v) => [v.status, v.source.endsWith("(2023-12-29).md")])).toEqual([
      ["现行有效", true],
      ["已修改", false],
    ]);
  });

  it("marks a law whose effective date is still ahead as not yet in force", async () => {
    write("future.jsonl", '{"id":"f1","law":"未来法","article":"第一条","text":"t","effective":"2099-01-01"}\n');
    await ingestPaths(store, [join(dir, "src")], { now: new Date("2026-01-01") });
    expect((await store.findArticle("未来法", 1, 0))[0].status).toBe("尚未生效");
  });
});

describe.skipIf(!HAS_LAWS)("ingest of real statutes with their index.jsonl", () => {
  it("repealed, local and Civil Code files keep status, region, level and book", async () => {
    // Copies a few real files into a collection of the test's own, index.jsonl included.
    const root = join(dir, "laws");
    const files = [
      "民法典/婚姻家庭编.md",
      "司法解释/人民检察院刑事诉讼规则（试行）(2012-11-22).md",
      "DLC/浙江地方法规/地方性法规/浙江/中国（浙江）自由贸易试验区条例.md",
    ];
    for (const f of files) {
      mkdirSync(resolve(root, f, ".."), { recursive: true });
      copyFileSync(resolve(LAWS_DIR, f), resolve(root, f));
    }
    copyFileSync(resolve(LAWS_DIR, "index.jsonl"), join(root, "index.jsonl"));
    const s = await ingestPaths(store, [root]);
    expect(s.skipped).toEqual([]);
    const divorce = (await store.findArticle("中华人民共和国民法典", 1079, 0))[0];
    expect(divorce).toMatchObject({ status: "现行有效", level: "法律", chapters: ["婚姻家庭编", "第四章 离婚"] });
    const all = await store.allArticles();
    const repealed = all.find((a) => a.law === "人民检察院刑事诉讼规则（试行）")!;
    expect(repealed).toMatchObject({ status: "已失效", level: "司法解释" });
    const local = all.find((a) => a.law.includes("浙江"))!;
    expect(local).toMatchObject({ level: "地方性法规", region: "浙江" });
    expect(local.source.endsWith(".md") && local.line > 0).toBe(true);
  });
});

describe.skipIf(!HAS_LAWS)("ingest of the whole Civil Code", () => {
  it("keeps every part current: 总则 and 附则 are parts of one law, not versions of it", async () => {
    await ingestPaths(store, [resolve(LAWS_DIR, "民法典")]);
    const all = await store.allArticles();
    expect(all.length).toBeGreaterThan(1200);
    expect(all.filter((a) => a.status !== "现行有效")).toEqual([]);
    expect((await store.findArticle("中华人民共和国民法典", 56, 0))[0].chapters[0]).toBe("总则");
  });
});
