// The relevance gate on quoted articles: the guide's basis always, a retrieved article only
// when the question's evidence supports its law.
import { describe, expect, it } from "vitest";
import type { ArticleHit, ArticleUnit } from "../../src/knowledge/types.ts";
import { chineseToInt } from "../../src/knowledge/article-number.ts";
import { evidenceArticles, pickArticles, relevanceGate } from "../../src/pipeline/citations.ts";

const LABOUR = "中华人民共和国劳动合同法";
const SOCIAL = "中华人民共和国社会保险法";
const CIVIL = "中华人民共和国民法典";
const ARMY = "中国人民解放军文职人员条例";

function article(law: string, no: string): ArticleUnit {
  return {
    id: `${law}|${no}`,
    law,
    article: no,
    articleNo: chineseToInt(no.slice(1, -1)),
    articleSub: 0,
    text: `${law}${no}的条文`,
    chapters: [],
    level: "法律",
    status: "现行有效",
    promulgated: null,
    effective: null,
    region: null,
    source: "test",
    line: 1,
  } as unknown as ArticleUnit;
}

const hit = (a: ArticleUnit, score = 1): ArticleHit => ({ article: a, score, exact: false, parts: {} });
const ids = (xs: ArticleUnit[]) => xs.map((a) => a.id);

describe("pickArticles", () => {
  const basis = [article(SOCIAL, "第五十八条"), article(SOCIAL, "第四条")];

  it("leaves out a top hit from a law nothing else points to (the hub beside a guide)", () => {
    const hits = [hit(article(ARMY, "第五十五条")), hit(article(SOCIAL, "第五十八条"))];
    const neighbours = { coverage: 1, nearest: 0.5, keys: [`${SOCIAL}|第五十八条`, `${LABOUR}|第三十八条`] };
    expect(ids(pickArticles({ basis, hits, exact: false, neighbours }))).toEqual([`${SOCIAL}|第五十八条`, `${SOCIAL}|第四条`]);
  });

  it("adds the top hit from another law when the nearest labelled questions were answered from it", () => {
    const hits = [hit(article(LABOUR, "第三十八条")), hit(article(SOCIAL, "第五十八条"))];
    const neighbours = { coverage: 1, nearest: 0.5, keys: [`${LABOUR}|第三十八条`] };
    expect(ids(pickArticles({ basis, hits, exact: false, neighbours }))).toContain(`${LABOUR}|第三十八条`);
  });

  it("without a guide quotes only supported hits, and nothing when none is supported", () => {
    const hits = [hit(article(CIVIL, "第三百六十四条")), hit(article(LABOUR, "第三十条")), hit(article(LABOUR, "第八十五条"))];
    const neighbours = { coverage: 1, nearest: 0.5, keys: [`${LABOUR}|第三十条`] };
    expect(ids(pickArticles({ basis: [], hits, exact: false, neighbours }))).toEqual([`${LABOUR}|第三十条`, `${LABOUR}|第八十五条`]);
    const elsewhere = { coverage: 1, nearest: 0.5, keys: [`${SOCIAL}|第四条`] };
    expect(pickArticles({ basis: [], hits, exact: false, neighbours: elsewhere })).toEqual([]);
  });

  it("without a labelled bank, an article another top hit nearby backs is supported, a lone article is not", () => {
    const hits = [hit(article(CIVIL, "第三百六十四条")), hit(article(LABOUR, "第三十条")), hit(article(LABOUR, "第八十五条"))];
    expect(evidenceArticles({ basis: [], hits, exact: false, neighbours: null }).map((x) => x.law)).toEqual([LABOUR, LABOUR]);
    expect(ids(pickArticles({ basis: [], hits, exact: false, neighbours: null }))).toEqual([`${LABOUR}|第三十条`, `${LABOUR}|第八十五条`]);
  });

  it("within a large code, support is by part: a property article is not backed by the contract rules' neighbours", () => {
    const hits = [hit(article(CIVIL, "第三百七十条")), hit(article(CIVIL, "第五百八十四条"))];
    const neighbours = { coverage: 1, nearest: 0.5, keys: [`${CIVIL}|第五百七十七条`] };
    expect(ids(pickArticles({ basis: [], hits, exact: false, neighbours }))).toEqual([`${CIVIL}|第五百八十四条`]);
  });

  it("an article the question names exactly is always quoted first", () => {
    const named = { ...hit(article(ARMY, "第五十五条")), exact: true };
    expect(ids(pickArticles({ basis, hits: [named], exact: true, neighbours: null }))[0]).toBe(`${ARMY}|第五十五条`);
  });
});

describe("term support", () => {
  it("a backed article that shares no word with the question (nor its legal terms) is not quoted", () => {
    const hits = [hit(article(CIVIL, "第三百七十条"))];
    const neighbours = { coverage: 1, nearest: 0.1, keys: [`${CIVIL}|第三百六十九条`] };
    expect(pickArticles({ basis: [], hits, exact: false, neighbours, terms: ["网上", "假货"] })).toEqual([]);
    const said = { ...article(CIVIL, "第三百七十条"), text: "居住权期限届满或者居住权人死亡的，居住权消灭。" };
    expect(ids(pickArticles({ basis: [], hits: [hit(said)], exact: false, neighbours, terms: ["居住权"] }))).toEqual([said.id]);
  });
});

describe("relevanceGate (quotes and the lawyer's findings)", () => {
  it("passes the guide's basis whatever its words, and a backed article only when it shares a term", () => {
    const basis = [article(SOCIAL, "第五十八条")];
    const neighbours = { coverage: 1, nearest: 0.1, keys: [`${LABOUR}|第三十条`] };
    const passes = relevanceGate({ basis, hits: [], exact: false, neighbours, terms: ["工资"] });
    expect(passes(basis[0])).toBe(true);
    expect(passes({ ...article(LABOUR, "第三十一条"), text: "用人单位应当按时支付工资。" })).toBe(true);
    expect(passes({ ...article(LABOUR, "第三十一条"), text: "加班的规定。" })).toBe(false);
    expect(passes({ ...article(ARMY, "第五十五条"), text: "文职人员的工资。" })).toBe(false);
  });
});
