// Property tests (10,000 cases each) of the guide front-matter parser: random input never throws
// anything but the parser's own typed error, and well-formed input generated from a model
// round-trips exactly.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatArticleLabel } from "../../src/knowledge/article-number.ts";
import { GuideError, parseGuide } from "../../src/knowledge/guides.ts";
import { RUNS, anyText, articleNo, bodyLine } from "./arbitraries.ts";

describe("guide front matter", () => {
  const id = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,30}$/);
  const item = bodyLine.map((s) => s.replace(/["\\:]/g, ""));
  const body = fc.array(bodyLine, { minLength: 2, maxLength: 5 }).map((a) => a.join("\n\n") + "\n这是为群众准备的办事说明，内容足够长。");

  it(`random front matter fails only with GuideError naming a line (${RUNS} runs)`, () => {
    const yamlValue = fc.oneof(anyText(30), fc.json({ maxDepth: 1 }), fc.constantFrom("[", "{", "*anchor", "&a [*a]", "!!js/function x", ": :", "- - -"));
    const key = fc.constantFrom("id", "title", "topics", "questions", "legal_basis", "steps", "materials", "where", "fees", "time_limits", "always_escalate", "__proto__", "constructor");
    fc.assert(
      fc.property(fc.array(fc.tuple(key, yamlValue), { maxLength: 6 }), anyText(80), (entries, rest) => {
        const content = `---\n${entries.map(([k, v]) => `${k}: ${v.replace(/\n/g, " ")}`).join("\n")}\n---\n${rest}`;
        try {
          const g = parseGuide(content, "random.md");
          expect(g.id).toMatch(/^[a-z0-9][a-z0-9-]{1,80}$/);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(GuideError);
          expect((e as GuideError).line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`a generated guide round-trips with canonical article labels (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(id, item, fc.array(item, { minLength: 1, maxLength: 3 }), fc.array(articleNo, { maxLength: 3 }), body, (gid, title, steps, basis, text) => {
        const yaml = [
          `id: "${gid}"`, // quoted: YAML reads 00 or 2024 as numbers
          `title: "${title}"`,
          `topics: [labour]`,
          `questions:\n  - "${title}怎么办"`,
          `steps:\n${steps.map((s) => `  - "${s}"`).join("\n")}`,
          `legal_basis:${basis.length ? "\n" + basis.map((b) => `  - {law: 中华人民共和国劳动合同法, article: "第${b.no}条${b.sub ? `之${b.sub}` : ""}"}`).join("\n") : " []"}`,
        ].join("\n");
        const g = parseGuide(`---\n${yaml}\n---\n${text}`, "gen.md");
        expect(g.id).toBe(gid);
        expect(g.title).toBe(title.trim());
        expect(g.steps).toEqual(steps.map((s) => s.trim()));
        expect(g.legalBasis.map((b) => b.article)).toEqual(basis.map((b) => formatArticleLabel(b.no, b.sub)));
        expect(g.body).toBe(text.trim());
      }),
      { numRuns: RUNS },
    );
  });
});
