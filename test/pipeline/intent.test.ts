import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { classifyIntent, isLikelyLegalQuestion, type Intent } from "../../src/pipeline/intent.ts";
import { normalizeText } from "../../src/pipeline/normalize.ts";
import { scoreMessages, loadIntentLines } from "../../scripts/eval-messages.ts";

const intentOf = (s: string, lastTopic: string | null = null) => classifyIntent(normalizeText(s).text, { lastTopic }).intent;

describe("classifyIntent", () => {
  it.each<[string, string | null, Intent]>([
    ["你好，老板欠我工资怎么办", null, "legal_question"],
    ["老板欠我三个月工资不给咋办", null, "legal_question"],
    ["你好", null, "greeting"],
    ["在吗", null, "greeting"],
    ["谢谢", null, "greeting"],
    ["谢谢", "labour", "feedback"],
    ["转人工", null, "ask_human"],
    ["能不能找个律师帮我", null, "ask_human"],
    ["那要赔多少钱？", "traffic", "follow_up"],
    ["需要带什么", "legal_aid", "follow_up"],
    ["那要赔多少钱？", null, "legal_question"],
    ["明天天气怎么样", null, "out_of_scope"],
    ["帮我写作业", null, "out_of_scope"],
    ["傻逼", null, "abuse"],
    ["我老公拿刀要砍我", "marriage", "emergency"],
  ])("%s (lastTopic=%s) → %s", (text, lastTopic, intent) => {
    expect(intentOf(text, lastTopic)).toBe(intent);
  });

  it("marks feedback polarity", () => {
    expect(classifyIntent("没用", { lastTopic: "labour" })).toEqual({ intent: "feedback", feedback: "negative" });
    expect(classifyIntent("答非所问", { lastTopic: "labour" }).feedback).toBe("negative");
    expect(classifyIntent("明白了 谢谢", { lastTopic: "labour" }).feedback).toBe("positive");
    expect(classifyIntent("好的", { lastIntent: "legal_question" }).feedback).toBe("positive");
  });

  it("asks for the full text on 详细/【详细】/全文", () => {
    for (const s of ["详细", "【详细】", "全文"]) expect(classifyIntent(s, { lastTopic: "labour" })).toEqual({ intent: "follow_up", detail: "show_full" });
  });

  it("attaches the emergency detection", () => {
    const r = classifyIntent("我不想活了", {});
    expect(r.intent).toBe("emergency");
    expect(r.emergency?.kinds).toContain("self_harm");
  });

  it("does not mistake an insult containing 去死 for self-harm", () => {
    expect(intentOf("去死吧你这破机器")).toBe("abuse");
  });

  it("reads sb as an insult only as a word of its own, not inside other letters", () => {
    for (const t of ["你个sb", "你是SB吗", "s b"]) expect(intentOf(t), t).toBe("abuse");
    for (const t of ["老板欠工资怎么办（单号wxqsbn）", "jobs bank 发工资不到账怎么办"]) expect(intentOf(t), t).not.toBe("abuse");
  });

  it("property: never throws and always returns a known intent", () => {
    const known = new Set<Intent>(["legal_question", "follow_up", "greeting", "ask_human", "feedback", "emergency", "out_of_scope", "abuse"]);
    const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 300 });
    fc.assert(
      fc.property(fc.oneof(anyUnits, fc.string({ unit: "binary" })), fc.option(fc.constantFrom("labour", "marriage")), (s, lastTopic) => {
        const r = classifyIntent(s, { lastTopic });
        expect(known.has(r.intent)).toBe(true);
        expect(r.intent === "emergency").toBe(r.emergency !== undefined);
        expect(typeof isLikelyLegalQuestion(s)).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });
});

describe("isLikelyLegalQuestion", () => {
  it.each(["老板欠我三个月工资不给咋办", "宅基地被邻居占了怎么办", "离婚孩子归谁", "借钱不还能起诉吗"])("%s is a legal question", (s) => {
    expect(isLikelyLegalQuestion(s)).toBe(true);
  });
  it.each(["大家晚上好", "今天谁家杀猪", "明天下雨吗", "哈哈哈哈", "收到", "开会了 八点到村委"])("%s is chatter", (s) => {
    expect(isLikelyLegalQuestion(s)).toBe(false);
  });
});

describe("labelled intent set", () => {
  it("has the documented shape", () => {
    const lines = loadIntentLines();
    expect(lines.length).toBeGreaterThanOrEqual(200);
    expect(new Set(lines.map((l) => l.split))).toEqual(new Set(["dev", "test"]));
  });

  it("meets the target on the test split (accuracy >= 0.9)", () => {
    expect(scoreMessages().metrics["intent.test.accuracy"]).toBeGreaterThanOrEqual(0.9);
  });
});
