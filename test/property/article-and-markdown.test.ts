// Property tests (10,000 cases each) of the article-number parser and the law Markdown parser: random input never throws
// anything but the parser's own typed error, and well-formed input generated from a model
// round-trips exactly.
// (test/knowledge/article-number.test.ts already checks 1..20,000 numerals exhaustively and
// labels with 3,000 random strings.)

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findArticleRefs, formatArticleLabel, parseArticleLabel } from "../../src/knowledge/article-number.ts";
import { LawParseError, parseLawMarkdown } from "../../src/knowledge/law-markdown.ts";
import { RUNS, anyText, articleNo, bodyLine, hanText } from "./arbitraries.ts";

describe("article numbers", () => {
  it(`label → number → label round-trips for Chinese and Arabic spellings (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(articleNo, fc.boolean(), ({ no, sub }, arabic) => {
        const label = arabic ? `第${no}条${sub ? `之${sub}` : ""}` : formatArticleLabel(no, sub);
        expect(parseArticleLabel(label)).toEqual({ no, sub });
        expect(parseArticleLabel(` ${label} `)).toEqual({ no, sub });
      }),
      { numRuns: RUNS },
    );
  });

  it(`findArticleRefs never throws, and every ref lies inside the text with a valid number (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(anyText(120), (text) => {
        for (const r of findArticleRefs(text)) {
          expect(r.no).toBeGreaterThan(0);
          expect(r.sub).toBeGreaterThanOrEqual(0);
          expect(r.start).toBeGreaterThanOrEqual(0);
          expect(r.end).toBeLessThanOrEqual(text.length);
          expect(r.start).toBeLessThan(r.end);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`a reference embedded in random text is found with its law (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(hanText(30), articleNo, hanText(30), (before, { no, sub }, after) => {
        // Separators so the surrounding noise cannot merge into the law name or the number.
        const text = `${before}。《劳动合同法》${formatArticleLabel(no, sub)}。${after.replace(/^之/, "")}`;
        const refs = findArticleRefs(text);
        expect(refs.some((r) => r.no === no && r.lawName === "劳动合同法" && (r.sub === sub || after.trimStart().startsWith("之")))).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe("law Markdown", () => {
  it(`random files parse or fail with LawParseError and a line number, nothing else (${RUNS} runs)`, () => {
    const line = fc.oneof(anyText(40), fc.constantFrom("<!-- INFO END -->", "# 标题", "## 第一章", "第一条 内容", "第〇条 零", "第条 空", "第－条 横", "第十条之 缺", "---", ""));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 20 }), fc.constantFrom("\n", "\r\n"), (lines, eol) => {
        try {
          const law = parseLawMarkdown(lines.join(eol));
          expect(law.title.length).toBeGreaterThan(0);
          for (const a of law.articles) {
            expect(a.no).toBeGreaterThan(0);
            expect(a.label).toBe(formatArticleLabel(a.no, a.sub));
            expect(a.line).toBeGreaterThanOrEqual(1);
          }
        } catch (e) {
          expect(e).toBeInstanceOf(LawParseError);
          expect((e as LawParseError).line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`a generated statute round-trips: title, chapters, numbers and multi-paragraph texts (${RUNS} runs)`, () => {
    const article = fc.record({ n: articleNo, paragraphs: fc.array(bodyLine, { minLength: 1, maxLength: 3 }) });
    const chapter = fc.record({ heading: bodyLine, articles: fc.array(article, { minLength: 1, maxLength: 4 }) });
    fc.assert(
      fc.property(bodyLine, fc.array(chapter, { minLength: 1, maxLength: 3 }), fc.boolean(), (title, chapters, infoEnd) => {
        const lines = [`# ${title}`, "2012年12月28日 修正", ...(infoEnd ? ["<!-- INFO END -->"] : []), ""];
        for (const c of chapters) {
          lines.push(`## ${c.heading}`, "");
          for (const a of c.articles) lines.push(`${formatArticleLabel(a.n.no, a.n.sub)} ${a.paragraphs[0]}`, "", ...a.paragraphs.slice(1).flatMap((p) => [p, ""]));
        }
        const law = parseLawMarkdown(lines.join("\n"));
        expect(law.title).toBe(title);
        expect(law.history[0].date).toBe("2012-12-28");
        const expected = chapters.flatMap((c) => c.articles.map((a) => ({ no: a.n.no, sub: a.n.sub, text: a.paragraphs.join("\n"), chapters: [c.heading.replace(/\s+/g, " ")] })));
        expect(law.articles.map(({ no, sub, text, chapters }) => ({ no, sub, text, chapters }))).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });
});

