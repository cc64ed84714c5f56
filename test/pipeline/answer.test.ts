// The answering pipeline end to end over a small knowledge base the test builds: the
// bundled guides plus a few real-shaped statutes (the shared corpus would take minutes).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnswerer } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge, type KnowledgeBase } from "../../src/knowledge/base.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { Answerer } from "../../src/pipeline/answer.ts";
import { nextContext } from "../../src/conversation/context.ts";
import { renderText } from "../../src/pipeline/render.ts";
import { EMPTY_CONTEXT, type ThreadContext } from "../../src/pipeline/types.ts";
import { LABOUR_LAW } from "../server/helpers.ts";
import { profileOf } from "../../src/channels/profiles.ts";

const TRAFFIC_LAW = `# 中华人民共和国道路交通安全法

<!-- INFO END -->

第七十六条 机动车发生交通事故造成人身伤亡、财产损失的，由保险公司在机动车第三者责任强制保险责任限额范围内予以赔偿；不足的部分，按照下列规定承担赔偿责任。
`;

let dir: string;
let kb: KnowledgeBase;
let answerer: Answerer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lawdesk-answer-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  writeFileSync(join(dir, "laws", "道路交通安全法.md"), TRAFFIC_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv);
  kb = await openKnowledge(config);
  answerer = await createAnswerer(config, kb, ServiceDirectory.load(config.knowledgeDir), pino({ level: "silent" }));
}, 120_000);

afterAll(() => {
  kb.close();
  rmSync(dir, { recursive: true, force: true });
});

const fresh = (): ThreadContext => ({ ...EMPTY_CONTEXT });

/** Character-bigram Jaccard similarity: how far a reply repeats another. */
function similarity(a: string, b: string): number {
  const grams = (t: string) => {
    const c = [...t.replace(/[\p{P}\p{S}\s]/gu, "")];
    return new Set(c.slice(1).map((x, i) => c[i] + x));
  };
  const x = grams(a);
  const y = grams(b);
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  return both / (x.size + y.size - both);
}

/** Plays a thread: each message answered with the context the previous answers left. */
async function thread(messages: string[], channel: "web" | "wechat_oa" | "telegram" = "web") {
  let ctx = fresh();
  const out = [];
  for (const m of messages) {
    const r = await answerer.run(m, ctx, profileOf(channel).format);
    out.push(r);
    ctx = { ...nextContext(ctx, m, r), ownedByPerson: false };
  }
  return out;
}

describe("follow-ups through the whole answer path", () => {
  it("wage, then 那我应该去哪里申请仲裁: the arbitration body with its address, not the first answer again", async () => {
    const [first, where] = await thread(["老板欠我三个月工资不给咋办", "那我应该去哪里申请仲裁"]);
    expect(first.guideId).toBe("wage-arrears");
    expect(where.intent).toBe("follow_up");
    expect(where.escalation).toBeNull();
    expect(where.text).toContain("清河县劳动人事争议仲裁院");
    expect(where.text).toMatch(/电话0000-\d+/);
    expect(similarity(where.text, first.text)).toBeLessThan(0.5);
    expect([...where.text].length).toBeLessThan(first.text.length);
  });

  it("divorce, then 那我应该去哪里申请？: the court, not unrelated articles", async () => {
    const [first, where, bring] = await thread(["老公不同意离婚，我想起诉离婚怎么办", "那我应该去哪里申请？", "要带什么材料"]);
    expect(where.escalation).toBeNull();
    expect(where.text).toContain("人民法院");
    expect(where.citations).toEqual([]);
    expect(similarity(where.text, first.text)).toBeLessThan(0.5);
    // A third turn still refers to the divorce matter.
    expect(bring.text).toContain("身份证");
    expect(similarity(bring.text, where.text)).toBeLessThan(0.5);
  });

  it("a new matter in the same thread is answered fresh", async () => {
    const [, , land] = await thread(["老板欠我三个月工资不给咋办", "要花钱吗", "对了 我家宅基地被邻居占了 这个咋弄"]);
    expect(land.intent).toBe("legal_question");
    expect(land.text).not.toContain("仲裁");
    expect(land.topic).toBe("land");
  });

  it("回复【法条】 returns the cited articles verbatim; 【详细】 still pages the first answer after a follow-up", async () => {
    const [first, , law, more] = await thread(["老板欠我三个月工资不给咋办", "去哪里投诉", "法条", "详细"], "wechat_oa");
    const cited = first.citations.find((c) => c.article === "第三十条")!;
    expect(law.text).toContain("用人单位拖欠或者未足额支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令，人民法院应当依法发出支付令。");
    expect(law.citations.map((c) => c.articleId)).toContain(cited.articleId);
    expect(more.detailPart).toBe(1);
    expect(first.fullText.startsWith(more.text.slice(0, 40))).toBe(true);
  });
});

