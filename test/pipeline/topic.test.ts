import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import fc from "fast-check";
import { classifyTopic, loadTopics, parseTopics, type TopicDef } from "../../src/pipeline/topic.ts";

const topics: TopicDef[] = [
  { id: "labour", label: "劳动争议", keywords: ["工资", "欠薪", "老板", "劳动合同"] },
  { id: "marriage", label: "婚姻家庭", keywords: ["离婚", "彩礼", "抚养费"] },
  { id: "land", label: "农村土地", keywords: ["宅基地", "承包地"] },
  { id: "other", label: "其他", keywords: ["怎么办", "咨询"] },
];

describe("classifyTopic", () => {
  it("ranks the matching topic first", () => {
    expect(classifyTopic("老板欠我三个月工资不给咋办", topics)[0].topic).toBe("labour");
    expect(classifyTopic("离婚彩礼要退吗", topics)[0].topic).toBe("marriage");
  });

  it("falls back to other", () => {
    expect(classifyTopic("今天天气不错", topics)).toEqual([{ topic: "other", score: 0 }]);
    expect(classifyTopic("我想咨询一下怎么办", topics)[0].topic).toBe("other");
  });

  it("lets a specific topic beat the generic words of other", () => {
    expect(classifyTopic("宅基地被占了怎么办", topics)[0].topic).toBe("land");
  });

  it("scores lie in [0, 1) and are sorted", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (s) => {
        const r = classifyTopic(s + "工资离婚", topics);
        for (const x of r) expect(x.score).toBeGreaterThanOrEqual(0), expect(x.score).toBeLessThan(1);
        for (let i = 1; i < r.length; i++) expect(r[i - 1].score).toBeGreaterThanOrEqual(r[i].score);
      }),
    );
  });

  it("parses both YAML shapes and rejects a topic without id", () => {
    expect(parseTopics({ topics: [{ id: "x", label: "X", keywords: ["a", 12348] }] })[0].keywords).toEqual(["a", "12348"]);
    expect(parseTopics([{ id: "y", keywords: [] }])[0].id).toBe("y");
    expect(() => parseTopics({ topics: [{ label: "no id" }] })).toThrow();
  });

  it("classifies with the real knowledge/topics.yaml when present", () => {
    const dir = new URL("../../knowledge", import.meta.url).pathname;
    if (!existsSync(`${dir}/topics.yaml`)) return;
    const real = loadTopics(dir);
    expect(real.length).toBeGreaterThan(10);
    expect(classifyTopic("老板欠我三个月工资不给咋办", real)[0].topic).toBe("labour");
    expect(classifyTopic("宅基地被邻居占了", real)[0].topic).toBe("land");
    expect(classifyTopic("离婚孩子抚养权归谁", real)[0].topic).toBe("marriage");
  });
});
