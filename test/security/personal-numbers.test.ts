// Personal numbers written the way people type them are masked (issue 14, point 6):
// full-width digits, groups split by spaces, dashes or dots, +86, spaced bank cards.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { containsPersonalData, maskPersonalData } from "../../src/privacy.ts";
import { createLogger } from "../../src/log.ts";
import { Writable } from "node:stream";

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(""));

export const mobile = fc.tuple(fc.constantFrom("13", "14", "15", "16", "17", "18", "19"), digits(9)).map(([a, b]) => a + b);
export const idCard = fc
  .tuple(fc.integer({ min: 1, max: 9 }), digits(5), fc.integer({ min: 1930, max: 2020 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), digits(3), fc.constantFrom(..."0123456789Xx"))
  .map(([a, b, y, m, d, s, c]) => `${a}${b}${y}${String(m).padStart(2, "0")}${String(d).padStart(2, "0")}${s}${c}`);
export const bankCard = fc.integer({ min: 16, max: 19 }).chain((n) => fc.tuple(fc.constantFrom("4", "5", "6"), digits(n - 1)).map(([a, b]) => a + b));
export const landline = fc.tuple(fc.constantFrom("010", "021", "0571", "0898"), fc.integer({ min: 2, max: 9 }), digits(6)).map(([a, b, c]) => `${a}-${b}${c}`);

const SEPARATORS = [" ", "-", ".", "　", "－", "．", " - ", "  ", "·", "—"];
const fullWidth = (s: string) => s.replace(/[0-9Xx]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** A number as a person might type it: regrouped, separated, partly full-width, maybe +86. */
function typed(number: fc.Arbitrary<string>, phone = false): fc.Arbitrary<string> {
  return fc
    .tuple(number, fc.array(fc.integer({ min: 2, max: 8 }), { minLength: 0, maxLength: 5 }), fc.constantFrom(...SEPARATORS), fc.constantFrom("none", "all", "some"), fc.constantFrom("", "+86 ", "+86", "86-", "＋86 ", "0086 "))
    .map(([n, cuts, sep, width, prefix]) => {
      const groups: string[] = [];
      let rest = n;
      for (const c of cuts) {
        if (rest.length <= c) break;
        groups.push(rest.slice(0, c));
        rest = rest.slice(c);
      }
      groups.push(rest);
      let s = groups.join(sep);
      if (width === "all") s = fullWidth(s);
      if (width === "some") s = s.replace(/[0-9]/g, (c, i: number) => (i % 2 ? fullWidth(c) : c));
      return (phone ? prefix : "") + s;
    });
}

// Words around the number: no digits, anything else people write.
const words = fc.array(fc.constantFrom("我的", "电话", "身份证", "卡号", "是", "：", ":", "，", "。", "谢谢", " ", "\n", "(", ")", "号码", "abc", "请联系"), { maxLength: 5 }).map((w) => w.join(""));
const onlyDigits = (s: string) => s.normalize("NFKC").replace(/[^0-9]/g, "");

describe("masking numbers as people type them", () => {
  const cases: [string, string][] = [
    ["１３８１２３４５６７８", "[手机号]"],
    ["110101 19900307 1234", "[身份证号]"],
    ["138.1234.5678", "[手机号]"],
    ["138-1234-5678", "[手机号]"],
    ["+86 138 1234 5678", "[手机号]"],
    ["6222 0212 3456 7890 123", "[银行卡号]"],
    ["11010119900307123X", "[身份证号]"],
    ["110101199003071234", "[身份证号]"],
    ["010-12345678", "[电话]"],
    ["13812345678 13987654321", "[手机号] [手机号]"],
  ];
  it.each(cases)("%s", (input, expected) => {
    expect(maskPersonalData(`电话${input}，谢谢`)).toBe(`电话${expected}，谢谢`);
  });

  it("leaves ordinary numbers alone: amounts, dates, article numbers, short codes", () => {
    for (const s of ["欠我3000元", "2024年3月15日", "2024-03-15", "第三十条和第82条", "拨打12348或110", "工资 4500.50 元", "2023.12.01 到 2024.01.31"]) expect(maskPersonalData(s)).toBe(s);
  });

  const anyNumber = fc.oneof(typed(mobile, true), typed(idCard), typed(bankCard), landline.chain((l) => typed(fc.constant(l.replace("-", "")))));

  it("property: no digit of a typed phone, ID, bank or landline number survives, in any form", () => {
    fc.assert(
      fc.property(words, anyNumber, words, (before, number, after) => {
        const masked = maskPersonalData(`${before}${number}${after}`);
        expect(onlyDigits(masked)).toBe("");
        expect(containsPersonalData(`${before}${number}${after}`)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("property: two numbers side by side are both masked", () => {
    fc.assert(
      fc.property(anyNumber, fc.constantFrom(" ", "，", "、", " 和 "), anyNumber, (a, sep, b) => {
        expect(onlyDigits(maskPersonalData(`${a}${sep}${b}`))).toBe("");
      }),
      { numRuns: 1000 },
    );
  });

  it("property: masking is idempotent and leaves text without digits unchanged", () => {
    fc.assert(
      fc.property(fc.string(), fc.oneof(words, anyNumber), (s, n) => {
        const once = maskPersonalData(s + n);
        expect(maskPersonalData(once)).toBe(once);
        if (!/[0-9\uff10-\uff19]/.test(s)) expect(maskPersonalData(s)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it("property: the logger writes none of them, in any field, message or error", () => {
    const lines: string[] = [];
    const log = createLogger("debug", new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }));
    fc.assert(
      fc.property(anyNumber, (number) => {
        lines.length = 0;
        log.info({ text: `问题${number}`, nested: { list: [number] } }, `收到${number}`);
        log.error({ err: new Error(`失败：${number}`) }, "failed");
        for (const line of lines) {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          delete parsed.time;
          delete parsed.pid;
          delete parsed.level;
          // Stack frames carry line numbers: only the message parts are checked.
          const text = JSON.stringify(parsed).replace(/"stack":"[^"]*"/, "");
          expect(onlyDigits(text)).toBe("");
        }
      }),
      { numRuns: 300 },
    );
  });
});
