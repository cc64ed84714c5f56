import { describe, expect, it } from "vitest";
import { bigramShare, hanBigrams, hanOnly } from "../../src/retrieval/surface-match.ts";

describe("character-level matching for the reranker", () => {
  it("keeps only Chinese characters of a question", () => {
    expect(hanOnly("老板拖欠工资3个月，怎么办？OK")).toBe("老板拖欠工资个月怎么办");
  });

  it("lists each pair of adjacent characters once", () => {
    expect(hanBigrams("工资工资")).toEqual(["工资", "资工"]);
    expect(hanBigrams("工")).toEqual([]);
  });

  it("counts the share of pairs an article holds, whatever the tokenizer made of them", () => {
    // 离婚后 never meets 离婚 as a token; its pairs 离婚 and 婚后 still do, one of two.
    expect(bigramShare(hanBigrams("离婚后"), "夫妻离婚的，应当签订书面协议")).toBe(0.5);
    expect(bigramShare([], "任何条文")).toBe(0);
  });
});