describe("the statute text shown once on the web", () => {
  it("【详细】 on the web leaves the quotes to the fold-out; 【法条】 points to it and carries the articles", async () => {
    const [first, more, law] = await thread(["老板欠我三个月工资不给咋办", "详细", "法条"], "web");
    const quote = first.citations[0].quote.slice(0, 40);
    expect(first.fullText).toContain(quote);
    expect(more.text).not.toContain(quote);
    expect(law.text).toContain("条文原文见下方");
    expect(law.citations.map((c) => c.articleId)).toEqual(first.citations.map((c) => c.articleId));
  });
});

describe("phone-first answers", () => {
  const TYPICAL = ["老板欠我三个月工资不给咋办", "公司辞退我不给补偿怎么办", "邻居占了我家宅基地怎么办", "借钱不还有借条能告他吗", "出了车祸对方全责，赔偿怎么算", "房东不退押金怎么办"];

  it.each(["web", "wechat_oa", "telegram"] as const)("the first message on %s is at most 600 characters, statutes named by title and article", async (channel) => {
    for (const q of TYPICAL) {
      const r = await answerer.run(q, fresh(), profileOf(channel).format);
      expect([...r.text].length, q).toBeLessThanOrEqual(600);
      for (const c of r.citations) expect(r.text, q).toContain(`《${c.law}》${c.article}`);
      // The statute text itself is shown once: folded out on the web, on 【法条】 elsewhere.
      for (const c of r.citations) expect(r.text, q).not.toContain(c.quote.slice(0, 60));
      if (r.citations.length > 0) expect(r.text).toContain(channel === "web" ? "条文原文见下方" : "回复【法条】看条文原文");
    }
  });

  it.each(["web", "wechat_oa", "telegram"] as const)("on %s an answer carries its parts, and the one renderer turns them into exactly the text", async (channel) => {
    const format = profileOf(channel).format;
    for (const q of [...TYPICAL, "我儿子昨天被派出所刑事拘留了，我该怎么办"]) {
      const r = await answerer.run(q, fresh(), format);
      if (!r.parts) continue;
      expect(renderText(r.parts, format), q).toBe(r.text);
      expect(r.parts.fullText, q).toBe(r.fullText);
      expect(r.parts.citations, q).toEqual(r.citations);
      expect(r.text, q).toContain(r.parts.direct);
      for (const p of r.parts.places) expect(r.text, q).toContain(p);
    }
    const wage = await answerer.run("老板欠我三个月工资不给咋办", fresh(), format);
    expect(wage.parts).toMatchObject({ lead: "", title: expect.any(String), direct: expect.stringMatching(/./) });
    expect(wage.parts!.steps.length).toBeGreaterThan(0);
    // A matter that always goes to a lawyer is answered too, after a lead saying so.
    const detained = await answerer.run("我儿子昨天被派出所刑事拘留了，我该怎么办", fresh(), format);
    expect(detained.parts?.lead).toContain("我已同时转给值班律师");
    expect(detained.text.startsWith(detained.parts!.lead.trim())).toBe(true);
  });

  it("leads with the guide paragraph the question asks about, the general rule when it asks generally", async () => {
    const format = profileOf("web").format;
    const lead = async (q: string) => (await answerer.run(q, fresh(), format)).parts?.direct ?? "";
    expect(await lead("单位让我写个人原因辞职，写了还能要补偿吗")).toMatch(/^最大的坑/);
    expect(await lead("周末加班公司不给加班费，加班工资该怎么算")).toMatch(/^加班工资按/);
    expect(await lead("老板欠我三个月工资不给咋办")).toMatch(/^按时足额发工资/);
  });

  it("a fixed reply (a greeting, a referral asked for) carries no answer parts", async () => {
    expect((await answerer.run("转人工", fresh(), profileOf("web").format)).parts).toBeUndefined();
  });
});

