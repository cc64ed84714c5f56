import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { existsSync } from "node:fs";
import { normalizeText, loadTypos } from "../../src/pipeline/normalize.ts";

// Any UTF-16 code unit, so lone surrogates and control chars appear too.
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 300 });
const anyCodePoints = fc.string({ unit: "binary", maxLength: 300 });

describe("normalizeText", () => {
  it("converts full-width letters, digits and space but keeps Chinese punctuation", () => {
    const r = normalizeText("ＡＢＣ１２３　工资，怎么办？");
    expect(r.text).toBe("ABC123 工资，怎么办？");
  });

  it("converts traditional to simplified", () => {
    expect(normalizeText("老闆欠我薪水不給怎麼辦").text).toBe("老板欠我薪水不给怎么办");
    expect(normalizeText("離婚後孩子歸誰").text).toBe("离婚后孩子归谁");
    expect(normalizeText("台灣的髮廊裡").text).toBe("台湾的发廊里");
  });

  it("leaves simplified text alone (no 么→幺)", () => {
    for (const s of ["在么", "要钱么", "什么", "那么", "老板欠我工资"]) expect(normalizeText(s).text).toBe(s);
  });

  it("strips zero-width and control characters and collapses whitespace", () => {
    const r = normalizeText("  老板\u200b欠我\u0007工资 \t\t 不给\uFEFF   咋办 ");
    expect(r.text).toBe("老板欠我工资 不给 咋办");
    expect(normalizeText("第一行\n\n\n第二行").text).toBe("第一行\n第二行");
  });

  it("removes lone surrogates without throwing", () => {
    expect(normalizeText("\uD800工资\uDC00").text).toBe("工资");
    expect(normalizeText("好😀").text).toBe("好😀");
  });

  it("flags empty, punctuation-only and emoji-only text", () => {
    expect(normalizeText("   ").empty).toBe(true);
    expect(normalizeText("？？。。！").empty).toBe(true);
    const e = normalizeText("👍👍！");
    expect(e.emojiOnly).toBe(true);
    expect(e.empty).toBe(false);
    expect(normalizeText("[强][玫瑰]").emojiOnly).toBe(true);
    expect(normalizeText("谢谢👍").emojiOnly).toBe(false);
    expect(normalizeText("12").empty).toBe(false);
  });

  it("truncates long text at a sentence boundary", () => {
    const sentence = "老板欠我三个月工资不给。";
    const r = normalizeText(sentence.repeat(60), { maxChars: 100 });
    expect(r.truncated).toBe(true);
    expect(Array.from(r.text).length).toBeLessThanOrEqual(100);
    expect(r.text.endsWith("。")).toBe(true);
    const short = normalizeText(sentence, { maxChars: 100 });
    expect(short.truncated).toBe(false);
  });

  it("hard-cuts text with no boundary at maxChars", () => {
    const r = normalizeText("工".repeat(1000), { maxChars: 50 });
    expect(r.text).toBe("工".repeat(50));
    expect(r.truncated).toBe(true);
  });

  it("fixes typos from the list and records them", () => {
    const typos = [
      { wrong: "离昏", right: "离婚" },
      { wrong: "宅机地", right: "宅基地" },
      { wrong: "工上", right: "工伤" },
    ];
    const r = normalizeText("我想离昏 宅机地咋分", { typos });
    expect(r.text).toBe("我想离婚 宅基地咋分");
    expect(r.fixes).toEqual(expect.arrayContaining(["离昏→离婚", "宅机地→宅基地"]));
    expect(r.fixes).toHaveLength(2);
    expect(normalizeText("我想离婚", { typos }).fixes).toEqual([]);
  });

  it("ignores typo entries that would re-apply forever", () => {
    expect(normalizeText("抚养费", { typos: [{ wrong: "抚养", right: "抚养费" }] }).text).toBe("抚养费");
  });

  it("keeps the original", () => {
    const raw = "  老闆  ";
    expect(normalizeText(raw).original).toBe(raw);
  });

  it("works with the real typo list when present", () => {
    const dir = new URL("../../knowledge", import.meta.url).pathname;
    if (!existsSync(`${dir}/terms.yaml`)) return;
    const typos = loadTypos(dir);
    expect(Array.isArray(typos)).toBe(true);
    for (const t of typos.slice(0, 20)) {
      if (t.right.includes(t.wrong)) continue;
      expect(normalizeText(`我想问${t.wrong}的事`, { typos }).text).toContain(t.right);
    }
  });

  it("property: never throws, bounded length, no lone surrogates or control chars", () => {
    fc.assert(
      fc.property(fc.oneof(anyUnits, anyCodePoints), fc.integer({ min: 1, max: 200 }), (s, max) => {
        const r = normalizeText(s, { maxChars: max });
        expect(Array.from(r.text).length).toBeLessThanOrEqual(max);
        expect(r.text).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
        expect(r.text).not.toMatch(/[\u0000-\u0009\u000B-\u001F\u200B\uFEFF]/);
        expect(r.text).toBe(r.text.trim());
        expect(r.empty && r.emojiOnly).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("property: normalising normal text again changes nothing", () => {
    fc.assert(
      fc.property(fc.oneof(anyUnits, anyCodePoints, fc.string({ unit: "grapheme" })), (s) => {
        const once = normalizeText(s).text;
        expect(normalizeText(once).text).toBe(once);
      }),
      { numRuns: 500 },
    );
    for (const s of ["老板欠我三个月工资不给咋办", "你好，老板欠我工资怎么办？", "离婚后孩子归谁"]) expect(normalizeText(s).text).toBe(s);
  });

  it("is fast enough for every message", () => {
    normalizeText("預熱");
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) normalizeText("老闆欠我三個月工資不給咋辦，ＡＢＣ　我在工地幹活摔傷了。".repeat(3));
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
