import { describe, expect, it } from "vitest";
import { compose, cutToFit, fits, MORE_HINT, quoteOf } from "../../src/pipeline/compose.ts";
import { DETAIL_HINT, FOLDED_HINT, offersOf, renderText, STATUTE_HINT } from "../../src/pipeline/render.ts";
import { splitToFit } from "../../src/text-fit.ts";
import { verifyExplanation } from "../../src/pipeline/verify.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { ArticleUnit, Guide } from "../../src/knowledge/types.ts";
import { profileOf } from "../../src/channels/profiles.ts";

function article(over: Partial<ArticleUnit>): ArticleUnit {
  return {
    id: "a1", law: "中华人民共和国劳动合同法", article: "第三十条", articleNo: 30, articleSub: 0,
    text: "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。",
    chapters: [], level: "法律", status: "现行有效", promulgated: "2012-12-28", effective: "2013-07-01",
    region: null, source: "test", line: 1, ...over,
  };
}

const guide: Guide = {
  id: "wage-arrears", title: "老板拖欠工资怎么办", topics: ["labour"], questions: ["老板欠工资"],
  legalBasis: [{ law: "中华人民共和国劳动合同法", article: "第三十条" }],
  steps: ["收集证据。", "向劳动保障监察投诉。", "申请劳动仲裁。", "仲裁不服起诉。"],
  materials: ["身份证", "工资条"], where: ["labour_inspection", "legal_aid"], fees: "劳动仲裁不收费。",
  timeLimits: "仲裁时效一年。", alwaysEscalate: false, body: "工资要按时足额发。".repeat(30), source: "test",
};

const directory = new ServiceDirectory({
  example: true,
  county: { id: "c", name: "示例县" },
  kinds: [],
  hotlines: [],
  townships: [],
  institutions: [{ kind: "labour_inspection", name: "示例县劳动保障监察大队", phone: "0000-1", region: "c" }],
});

