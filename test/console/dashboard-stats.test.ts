// The dashboard's statistics and CSV, as pure functions.

import { describe, expect, test } from "vitest";
import { toCsv, csvCell } from "../../src/console/dashboard/csv.ts";
import { dayStart, parseFilters, shanghaiDay } from "../../src/console/dashboard/filters.ts";
import { normaliseWording } from "../../src/console/dashboard/tables.ts";
import { judgeRising, poissonUpperTail, quantile } from "../../src/console/dashboard/stats.ts";

describe("dashboard statistics", () => {
  test("quantiles interpolate like Excel PERCENTILE.INC", () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([1500, 10, 90, 30, 60], 0.5)).toBe(60);
    expect(quantile([10, 30, 60, 90, 1500], 0.9)).toBeCloseTo(936, 9);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  test("Poisson upper tail", () => {
    // P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2)
    expect(poissonUpperTail(3, 1)).toBeCloseTo(1 - Math.exp(-1) * 2.5, 12);
    expect(poissonUpperTail(0, 4)).toBe(1);
    expect(poissonUpperTail(200, 150)).toBeGreaterThan(0);
    expect(poissonUpperTail(200, 150)).toBeLessThan(0.001);
  });

  test("rising: a surge is flagged; flat, small or modest rises are not", () => {
    expect(judgeRising(12, [2, 1, 3, 2, 2, 1, 2, 3]).rising).toBe(true);
    expect(judgeRising(40, [40, 38, 42, 41, 39, 40, 40, 40]).rising).toBe(false); // flat
    expect(judgeRising(3, [0, 0, 0, 0, 0, 0, 0, 0]).rising).toBe(false); // below the minimum count
    expect(judgeRising(6, [0, 0, 0, 0, 0, 0, 0, 0]).rising).toBe(true); // a new topic appearing
    expect(judgeRising(120, [100, 100, 100, 100, 100, 100, 100, 100]).rising).toBe(false); // significant but not 2x
    expect(judgeRising(8, [3, 5, 4, 6, 2, 5, 4, 3]).rising).toBe(false); // 2x but plausible noise
  });
});

describe("dashboard CSV and filters", () => {
  test("RFC 4180 quoting, formula guard, BOM and CRLF", () => {
    expect(csvCell('他说"欠薪", 怎么办')).toBe('"他说""欠薪"", 怎么办"');
    expect(csvCell("第一行\n第二行")).toBe('"第一行\n第二行"');
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell(-3)).toBe("-3");
    expect(csvCell(null)).toBe("");
    const csv = toCsv({ columns: [{ key: "a", label: "话题" }, { key: "b", label: "数" }], rows: [{ a: "劳动争议", b: 3 }, { a: null, b: 0.5 }] });
    expect(csv).toBe("\uFEFF话题,数\r\n劳动争议,3\r\n,0.5\r\n");
  });

  test("Shanghai days and range parsing", () => {
    expect(shanghaiDay(new Date("2026-01-31T16:00:00Z"))).toBe("2026-02-01");
    expect(shanghaiDay(new Date("2026-01-31T15:59:59Z"))).toBe("2026-01-31");
    expect(dayStart("2026-02-01").toISOString()).toBe("2026-01-31T16:00:00.000Z");
    expect(parseFilters({}, new Date("2026-03-10T01:00:00Z"))).toMatchObject({ from: "2026-02-09", to: "2026-03-10", channel: null });
    expect(() => parseFilters({ from: "2026-03-10", to: "2026-03-01" }, new Date())).toThrow();
    expect(() => parseFilters({ from: "2024-01-01", to: "2026-01-01" }, new Date())).toThrow();
  });

  test("wordings are normalised and masked", () => {
    expect(normaliseWording("  我的电话是13812345678，欠薪怎么办？？ ")).toBe("我的电话是[手机号]，欠薪怎么办");
    expect(normaliseWording("身份证110101199003071234 離婚")).toBe("身份证[身份证号] 离婚");
  });
});
