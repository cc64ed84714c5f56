// KnowledgeStore contract: the same tests against SQLite (temp file) and PostgreSQL (fresh schema).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import type { ArticleUnit, Guide } from "../../src/knowledge/types.ts";
import type { SourceRow } from "../../src/store/knowledge-store.ts";
import { BACKENDS, skipped, title, type Backend } from "./backends.ts";

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

function source(path: string, over: Partial<SourceRow> = {}): SourceRow {
  return { path, root: "/r", kind: "law_jsonl", hash: `h-${path}`, units: 1, ingestedAt: "2025-01-20T08:00:00Z", lawKey: null, lawDate: null, ...over };
}

function article(id: string, src: string, over: Partial<ArticleUnit> = {}): ArticleUnit {
  return {
    id,
    law: "甲法",
    article: "第一条",
    articleNo: 1,
    articleSub: 0,
    text: `text of ${id}`,
    chapters: ["第一章 总则"],
    level: "法律",
    status: "现行有效",
    promulgated: "2020-01-01",
    effective: "2020-05-01",
    region: null,
    source: src,
    line: 1,
    ...over,
  };
}

function guide(id: string, src: string): Guide {
  return {
    id,
    title: `指南 ${id}`,
    topics: ["labour"],
    questions: ["问"],
    legalBasis: [{ law: "甲法", article: "第一条" }],
    steps: ["一"],
    materials: [],
    where: [],
    fees: "免费",
    timeLimits: "",
    alwaysEscalate: false,
    body: "正文",
    source: src,
  };
}

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("KnowledgeStore contract", name), () => {
    let b: Backend;
    let dir: string;
    beforeEach(async () => {
      b = await make();
      dir = mkdtempSync(join(tmpdir(), "lawdesk-kcontract-"));
    });
    afterEach(async () => {
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    });

    function write(rel: string, content: string): string {
      const p = join(dir, "src", rel);
      mkdirSync(resolve(p, ".."), { recursive: true });
      writeFileSync(p, content);
      return p;
    }

    it("ingests laws, JSONL and guides, then redoes only what changed", async () => {
      const store = b.knowledge;
      write("laws/示例法.md", LAW);
      write("corpus.jsonl", '{"id":"x1","law":"某条例","article":"第3条","text":"第一段\\n\\n第二段"}\n');
      write("guides/sample-guide.md", GUIDE);
      expect(await store.version()).toBe(0);
      const first = await ingestPaths(store, [join(dir, "src")]);
      expect(first).toMatchObject({ files: 3, added: 3, articles: 3, guides: 1, skipped: [], changed: true });
      const v1 = await store.version();
      expect(v1).toBeGreaterThan(0);

      const second = await ingestPaths(store, [join(dir, "src")]);
      expect(second).toMatchObject({ added: 0, updated: 0, unchanged: 3, changed: false });
      expect(await store.version()).toBe(v1);

      write("laws/示例法.md", LAW + "\n第三条 新增。\n");
      const third = await ingestPaths(store, [join(dir, "src")]);
      expect(third).toMatchObject({ updated: 1, unchanged: 2, articles: 3 });
      expect(await store.version()).toBe(v1 + 1);

      const jsonl = await store.findArticle("某条例", 3, 0);
      expect(jsonl[0]).toMatchObject({ id: "x1", article: "第三条", text: "第一段\n第二段", status: "现行有效" });
      const [g] = await store.allGuides();
      expect(g.legalBasis).toEqual([{ law: "中华人民共和国示例法", article: "第二条" }]);
      expect((await store.listSources()).map((s) => s.path.slice(dir.length + 5))).toEqual(["corpus.jsonl", "guides/sample-guide.md", "laws/示例法.md"]);
      const src = await store.getSource(join(dir, "src", "laws", "示例法.md"));
      expect(src).toMatchObject({ kind: "law_markdown", units: 3 });
      expect(await store.getSource("/nope")).toBeUndefined();
    });

    it("forgets a removed file and keeps the newest of several current versions", async () => {
      const store = b.knowledge;
      const p = write("laws/示例法(2018-01-01).md", LAW.replace("2020年1月1日", "2018年1月1日"));
      write("laws/示例法(2023-12-29).md", LAW.replace("2020年1月1日", "2023年12月29日"));
      await ingestPaths(store, [join(dir, "src")]);
      const versions = await store.findArticle("中华人民共和国示例法", 1, 0);
      expect(versions.map((v) => [v.status, v.source.endsWith("(2023-12-29).md")])).toEqual([
        ["现行有效", true],
        ["已修改", false],
      ]);
      rmSync(p);
      const s = await ingestPaths(store, [join(dir, "src")]);
      expect(s.removed).toBe(1);
      expect((await store.allArticles()).every((a) => a.source.endsWith("(2023-12-29).md"))).toBe(true);
    });

    it("replaces a source atomically, keeping insertion order, and moves ids another source had", async () => {
      const store = b.knowledge;
      await store.replaceSource(source("/r/a.jsonl"), [article("a1", "/r/a.jsonl"), article("a2", "/r/a.jsonl", { articleNo: 2, article: "第二条" })], [guide("g-a", "/r/a.jsonl")]);
      await store.replaceSource(
        source("/r/b.jsonl", { kind: "guide" }),
        [article("b1", "/r/b.jsonl", { law: "乙法", region: "浙江", promulgated: null, effective: null }), article("a1", "/r/b.jsonl", { text: "moved" })],
        [guide("g-b", "/r/b.jsonl"), guide("g-a", "/r/b.jsonl")],
      );
      expect((await store.allArticles()).map((a) => [a.id, a.source])).toEqual([
        ["a2", "/r/a.jsonl"],
        ["b1", "/r/b.jsonl"],
        ["a1", "/r/b.jsonl"],
      ]);
      expect((await store.allGuides()).map((g) => [g.id, g.source])).toEqual([
        ["g-a", "/r/b.jsonl"],
        ["g-b", "/r/b.jsonl"],
      ]);
      const [b1] = await store.getArticles(["b1"]);
      expect(b1).toEqual(article("b1", "/r/b.jsonl", { law: "乙法", region: "浙江", promulgated: null, effective: null }));
      expect((await store.getArticles(["a1", "missing", "a2"])).map((a) => [a.id, a.text])).toEqual([
        ["a1", "moved"],
        ["a2", "text of a2"],
      ]);
      expect(await store.getArticles([])).toEqual([]);

      // Re-ingesting a source replaces everything it had.
      await store.replaceSource(source("/r/a.jsonl", { hash: "h2" }), [article("a3", "/r/a.jsonl")], []);
      expect((await store.getSource("/r/a.jsonl"))?.hash).toBe("h2");
      expect((await store.articleStates()).map((a) => a.id)).toEqual(["b1", "a1", "a3"]);
      // A failing replacement leaves the previous content in place.
      await expect(store.replaceSource(source("/r/a.jsonl", { kind: "nonsense" as never }), [article("a4", "/r/a.jsonl")], [])).rejects.toThrow(/check/i);
      expect((await store.articleStates()).map((a) => a.id)).toEqual(["b1", "a1", "a3"]);
      await store.removeSource("/r/b.jsonl");
      expect((await store.allArticles()).map((a) => a.id)).toEqual(["a3"]);
      expect(await store.allGuides()).toEqual([]);
      expect((await store.listSources("/r")).map((s) => s.path)).toEqual(["/r/a.jsonl"]);
      expect(await store.listSources("/other")).toEqual([]);
    });

    it("orders versions of an article: current first, then by effective date (unknown last)", async () => {
      const store = b.knowledge;
      await store.replaceSource(source("/r/1"), [article("v1", "/r/1", { status: "已修改", effective: "2010-01-01" })], []);
      await store.replaceSource(source("/r/2"), [article("v2", "/r/2", { status: "已修改", effective: null })], []);
      await store.replaceSource(source("/r/3"), [article("v3", "/r/3", { status: "已修改", effective: "2015-01-01" })], []);
      await store.replaceSource(source("/r/4"), [article("v4", "/r/4", { status: "现行有效", effective: "2001-01-01" })], []);
      await store.replaceSource(source("/r/5"), [article("v5", "/r/5", { status: "尚未生效", effective: "2099-01-01" })], []);
      expect((await store.findArticle("甲法", 1, 0)).map((a) => a.id)).toEqual(["v4", "v5", "v3", "v1", "v2"]);
      expect(await store.findArticle("甲法", 1, 1)).toEqual([]);
    });

    it("resolves versions by law key and date, and sets a law's status", async () => {
      const store = b.knowledge;
      await store.replaceSource(source("/r/old", { lawKey: "甲法", lawDate: "2018-01-01" }), [article("o1", "/r/old"), article("o2", "/r/old", { articleNo: 2 })], []);
      await store.replaceSource(source("/r/new", { lawKey: "甲法", lawDate: "2023-01-01" }), [article("n1", "/r/new")], []);
      await store.replaceSource(source("/r/undated", { lawKey: "甲法", lawDate: null }), [article("u1", "/r/undated")], []);
      await store.replaceSource(source("/r/other", { lawKey: "乙法", lawDate: "2000-01-01" }), [article("x1", "/r/other", { law: "乙法" })], []);
      expect(await store.resolveVersions()).toBe(2);
      const states = Object.fromEntries((await store.articleStates()).map((a) => [a.id, a.status]));
      expect(states).toEqual({ o1: "已修改", o2: "已修改", n1: "现行有效", u1: "已修改", x1: "现行有效" });
      expect(await store.resolveVersions()).toBe(0);
      expect(await store.setLawStatus("甲法", "已失效", "/r/new")).toBe(1);
      expect(await store.setLawStatus("甲法", "已失效")).toBe(4);
      expect(await store.setLawStatus("无此法", "已失效")).toBe(0);
    });

    it("lists laws per source with filters and pages, and keeps an administrator's mark across re-ingest", async () => {
      const store = b.knowledge;
      await store.replaceSource(source("/r/a"), [article("a1", "/r/a"), article("a2", "/r/a", { articleNo: 2 }), article("c1", "/r/a", { law: "丙条例", effective: null })], []);
      await store.replaceSource(source("/r/b"), [article("b1", "/r/b", { effective: "2024-01-01" }), article("z1", "/r/b", { law: "Zeta法", status: "已失效" })], []);
      const all = await store.listLaws();
      expect(all.total).toBe(4);
      expect(all.rows.map((r) => [r.law, r.source, r.articles])).toEqual([
        ["Zeta法", "/r/b", 1],
        ["丙条例", "/r/a", 1],
        ["甲法", "/r/b", 1],
        ["甲法", "/r/a", 2],
      ]);
      expect(all.rows[3]).toEqual({ law: "甲法", source: "/r/a", level: "法律", status: "现行有效", effective: "2020-05-01", promulgated: "2020-01-01", articles: 2, override: null });
      expect((await store.listLaws({ q: " 甲 " })).rows.map((r) => r.source)).toEqual(["/r/b", "/r/a"]);
      expect(await store.listLaws({ status: "已失效" })).toMatchObject({ total: 1, rows: [{ law: "Zeta法" }] });
      const page = await store.listLaws({ offset: 1, limit: 2 });
      expect([page.total, page.rows.map((r) => r.law)]).toEqual([4, ["丙条例", "甲法"]]);
      expect((await store.listLaws({ limit: 0 })).rows).toHaveLength(1);

      expect(await store.overrideLawStatus("/r/a", "甲法", "已失效", "admin-1")).toBe(2);
      expect(await store.overrideLawStatus("/r/a", "无此法", "已失效", "admin-1")).toBe(0);
      expect(await store.listLawOverrides()).toEqual([{ source: "/r/a", law: "甲法", status: "已失效", setBy: "admin-1", setAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) }]);
      expect((await store.listLaws({ q: "甲法", status: "已失效" })).rows).toMatchObject([{ source: "/r/a", override: "已失效", status: "已失效" }]);
      // Re-ingest of the same file: the mark is re-applied to the new rows.
      await store.replaceSource(source("/r/a", { hash: "h2" }), [article("a1", "/r/a"), article("a3", "/r/a", { articleNo: 3 }), article("c1", "/r/a", { law: "丙条例" })], []);
      const states = Object.fromEntries((await store.articleStates()).map((a) => [a.id, a.status]));
      expect(states).toMatchObject({ a1: "已失效", a3: "已失效", c1: "现行有效", b1: "现行有效" });
      // Changing the mark keeps the original status to restore; lifting it restores it.
      expect(await store.overrideLawStatus("/r/a", "甲法", "已修改", "admin-2")).toBe(2);
      expect((await store.listLawOverrides())[0]).toMatchObject({ status: "已修改", setBy: "admin-2" });
      expect(await store.overrideLawStatus("/r/a", "甲法", null, "admin-2")).toBe(2);
      expect(await store.overrideLawStatus("/r/a", "甲法", null, "admin-2")).toBe(0);
      expect(await store.listLawOverrides()).toEqual([]);
      expect((await store.findArticle("甲法", 1, 0)).map((a) => [a.source, a.status])).toEqual([
        ["/r/b", "现行有效"],
        ["/r/a", "现行有效"],
      ]);
    });

    it("bumps the version once per call, also from two processes at once", async () => {
      const other = await b.second();
      const start = await b.knowledge.version();
      const got = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other.knowledge : b.knowledge).bumpVersion()));
      expect(await other.knowledge.version()).toBe(start + 10);
      expect(Math.max(...got)).toBe(start + 10);
    });

    it("runs ingests one at a time (PostgreSQL: also across processes), and lets an ingest nest", async () => {
      // SQLite has one server process: its lock serialises the ingests of that process. On
      // PostgreSQL a second pool stands for another server.
      const other = name === "postgres" ? await b.second() : b;
      const log: string[] = [];
      const work = (who: string) => async () => {
        log.push(`${who}:start`);
        await new Promise((r) => setTimeout(r, 30));
        log.push(`${who}:end`);
        return who;
      };
      const results = await Promise.all([
        b.knowledge.exclusive(work("a1")),
        other.knowledge.exclusive(work("b1")),
        b.knowledge.exclusive(async () => b.knowledge.exclusive(work("a2"))), // re-entrant: no deadlock
        other.knowledge.exclusive(work("b2")),
      ]);
      expect(results).toEqual(["a1", "b1", "a2", "b2"]);
      // Never two inside at once: every start is followed by its own end.
      for (let i = 0; i < log.length; i += 2) expect(log[i + 1]).toBe(log[i].replace(":start", ":end"));
      // A failing ingest releases the lock.
      await expect(b.knowledge.exclusive(async () => Promise.reject(new Error("bad file")))).rejects.toThrow("bad file");
      expect(await other.knowledge.exclusive(async () => "free")).toBe("free");
    });
  });
});