describe("template composer", () => {
  it("returns the answer's parts: the guide's title, a direct answer, its steps, where to go, the statutes and the full text", () => {
    const c = compose({ guide, articles: [article({})], directory, region: null }, profileOf("wechat_oa").format);
    expect(c.parts).toMatchObject({ lead: "", title: "老板拖欠工资怎么办", citations: c.citations, fullText: c.fullText });
    expect(c.parts.direct.startsWith("工资要按时足额发。")).toBe(true);
    expect(c.parts.steps).toEqual(["收集证据。", "向劳动保障监察投诉。", "申请劳动仲裁。"]);
    expect(c.parts.places).toEqual(["· 示例县劳动保障监察大队（电话0000-1）"]);
  });

  it.each([
    ["web", profileOf("web").format],
    ["wechat_oa", profileOf("wechat_oa").format],
    ["telegram", profileOf("telegram").format],
    ["wechaty group", profileOf("wechaty").groupFormat!],
  ])("renders the parts into exactly the text it returns on %s", (_, format) => {
    for (const g of [guide, null]) {
      const c = compose({ guide: g, articles: [article({})], directory, region: null }, format);
      expect(renderText(c.parts, format)).toBe(c.text);
    }
    const bare = compose({ guide: null, articles: [article({})], directory, region: null }, format);
    expect(bare.parts).toMatchObject({ title: null, places: [] });
    expect(bare.parts.steps).toEqual([expect.stringContaining("当面咨询，或拨打12348。")]);
  });

  it("leaves the offers of more out of the text for a channel that shows them as buttons", () => {
    const c = compose({ guide, articles: [article({})], directory, region: null }, profileOf("telegram").format);
    const format = profileOf("telegram").format;
    const worded = renderText(c.parts, format);
    const bare = renderText(c.parts, format, "buttons");
    expect(worded).toContain(DETAIL_HINT);
    expect(worded).toContain(STATUTE_HINT);
    expect(bare).not.toContain("回复【");
    expect(bare).toContain("依据：《中华人民共和国劳动合同法》第三十条\n");
    expect(offersOf(c.parts, format)).toEqual(["detail", "statutes"]);
    // Folded statutes are not an offer: the web says where they are, whatever the layout.
    const web = profileOf("web").format;
    expect(renderText(c.parts, web, "buttons")).toContain(`（${FOLDED_HINT}）`);
    expect(offersOf(c.parts, web)).toEqual(["detail"]);
    expect(offersOf({ ...c.parts, citations: [] }, format)).toEqual(["detail"]);
  });

  it("quotes current law verbatim with law, article and validity, and gives the next step", () => {
    const c = compose({ guide, articles: [article({})], directory, region: null }, profileOf("web").format);
    expect(c.citations).toEqual([
      expect.objectContaining({ law: "中华人民共和国劳动合同法", article: "第三十条", status: "现行有效", quote: article({}).text }),
    ]);
    // Phone-first: the statute by title and article at once, its text folded out beside (web) and in the full text.
    expect(c.text).toContain("《中华人民共和国劳动合同法》第三十条");
    expect(c.text).not.toContain(article({}).text);
    expect(c.fullText).toContain("《中华人民共和国劳动合同法》第三十条（现行有效）");
    expect(c.text).toContain("示例县劳动保障监察大队");
    expect(c.text).toContain("不是针对您个案的法律意见");
  });

  it("never quotes repealed or not-yet-effective text as current law", () => {
    const c = compose(
      { guide, articles: [article({ id: "old", status: "已失效" }), article({ id: "future", effective: "2999-01-01" })], directory, region: null },
      profileOf("web").format,
    );
    expect(c.citations).toEqual([]);
  });

  it("fits WeChat's 2,000 bytes and offers 【详细】 when cut, keeping the full text", () => {
    const long = Array.from({ length: 3 }, (_, i) => article({ id: `a${i}`, text: "很长的条文内容。".repeat(60) }));
    const c = compose({ guide, articles: long, directory, region: null }, profileOf("wechat_oa").format);
    expect(Buffer.byteLength(c.text)).toBeLessThanOrEqual(2000);
    expect(c.truncated).toBe(true);
    expect(c.text).toContain(MORE_HINT);
    expect(c.fullText.length).toBeGreaterThan(c.text.length);
    for (const part of splitToFit(c.fullText, profileOf("wechat_oa").format)) expect(fits(part, profileOf("wechat_oa").format)).toBe(true);
  });

  it("cuts long quotes as a verbatim prefix", () => {
    const text = "第一句。".repeat(100);
    const q = quoteOf(text, 50);
    expect(q.endsWith("……")).toBe(true);
    expect(text.startsWith(q.replace(/……$/, ""))).toBe(true);
  });

  it("cuts by characters without splitting one", () => {
    const out = cutToFit("😀".repeat(600), { maxBytes: 2000 });
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(2000);
    expect(out).not.toContain("\uFFFD");
  });
});

describe("language-model answer check", () => {
  const arts = [article({})];
  const materials = [{ n: 1, label: "《中华人民共和国劳动合同法》第三十条", text: arts[0].text }];

  it("accepts an explanation that cites only the material", () => {
    const r = verifyExplanation("老板必须按时足额发工资 [1]，根据《劳动合同法》第三十条，可以去投诉。", materials, arts);
    expect(r.ok).toBe(true);
  });

  it.each([
    ["a made-up law", "根据《农民工保护特别法》第八条，老板要赔十倍。"],
    ["an article outside the material", "根据劳动合同法第八十二条，可以要双倍工资。"],
    ["a reference number outside the material", "见 [2]。"],
    ["a non-verbatim quotation", "法律规定“用人单位必须在每月五日前发放全部工资和奖金”。"],
    ["the instructions echoed back", "我的规则（必须遵守）是：只能依据参考材料。"],
  ])("rejects %s", (_name, draft) => {
    expect(verifyExplanation(draft, materials, arts).ok).toBe(false);
  });
});
