import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  canonicalArticleLabel,
  chineseToInt,
  findArticleRefs,
  formatArticleLabel,
  intToChinese,
  parseArticleLabel,
} from "../../src/knowledge/article-number.ts";

describe("Chinese numerals", () => {
  it.each([
    ["一", 1], ["十", 10], ["十七", 17], ["二十", 20], ["一百", 100], ["一百零三", 103], ["一百一十七", 117],
    ["一千零七十九", 1079], ["一千二百六十", 1260], ["两百", 200], ["一〇七九", 1079], ["30", 30], ["３０", 30],
  ])("%s = %d", (s, n) => expect(chineseToInt(s)).toBe(n));

  it("rejects what is not a number", () => {
    expect(chineseToInt("")).toBeNull();
    expect(chineseToInt("三人")).toBeNull();
  });

  it("spells numbers the way statutes do", () => {
    expect(intToChinese(10)).toBe("十");
    expect(intToChinese(17)).toBe("十七");
    expect(intToChinese(110)).toBe("一百一十");
    expect(intToChinese(1079)).toBe("一千零七十九");
    expect(intToChinese(1001)).toBe("一千零一");
  });

  it("round-trips every article number up to 20,000", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 20_000 }), (n) => chineseToInt(intToChinese(n)) === n), { numRuns: 2000 });
  });
});

describe("article labels", () => {
  it("parses Chinese and Arabic numerals and 之一", () => {
    expect(parseArticleLabel("第十七条之一")).toEqual({ no: 17, sub: 1 });
    expect(parseArticleLabel("第30条")).toEqual({ no: 30, sub: 0 });
    expect(parseArticleLabel("1079条")).toEqual({ no: 1079, sub: 0 });
    expect(parseArticleLabel("第一百三十三条之二")).toEqual({ no: 133, sub: 2 });
    expect(parseArticleLabel("第三章")).toBeNull();
    expect(parseArticleLabel("第零条")).toBeNull();
  });

  it("has one canonical form", () => {
    expect(formatArticleLabel(133, 1)).toBe("第一百三十三条之一");
    expect(canonicalArticleLabel("第30条")).toBe("第三十条");
    expect(canonicalArticleLabel("不是条文")).toBe("不是条文");
  });

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const r = parseArticleLabel(s);
        return r === null || (r.no > 0 && r.sub >= 0);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("article references in questions", () => {
  it.each([
    ["民法典第三条", "民法典", 3, 0],
    ["劳动合同法第30条规定了什么", "劳动合同法", 30, 0],
    ["《民法典》1079条", "民法典", 1079, 0],
    ["刑法第一百三十三条之一", "刑法", 133, 1],
    ["根据《中华人民共和国劳动合同法》第八十二条的规定", "中华人民共和国劳动合同法", 82, 0],
  ])("%s", (q, law, no, sub) => {
    const [ref] = findArticleRefs(q);
    expect(ref).toMatchObject({ lawName: law, no, sub });
  });

  it("keeps a bare number without a law name", () => {
    expect(findArticleRefs("请问第三条是什么意思")[0]).toMatchObject({ lawName: null, no: 3 });
  });

  it("finds nothing in an ordinary question", () => {
    expect(findArticleRefs("老板欠我三个月工资不给咋办")).toEqual([]);
  });
});
