import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { learnAssociations } from "../../src/retrieval/term-associations.ts";
import { SearchIndex, type TrainingQuestion } from "../../src/retrieval/search-index.ts";
import type { ArticleUnit } from "../../src/knowledge/types.ts";
import { RERANK_FEATURES } from "../../src/retrieval/rerank.ts";

// Article words are rare in the corpus at large (share 1%) unless listed as common.
const COMMON = new Set(["规定", "当事人"]);
const share = (w: string) => (COMMON.has(w) ? 0.5 : 0.01);

describe("learned lay-to-legal associations", () => {
  const pairs = [
    { questionWords: ["欠钱", "不还"], articleWords: [["借款人", "返还", "规定"]] },
    { questionWords: ["朋友", "欠钱"], articleWords: [["借款人", "利息", "当事人"]] },
    { questionWords: ["欠钱", "起诉"], articleWords: [["借款人", "诉讼时效"]] },
    { questionWords: ["离婚"], articleWords: [["夫妻", "财产"]] },
  ];

  it("links a lay word to the legal word its questions' articles share, and weighs the stronger link first", () => {
    const table = new Map(learnAssociations(pairs, share));
    const owed = table.get("欠钱")!;
    expect(owed[0][0]).toBe("借款人");
    expect(owed.map(([a]) => a)).not.toContain("利息"); // met once: chance
  });

  it("ignores words common to all articles and words seen with one question only", () => {
    const table = new Map(learnAssociations(pairs, share));
    expect(table.get("欠钱")!.map(([a]) => a)).not.toContain("规定");
    expect(table.has("离婚")).toBe(false);
    expect(table.has("不还")).toBe(false);
  });

  it("spreads a question labelled with several articles over them", () => {
    const split = [
      { questionWords: ["工伤"], articleWords: [["工伤保险"], ["鉴定"]] },
      { questionWords: ["工伤"], articleWords: [["工伤保险"], ["鉴定"]] },
      { questionWords: ["工伤"], articleWords: [["工伤保险"]] },
    ];
    const [[, list]] = learnAssociations(split, share, { minPairs: 1 });
    expect(list.map(([a]) => a)).toEqual(["工伤保险", "鉴定"]);
    expect(list[0][1]).toBeGreaterThan(list[1][1]);
  });
});

function article(id: string, law: string, no: number, text: string): ArticleUnit {
  return {
    id, law, article: `第${no}条`, articleNo: no, articleSub: 0, text, chapters: [], level: "法律", status: "现行有效",
    promulgated: null, effective: null, region: null, source: "test", line: no,
  };
}

describe("an index that learned associations", () => {
  // Three loan articles say 借款人; the questions say 欠钱. A new question about 欠钱 should find
  // the loan article it was never labelled with, through the association alone.
  const articles = [
    article("a1", "借款法", 1, "借款人应当按照约定的期限返还借款。"),
    article("a2", "借款法", 2, "借款人未按照约定的期限返还借款的，应当支付逾期利息。"),
    article("a3", "借款法", 3, "自然人之间的借款合同，自贷款人提供借款时成立。借款人应当如实提供。"),
    article("b1", "婚姻法", 1, "夫妻一方要求离婚的，可以向人民法院提起诉讼。"),
    article("c1", "道路法", 1, "机动车驾驶人应当遵守道路交通安全法律。"),
    // Other articles, so that 借款人 is a rare word in the corpus at large.
    ...["森林防火", "渔业捕捞", "矿产开采", "文物保护", "气象观测", "港口管理", "种子生产", "药品检验", "测绘成果", "档案保管",
      "海关监管", "邮政业务", "烟草专卖", "电力设施", "水土保持", "草原保护", "野生动物", "广告发布", "价格监测", "统计调查"].map(
      (topic, i) => article(`z${i}`, "其他法", i + 1, `${topic}工作由县级以上人民政府有关部门负责。`),
    ),
  ];
  const training = [
    { query: "亲戚欠钱一直拖着怎么办", relevant: ["a1"] },
    { query: "同事欠钱还要给利息吗", relevant: ["a2"] },
  ];
  const build = (assoc: number) => SearchIndex.build(articles, { training, weights: { assoc, knn: 0, lawKnn: 0 }, dense: false, rerank: false });

  it("finds the legal word's article for a lay word, and only with the learned weight on", () => {
    const q = "邻居欠钱不给";
    expect(build(0.4).search(q, 5, { exact: false }).map((h) => h.article.id)).toContain("a3");
    expect(build(0).search(q, 5, { exact: false }).map((h) => h.article.id)).not.toContain("a3");
  });

  it("tells the reranker which candidates hold a question word's associations", () => {
    const at = RERANK_FEATURES.indexOf("assocCoverage");
    const cands = build(0.4).rerankCandidates("欠钱了还离婚", 10); // 离婚 finds an article without 借款人
    const feature = (id: string) => cands.find((c) => c.article.id === id)?.features[at];
    expect(feature("a3")).toBeGreaterThan(0); // holds 借款人, the association of 欠钱
    for (const c of cands.filter((x) => !x.article.text.includes("借款人"))) expect(c.features[at]).toBe(0);
    expect(cands.some((c) => !c.article.text.includes("借款人"))).toBe(true);
  });

  it("leaves a question longer than those it learned from as it is", () => {
    const story = "邻居去年搬家前说好年底给，到现在一直欠钱不给，电话也不接，家里老人还生病住院";
    const ids = (i: SearchIndex) => i.search(story, 5, { exact: false }).map((h) => h.article.id);
    expect(ids(build(0.4))).toEqual(ids(build(0)));
  });

  it("keeps what it learned through a save and a load", () => {
    const dir = mkdtempSync(join(tmpdir(), "lawdesk-assoc-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const built = build(0.4);
    built.save(dir);
    const q = "邻居欠钱不给";
    const ids = (i: SearchIndex) => i.search(q, 5, { exact: false }).map((h) => [h.article.id, h.score.toFixed(6)]);
    expect(ids(SearchIndex.load(dir))).toEqual(ids(built));
  });

  it("lets a lawyer's answer speak for the article it cites", () => {
    // The answer names the matter (民间借贷纠纷) in words neither the question nor any article uses.
    const answered = [{ query: "表哥拖着不给我", relevant: ["a3"], answer: "这属于民间借贷纠纷，对方应当还款。" }];
    const index = (t: TrainingQuestion[]) => SearchIndex.build(articles, { training: t, dense: false, rerank: false });
    const rank = (i: SearchIndex) => i.search("民间借贷纠纷怎么还款", 5, { exact: false }).findIndex((h) => h.article.id === "a3");
    expect(rank(index(answered))).toBe(0);
    expect(rank(index(answered.map(({ query, relevant }) => ({ query, relevant }))))).not.toBe(0);
  });
});
