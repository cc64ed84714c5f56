import { describe, expect, it } from "vitest";
import { focusedBody, focusParagraph, guideParagraphs } from "../../src/pipeline/focus.ts";
import { compose } from "../../src/pipeline/compose.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { ArticleUnit, Guide } from "../../src/knowledge/types.ts";
import { profileOf } from "../../src/channels/profiles.ts";

const CIVIL = "中华人民共和国民法典";

function article(no: string, text = "条文。"): ArticleUnit {
  return {
    id: `civil-${no}`, law: CIVIL, article: no, articleNo: 1, articleSub: 0, text, chapters: [], level: "法律",
    status: "现行有效", promulgated: "2020-05-28", effective: "2021-01-01", region: null, source: "test", line: 1,
  };
}

const LEASE = "租期六个月以上应签书面合同，没签的按不定期租赁处理（《民法典》第七百零七条）。";
const REPAIRS = "房子的维修一般是出租人的责任（《民法典》第七百一十二条）；不修的，租客可以自己修，费用由对方负担。";
const SALE = "买卖不破租赁：住着期间房东卖房，不影响原合同，新房东要接着履行（《民法典》第七百二十五条）。";

const guide: Guide = {
  id: "renting", title: "租房纠纷", topics: ["housing"], questions: [],
  legalBasis: ["第七百零七条", "第七百一十二条", "第七百二十五条"].map((article) => ({ law: CIVIL, article })),
  steps: ["翻出租房合同。"], materials: [], where: [], fees: "", timeLimits: "", alwaysEscalate: false,
  body: [LEASE, REPAIRS, SALE].join("\n\n"), source: "test",
};

describe("the guide paragraph a question asks about", () => {
  it("splits a body at blank lines", () => {
    expect(guideParagraphs(guide.body)).toEqual([LEASE, REPAIRS, SALE]);
    expect(guideParagraphs("一段。\n  \n\n二段。\n")).toEqual(["一段。", "二段。"]);
  });

  it("leads with the paragraph holding the question's words", () => {
    const at = (question: string, terms: string[]) => focusParagraph(guide, { terms, question, articles: [] }).index;
    expect(at("房东把房子卖了，新房东让我搬走", ["房东", "房子", "新房东", "搬走"])).toBe(2);
    expect(at("屋顶漏水房东不给修", ["屋顶", "漏水", "房东", "修"])).toBe(1);
    expect(at("没签合同租的房子算租多久", ["没签", "合同", "房子", "租"])).toBe(0);
  });

  it("follows the retrieved articles a paragraph cites, the best-ranked weighing most", () => {
    const at = (nos: string[]) => focusParagraph(guide, { terms: [], question: "", articles: nos.map((n) => article(n)) }).index;
    expect(at(["第七百二十五条", "第七百零七条"])).toBe(2);
    expect(at(["第七百一十二条", "第七百二十五条"])).toBe(1);
    // An article the guide does not rest on says nothing about its paragraphs.
    expect(at(["第一千一百六十五条"])).toBe(0);
  });

  it("does not read 第二十五条 inside 第七百二十五条", () => {
    const other = { ...guide, legalBasis: [{ law: CIVIL, article: "第二十五条" }] };
    expect(focusParagraph(other, { terms: [], question: "", articles: [article("第二十五条")] }).index).toBe(0);
  });

  it("keeps the first paragraph when nothing points elsewhere, or without a question", () => {
    expect(focusParagraph(guide, { terms: ["合法"], question: "这样合法吗", articles: [] }).index).toBe(0);
    expect(focusParagraph(guide, undefined)).toEqual({ index: 0, text: LEASE });
    const single = { ...guide, body: SALE };
    expect(focusParagraph(single, { terms: ["房东"], question: "房东", articles: [] }).text).toBe(SALE);
  });

  it("moves that paragraph to the front of the body and keeps the others in their order", () => {
    const focus = { terms: ["维修"], question: "漏水了谁维修", articles: [] };
    expect(focusedBody(guide, focus)).toBe([REPAIRS, LEASE, SALE].join("\n\n"));
    expect(focusedBody(guide, undefined)).toBe(guide.body);
  });

  it("puts that paragraph first in the phone-first message, and the whole guide in the full answer", () => {
    const directory = new ServiceDirectory({ example: true, county: { id: "c", name: "示例县" }, kinds: [], hotlines: [], townships: [], institutions: [] });
    const focus = { terms: ["房东", "卖房"], question: "房东卖房了新房东赶我走", articles: [article("第七百二十五条")] };
    const c = compose({ guide, articles: [article("第七百二十五条")], directory, region: null, focus }, profileOf("wechat_oa").format);
    expect(c.parts.direct.startsWith("买卖不破租赁")).toBe(true);
    // What room is left goes to the general rule, after the paragraph asked about.
    expect(c.text.indexOf("买卖不破租赁")).toBeLessThan(c.text.indexOf("租期六个月以上"));
    for (const p of [LEASE, SALE]) expect(c.fullText).toContain(p);
  });
});
