// Property tests (10,000 cases each) of the JSONL interchange parser: random input never throws
// anything but the parser's own typed error, and well-formed input generated from a model
// round-trips exactly.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatArticleLabel } from "../../src/knowledge/article-number.ts";
import { parseLawJsonl } from "../../src/knowledge/law-jsonl.ts";
import { RUNS, anyText, articleNo, bodyLine, jsonValue } from "./arbitraries.ts";

describe("JSONL interchange", () => {
  const validLine = fc.record({
    id: fc.string({ minLength: 1, maxLength: 20 }),
    law: bodyLine,
    n: articleNo,
    text: bodyLine,
    status: fc.option(fc.constantFrom("现行有效", "已修改", "已失效", "尚未生效", "未知"), { nil: undefined }),
  });

  it(`random lines never throw; each is a unit or a problem with its line number (${RUNS} runs)`, () => {
    const junkLine = fc.oneof(
      anyText(60),
      fc.json({ maxDepth: 1 }),
      fc.record({ id: jsonValue, law: jsonValue, article: jsonValue, text: jsonValue }).map((o) => JSON.stringify(o) ?? "null"),
      validLine.map((v) => JSON.stringify({ id: v.id, law: v.law, article: formatArticleLabel(v.n.no, v.n.sub), text: v.text })),
    );
    fc.assert(
      fc.property(fc.array(junkLine, { maxLength: 8 }), fc.boolean(), (lines, lenient) => {
        const content = lines.map((l) => l.replace(/[\r\n]/g, " ")).join("\n");
        const { units, problems } = parseLawJsonl(content, "random.jsonl", { lenient });
        const nonBlank = lines.filter((l) => l.replace(/[\r\n]/g, " ").trim() !== "").length;
        expect(units.length + problems.length).toBe(nonBlank);
        for (const p of problems) expect(p.line).toBeGreaterThanOrEqual(1);
        for (const u of units) expect(u.text.length).toBeGreaterThan(0);
      }),
      { numRuns: RUNS },
    );
  });

  it("a line whose law, article or text is only whitespace is a problem, not an empty unit (found by the property above)", () => {
    for (const lenient of [false, true]) {
      const { units, problems } = parseLawJsonl('{"id":"0","law":" ","article":" ","text":" "}', "blank.jsonl", { lenient });
      expect(units).toEqual([]);
      expect(problems).toEqual([{ line: 1, message: "law: empty" }]);
    }
  });

  it(`well-formed lines come back as the same articles, canonically labelled (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(validLine, { minLength: 1, maxLength: 6 }), (rows) => {
        const content = rows.map((r) => JSON.stringify({ id: r.id, law: r.law, article: `第${r.n.no}条${r.n.sub ? `之${r.n.sub}` : ""}`, text: r.text, ...(r.status ? { status: r.status } : {}) })).join("\n");
        const { units, problems } = parseLawJsonl(content, "ok.jsonl");
        expect(problems).toEqual([]);
        expect(units.map((u) => [u.id, u.law, u.article, u.articleNo, u.articleSub, u.text, u.status])).toEqual(
          rows.map((r) => [r.id, r.law.trim(), formatArticleLabel(r.n.no, r.n.sub), r.n.no, r.n.sub, r.text.trim(), r.status ?? "现行有效"]),
        );
      }),
      { numRuns: RUNS },
    );
  });
});