describe("answering pipeline", () => {
  it("answers a resident's wage question from the guide, quoting the article verbatim, with the next step", async () => {
    const r = await answerer.run("老板欠我三个月工资不给咋办", fresh(), profileOf("web").format);
    expect(r.intent).toBe("legal_question");
    expect(r.escalation).toBeNull();
    expect(r.guideId).toBe("wage-arrears");
    const c = r.citations.find((x) => x.article === "第三十条")!;
    expect(c).toMatchObject({ law: "中华人民共和国劳动合同法", status: "现行有效" });
    expect(LABOUR_LAW.replace(/\n\n(?=用人单位拖欠)/, " ")).toContain(c.quote);
    expect(r.text).toContain("下一步怎么做");
    expect(r.text).toContain("不是针对您个案的法律意见");
  });

  it("reads a short follow-up together with the question before it", async () => {
    const first = await answerer.run("上个月出了交通事故，对方全责，保险怎么处理", fresh(), profileOf("web").format);
    const ctx = { ...nextContext(fresh(), "上个月出了交通事故，对方全责，保险怎么处理", first), ownedByPerson: false };
    const r = await answerer.run("那要赔多少钱？", ctx, profileOf("web").format);
    expect(r.intent).toBe("follow_up");
    expect(r.topic).toBe("traffic");
  });

  it("gives safety numbers at once and escalates an emergency", async () => {
    const r = await answerer.run("我老公正在打我，他拿着刀说要杀了我", fresh(), profileOf("wechat_oa").format);
    expect(r.intent).toBe("emergency");
    expect(r.text).toContain("110");
    expect(r.escalation).toMatchObject({ reason: "emergency", urgency: "emergency" });
  });

  it("hands over to a person when asked, and when the topic always needs a lawyer", async () => {
    expect((await answerer.run("转人工", fresh(), profileOf("web").format)).escalation?.reason).toBe("asked_human");
    const detained = await answerer.run("我儿子昨天被派出所刑事拘留了，我该怎么办", fresh(), profileOf("web").format);
    expect(detained.escalation).toMatchObject({ reason: expect.stringMatching(/always_lawyer|emergency/), urgency: "urgent" });
  });

  it("escalates instead of guessing when the evidence is weak", async () => {
    const r = await answerer.run("我家的蜂箱被邻居挪到了河对岸，养蜂证要去哪里年检", fresh(), profileOf("web").format);
    expect(r.escalation?.reason).toBe("low_confidence");
    expect(r.citations).toEqual([]);
    expect(r.text).toContain("值班律师");
  });

  it("escalates after repeated dissatisfaction, not after the first", async () => {
    const ctx = { ...fresh(), lastTopic: "labour", lastQuestion: "老板欠工资", lastIntent: "legal_question" as const };
    const once = await answerer.run("没用", ctx, profileOf("web").format);
    expect(once.escalation).toBeNull();
    expect(once.feedback).toBe("negative");
    const twice = await answerer.run("没用", { ...ctx, negativeFeedbackCount: 1 }, profileOf("web").format);
    expect(twice.escalation?.reason).toBe("dissatisfied");
  });

  it("fits WeChat's limit and shows the full answer on 详细", async () => {
    const first = await answerer.run("老板欠我三个月工资不给咋办", fresh(), profileOf("wechat_oa").format);
    expect(Buffer.byteLength(first.text)).toBeLessThanOrEqual(profileOf("wechat_oa").format.maxBytes!);
    const ctx = { ...nextContext(fresh(), "老板欠我三个月工资不给咋办", first), ownedByPerson: false };
    // 回复【详细】 pages through the full answer, a phone screen at a time, then says it is done.
    let c = ctx;
    const pages: string[] = [];
    for (let i = 1; i <= 12; i++) {
      const more = await answerer.run("详细", c, profileOf("wechat_oa").format);
      if (more.detailPart === undefined || more.detailPart < i) break;
      expect(more.detailPart).toBe(i);
      expect([...more.text].length).toBeLessThanOrEqual(700);
      pages.push(more.text);
      c = { ...nextContext(c, "详细", more), ownedByPerson: false };
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.join("")).toContain(first.citations[0].quote.slice(0, 40));
    expect(c.lastFullAnswer).toBe(first.fullText);
    const done = await answerer.run("详细", c, profileOf("wechat_oa").format);
    expect(done.text).toContain("全部内容已经发完");
  });

  it("answers empty and emoji-only messages with a prompt to write the question", async () => {
    for (const text of ["", "   ", "😀😀", "[微笑]"]) {
      const r = await answerer.run(text, fresh(), profileOf("web").format);
      expect(r.kind).toBe("reply");
      expect(r.escalation).toBeNull();
      expect(r.text).toContain("文字");
    }
  });

  it("finds an article named exactly, whatever the wording", async () => {
    const r = await answerer.run("劳动合同法第82条是什么意思", fresh(), profileOf("web").format);
    expect(r.citations[0]).toMatchObject({ law: "中华人民共和国劳动合同法", article: "第八十二条" });
    expect(r.confidence).toBe(1);
  });
});
