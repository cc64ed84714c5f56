import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseLawMarkdown } from "../../src/knowledge/law-markdown.ts";
import { HAS_LAWS, LAWS_DIR, skipReason } from "../helpers/shared-data.ts";

describe("law Markdown parser on a file the test writes", () => {
  const md = [
    "# 示例法",
    "",
    "2020年1月1日 某会议通过",
    "",
    "<!-- INFO END -->",
    "",
    "## 第一章 总则",
    "",
    "第一条 为了示例，制定本法。",
    "",
    "第二条 第一款。",
    "",
    "第二款：",
    "（一）甲；",
    "",
    "### 第一节 细则",
    "",
    "第二条之一 新增的条文。",
    "",
    "第三十－条 错字的条号。",
  ].join("\n");

  it("reads title, history, chapters and multi-paragraph articles", () => {
    const law = parseLawMarkdown(md);
    expect(law.title).toBe("示例法");
    expect(law.history).toEqual([{ date: "2020-01-01", event: "2020年1月1日 某会议通过" }]);
    expect(law.articles.map((a) => a.label)).toEqual(["第一条", "第二条", "第二条之一", "第三十一条"]);
    expect(law.articles[1].text).toBe("第一款。\n第二款：\n（一）甲；");
    expect(law.articles[2].chapters).toEqual(["第一章 总则", "第一节 细则"]);
    expect(law.articles[0].line).toBe(9);
  });

  it("works without the INFO END marker", () => {
    const law = parseLawMarkdown("# 无标记法\n\n第一条 内容一。\n第二条 内容二。\n");
    expect(law.articles).toHaveLength(2);
    expect(law.articles[1]).toMatchObject({ label: "第二条", text: "内容二。", line: 4 });
  });

  it("rejects a file with no title", () => {
    expect(() => parseLawMarkdown("第一条 无标题。")).toThrow(/title/);
  });
});

describe.skipIf(!HAS_LAWS)("law Markdown parser on real statutes", () => {
  const read = (p: string) => parseLawMarkdown(readFileSync(resolve(LAWS_DIR, p), "utf8"));

  it("Civil Code books: title, book as subtitle, article 1079 with its paragraphs", () => {
    const book = read("民法典/婚姻家庭编.md");
    expect(book.title).toBe("中华人民共和国民法典");
    expect(book.subtitle).toBe("婚姻家庭编");
    const a = book.articles.find((x) => x.no === 1079)!;
    expect(a.label).toBe("第一千零七十九条");
    expect(a.text.split("\n").length).toBeGreaterThan(5);
    expect(a.chapters).toEqual(["第四章 离婚"]);
    const general = read("民法典/总则.md");
    expect(general.articles[0].label).toBe("第一条");
  });

  it("Criminal Law: 第一百三十三条之一 and nested 编/章/节 headings", () => {
    const law = read("刑法/刑法.md");
    const dangerous = law.articles.find((x) => x.no === 133 && x.sub === 1)!;
    expect(dangerous.label).toBe("第一百三十三条之一");
    expect(dangerous.text).toContain("机动车");
    expect(law.articles.find((x) => x.no === 17 && x.sub === 0)!.chapters[0]).toBe("第一编 总则");
    expect(law.articles.length).toBeGreaterThan(450);
  });
}, 30_000);

if (!HAS_LAWS) console.warn(skipReason("real-statute parser tests", LAWS_DIR));
