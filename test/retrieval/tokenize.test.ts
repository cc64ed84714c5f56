import { describe, expect, it } from "vitest";
import { BIGRAM_PREFIX, Tokenizer, normalizeText } from "../../src/retrieval/tokenize.ts";

describe("Tokenizer", () => {
  const tk = new Tokenizer({ userWords: ["劳动报酬", "拖欠劳动报酬"], typos: [{ wrong: "离昏", right: "离婚" }] });

  it("keeps 三个月 and 工资 whole thanks to the legal user dictionary", () => {
    const w = tk.words("老板欠我三个月工资不给咋办");
    expect(w).toContain("三个月");
    expect(w).toContain("工资");
    expect(w).not.toContain("月工资");
    expect(w).toContain("老板");
  });

  it("drops question words and function words", () => {
    const w = tk.words("请问离婚了孩子抚养权怎么办？");
    expect(w).not.toContain("请问");
    expect(w).not.toContain("怎么办");
    expect(w).toContain("离婚");
    expect(w).toContain("抚养权");
  });

  it("emits Han bigrams beside words, prefixed to keep them apart", () => {
    const f = tk.features("拖欠工资");
    expect(f).toContain(`${BIGRAM_PREFIX}拖欠`);
    expect(f).toContain(`${BIGRAM_PREFIX}欠工`);
    expect(f).toContain(`${BIGRAM_PREFIX}工资`);
    // no bigram across punctuation
    expect(tk.charBigrams("工资，离婚")).not.toContain(`${BIGRAM_PREFIX}资离`);
  });

  it("corrects listed misspellings before cutting", () => {
    expect(tk.words("我想离昏")).toContain("离婚");
  });

  it("normalises full-width characters and case", () => {
    expect(normalizeText("ＡＢｃ１２３")).toBe("abc123");
    expect(tk.features("３个月").length).toBeGreaterThan(0);
  });

  it("search mode also yields sub-words of long words", () => {
    const w = tk.words("中华人民共和国劳动合同法");
    expect(w).toContain("劳动");
    expect(w).toContain("合同法");
  });
});
