import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { detectEmergency, KIND_LABEL, safetyReply, situationAdvice, urgencyFor, type EmergencyKind } from "../../src/pipeline/emergency.ts";
import { normalizeText } from "../../src/pipeline/normalize.ts";
import { loadEmergencyLines } from "../../scripts/eval-messages.ts";
import { loadDangerSet, scoreDanger, stardFalseAlarms } from "../../scripts/eval-danger.ts";
import { HAS_STARD } from "../helpers/shared-data.ts";

const kindsOf = (s: string) => detectEmergency(normalizeText(s).text).kinds;

describe("detectEmergency", () => {
  it.each<[string, EmergencyKind]>([
    ["老公又在打我 救命", "violence"],
    ["老工又打我了", "violence"],
    ["前夫说要弄死我 今晚就来", "threat"],
    ["他拿菜刀要砍我", "threat"],
    ["工友从架子上掉下来了 一直流血", "injury"],
    ["我不想活了", "self_harm"],
    ["我准备喝农药了", "self_harm"],
    ["我家娃不见了 找不到", "child"],
    ["我老公刚被派出所带走了", "detained"],
    ["我儿子被派出所扣了 还没放出来", "detained"],
    ["我現在被老公打 怎麼辦", "violence"],
    // Liability words do not hide a danger that is still going on.
    ["工友刚从架子上摔下来了 现在站不起来 老板要负责吗", "injury"],
  ])("catches %s as %s", (text, kind) => {
    expect(kindsOf(text)).toContain(kind);
  });

  it.each([
    "交通事故受伤了怎么赔偿",
    "家暴离婚能多分财产吗",
    "他以前打过我 现在分居两年了 能直接离婚吗",
    "打官司要花多少钱",
    "在外面打工老板不给钱",
    "手机买了三天就死机 能退吗",
    "这个房价真要命",
    "杀猪盘被骗了五万能追回吗",
    "取保候审需要什么条件",
    "信用卡逾期会被警察抓走吗",
    "去年被行政拘留5天 能申请国家赔偿吗",
    "保险合同里自杀条款是怎么规定的",
    "我没有被打 只是吵架 能离婚吗",
    // 扣 of money, not of a person (found by the soak: these once raised a detention alarm).
    "工资被克扣了去哪里投诉",
    "工资被扣了去哪投诉",
    "押金被房东扣了不退",
    // Who is liable for a past injury is a legal question, not a call for an ambulance.
    "在超市地上滑倒摔骨折了，超市要负责吗",
    "开车撞了人对方要求私了，我该怎么办",
  ])("does not raise an alarm for %s", (text) => {
    const r = detectEmergency(normalizeText(text).text);
    expect(r.emergency).toBe(false);
    expect(r.kinds).toEqual([]);
    expect(r.cues).toEqual([]);
  });

  it("reports the matched wording as cues", () => {
    const r = detectEmergency("救命 他拿着刀");
    expect(r.emergency).toBe(true);
    expect(r.kinds).toEqual(expect.arrayContaining(["violence", "threat"]));
    expect(r.cues.length).toBeGreaterThan(0);
  });

  it("property: never throws on arbitrary strings and stays consistent", () => {
    const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 500 });
    fc.assert(
      fc.property(fc.oneof(anyUnits, fc.string({ unit: "binary" })), (s) => {
        const r = detectEmergency(s);
        expect(r.emergency).toBe(r.kinds.length > 0);
        expect(r.cues.length).toBeGreaterThanOrEqual(r.kinds.length > 0 ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe("urgencyFor and safetyReply", () => {
  it("treats detention alone as urgent, anything else as an emergency", () => {
    expect(urgencyFor(["detained"])).toBe("urgent");
    expect(urgencyFor(["detained", "injury"])).toBe("emergency");
    expect(urgencyFor(["self_harm"])).toBe("emergency");
  });

  const all: EmergencyKind[] = ["violence", "threat", "confinement", "sexual", "trafficking", "self_harm", "injury", "trapped", "missing", "child", "elder", "detained"];
  it.each(all)("gives a short reply with numbers and the lawyer notice for %s", (kind) => {
    const reply = safetyReply([kind]);
    expect(reply.length).toBeLessThan(600);
    expect(reply).toContain("值班律师");
    expect(reply).toMatch(/110|12348/);
  });

  it("tailors numbers per kind", () => {
    expect(safetyReply(["self_harm"])).toContain("12356");
    expect(safetyReply(["self_harm"])).toContain("400-161-9995");
    expect(safetyReply(["violence"])).toContain("12338");
    expect(safetyReply(["child"])).toContain("12355");
    expect(safetyReply(["injury"])).toContain("120");
    expect(safetyReply(["detained"])).toContain("12348");
  });

  it("a threat to kill the family and oneself also carries the crisis line; torture with electricity the ambulance", () => {
    for (const text of ["他把门反锁了，说要开煤气跟我们娘仨同归于尽", "我男人拎着汽油桶回来说今晚全家一起死"]) {
      const r = detectEmergency(text);
      expect(r.kinds).toContain("self_harm");
      expect(safetyReply(r.kinds)).toMatch(/12356/);
      expect(safetyReply(r.kinds)).toMatch(/110/);
    }
    const shocked = detectEmergency("孩子在那个学校被关禁闭，还挨了电击，求求你们帮帮忙");
    expect(shocked.kinds).toContain("injury");
    expect(safetyReply(shocked.kinds)).toMatch(/120/);
  });

  it("every danger reply ends with the emergency numbers its advice did not name; detention alone does not", () => {
    for (const kind of Object.keys(KIND_LABEL) as EmergencyKind[]) {
      const reply = safetyReply([kind]);
      if (kind === "detained") {
        expect(reply).not.toContain("其他求助电话");
        continue;
      }
      for (const n of ["110", "120", "119", "12338", "12356"]) expect(reply, `${kind} lacks ${n}`).toContain(n);
      const advice = situationAdvice([kind]).join("");
      const footer = reply.split("\n").find((l) => l.startsWith("其他求助电话")) ?? "";
      for (const n of ["110", "120", "119", "12338", "12356"]) if (advice.includes(n)) expect(footer).not.toContain(n);
    }
  });

  it("stays under 600 chars for any combination", () => {
    fc.assert(fc.property(fc.subarray(all), (kinds) => {
      expect(safetyReply(kinds).length).toBeLessThan(600);
    }));
  });
});

describe("labelled emergency sets", () => {
  it("the old labelled set keeps its shape (now only extra tuning data)", () => {
    const lines = loadEmergencyLines();
    expect(lines.length).toBeGreaterThanOrEqual(240);
  });

  it("the residents' development set: at least 600 lines over 15 situations, as many hard negatives", () => {
    const dev = loadDangerSet("dev");
    const pos = dev.filter((l) => l.emergency);
    expect(pos.length).toBeGreaterThanOrEqual(280);
    expect(dev.length - pos.length).toBeGreaterThanOrEqual(280);
    expect(new Set(pos.map((l) => l.situation)).size).toBeGreaterThanOrEqual(15);
    const blind = loadDangerSet("blind");
    expect(blind.filter((l) => l.emergency).length + pos.length).toBeGreaterThanOrEqual(600);
  });

  // A regression guard on the set the rules were tuned on (the blind set is reported by
  // npm run eval, never asserted here): a change that loses ground fails.
  it("keeps its measured level on the development set", () => {
    const s = scoreDanger(loadDangerSet("dev"));
    expect(s.recall).toBeGreaterThanOrEqual(0.85);
    expect(s.numbersRight).toBeGreaterThanOrEqual(0.95);
    expect(s.falseAlarms).toBeLessThanOrEqual(0.05);
  });

  it.skipIf(!HAS_STARD)("raises at most 2% alarms on real ordinary consultations (STARD)", () => {
    const r = stardFalseAlarms();
    expect(r).not.toBeNull();
    expect(r!.rate).toBeLessThanOrEqual(0.02);
  });
});
