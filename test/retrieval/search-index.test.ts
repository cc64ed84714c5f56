import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SearchIndex } from "../../src/retrieval/search-index.ts";
import { LawNameResolver } from "../../src/retrieval/law-names.ts";
import { ALIASES, ARTICLES, HYF, LDHT, MFD, TERMS, TYPOS, XF } from "./fixtures.ts";

const index = SearchIndex.build(ARTICLES, {
  aliases: ALIASES,
  terms: TERMS,
  typos: TYPOS,
  training: [{ query: "公司一直拖着不发工资怎么办", relevant: [ARTICLES[5].id] }],
  lsa: { dim: 8 },
});
const tmp = mkdtempSync(join(tmpdir(), "lawdesk-si-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const first = (q: string) => index.search(q, 5)[0];

describe("exact article lookup", () => {
  it.each([
    ["民法典第三条", MFD, "第三条"],
    ["劳动合同法第30条", LDHT, "第三十条"],
    ["《民法典》1079条", MFD, "第一千零七十九条"],
    ["刑法第一百三十三条之一", XF, "第一百三十三条之一"],
    ["中华人民共和国刑法第264条规定了什么", XF, "第二百六十四条"],
    ["老板违反劳动合同法第三十条怎么办", LDHT, "第三十条"],
    ["民间借贷司法解释第25条", "最高人民法院关于审理民间借贷案件适用法律若干问题的规定", "第二十五条"],
  ])("%s", (q, law, article) => {
    const hit = first(q);
    expect(hit.exact).toBe(true);
    expect(hit.article.law).toBe(law);
    expect(hit.article.article).toBe(article);
  });

  it("prefers the current version when versions share a title", () => {
    const hits = index.search("劳动合同法第三十条", 5);
    expect(hits[0].article.status).toBe("现行有效");
    const old = hits.find((h) => h.article.status === "已修改");
    expect(old?.exact).toBe(true); // still listed, after the current one
  });

  it("a repealed law's own title finds its (repealed) article, with its status", () => {
    const hit = first("婚姻法第三十二条");
    expect(hit.exact).toBe(true);
    expect(hit.article.law).toBe(HYF);
    expect(hit.article.status).toBe("已失效");
  });

  it("does not claim a number match through a renumbered successor (合同法 -> 民法典合同编)", () => {
    const hits = index.search("合同法第三条", 5);
    expect(hits.every((h) => !h.exact)).toBe(true);
  });

  it("exact hits come first whatever the other scores", () => {
    const hits = index.search("盗窃 盗窃 盗窃 民法典第三条", 5);
    expect(hits[0].exact).toBe(true);
    expect(hits[0].article.article).toBe("第三条");
    expect(hits[1].article.law).toBe(XF);
  });
});

describe("law name resolution", () => {
  const titles = [...new Set(ARTICLES.map((a) => a.law))].filter((t) => t !== HYF);
  const r = new LawNameResolver(titles, ALIASES);

  it("resolves titles, short titles and aliases by the longest known suffix", () => {
    expect(r.resolve("中华人民共和国民法典")?.via).toBe("title");
    expect(r.resolve("民法典")?.titles).toEqual([MFD]);
    expect(r.resolve("劳动合同法")?.titles).toEqual([LDHT]);
    expect(r.resolve("老板违反劳动合同法")?.matched).toBe("劳动合同法");
    expect(r.resolve("《刑法》")?.titles).toEqual([XF]);
  });

  it("maps repealed names to their successor with the note", () => {
    const res = r.resolve("新婚姻法");
    expect(res?.via).toBe("alias");
    expect(res?.titles).toEqual([MFD]);
    expect(res?.alias?.book).toBe("婚姻家庭编");
    expect(res?.alias?.note).toContain("废止");
  });

  it("returns null for unknown names", () => {
    expect(r.resolve("外星人保护法")).toBeNull();
  });
});

describe("ranking", () => {
  it("finds wage arrears for a colloquial, misspelt question", () => {
    const hits = index.search("老板欠我三个月工资不给咋办", 3);
    expect(hits[0].article.law).toBe(LDHT);
    expect(hits[0].exact).toBe(false);
    expect(hits[0].parts.bm25).toBeGreaterThan(0);
  });

  it("expands lay words to legal terms", () => {
    const { features, expandedWith } = index.queryFeatures("东家不发工钱");
    expect(expandedWith).toEqual(expect.arrayContaining(["用人单位", "劳动报酬"]));
    expect(features.get("劳动报酬")).toBeLessThan(1);
  });

  it("corrects typos (离昏 -> 离婚)", () => {
    const hits = index.search("我想离昏，对方不同意", 3);
    expect(hits.map((h) => h.article.articleNo)).toContain(1079);
  });

  it("ranks a non-current article below the current one on equal text", () => {
    const hits = index.search("用人单位 及时足额支付劳动报酬", 10, { exact: false });
    const cur = hits.findIndex((h) => h.article.law === LDHT && h.article.articleNo === 30 && h.article.status === "现行有效");
    const old = hits.findIndex((h) => h.article.status === "已修改");
    expect(cur).toBeGreaterThanOrEqual(0);
    expect(old).toBeGreaterThan(cur);
    expect(hits[old].article.status).toBe("已修改");
  });

  it("uses training questions (kNN vote) for similar unseen questions", () => {
    const hit = index.search("公司拖着不发工资", 5).find((h) => h.article.id === ARTICLES[5].id);
    expect(hit?.parts.knn).toBeGreaterThan(0);
  });

  it("carries dense scores from the offline LSA model", () => {
    const hits = index.search("借款 利息", 5);
    expect(hits.some((h) => typeof h.parts.dense === "number")).toBe(true);
  });
});

describe("persistence", () => {
  it("save/load round trip gives the same results", () => {
    index.save(tmp);
    const back = SearchIndex.load(tmp);
    for (const q of ["老板欠我三个月工资不给咋办", "民法典第三条", "借钱不还利息怎么算", "婚姻法第三十二条"]) {
      const a = index.search(q, 5).map((h) => [h.article.id, h.exact, h.score.toFixed(5)]);
      const b = back.search(q, 5).map((h) => [h.article.id, h.exact, h.score.toFixed(5)]);
      expect(b).toEqual(a);
    }
    expect(back.size).toBe(ARTICLES.length);
  });
});

describe("hit explanation parts", () => {
  it("bm25Rank is the article's rank by BM25 alone", () => {
    const q = "用人单位 劳动报酬 经济补偿";
    const hits = index.search(q, 10, { exact: false });
    const byBm25 = [...hits].filter((h) => h.parts.bm25 !== undefined).sort((a, b) => b.parts.bm25! - a.parts.bm25!);
    expect(byBm25[0].parts.bm25Rank).toBe(1);
    for (const h of hits) if (h.parts.bm25Rank !== undefined) expect(h.parts.bm25Rank).toBeGreaterThanOrEqual(1);
  });
});
