// The learned danger backstop: the trainer learns, the shipped model is the one its data
// trains, the scorer only adds to strong rules, and every flag it raises gets a reply with a
// number to call.
import { describe, expect, it } from "vitest";
import { detectEmergency, detectWithRules } from "../../src/pipeline/danger/detect.ts";
import { dangerFeatures, spelled } from "../../src/pipeline/danger/features.ts";
import { learnedVerdict, logistic, shippedModel, type DangerModel } from "../../src/pipeline/danger/learned.ts";
import { balanced, fingerprint, trainLogistic } from "../../src/pipeline/danger/train.ts";
import { safetyReply } from "../../src/pipeline/emergency.ts";
import { normalizeText } from "../../src/pipeline/normalize.ts";
import { loadTrainingLines } from "../../scripts/lib/danger-data.ts";
import { PROJECT_ROOT } from "../../src/config.ts";
import { HAS_STARD, skipReason, STARD_DIR } from "../helpers/shared-data.ts";

describe("trainLogistic", () => {
  const examples = [
    ...["红色苹果", "红色的车", "一朵红花", "红红火火"].map((t) => ({ features: ["bias", ...[...t].map((c) => `c:${c}`)], y: 1 as const })),
    ...["绿色苹果", "蓝色的车", "一朵白花", "黑黑乎乎"].map((t) => ({ features: ["bias", ...[...t].map((c) => `c:${c}`)], y: 0 as const })),
  ];

  it("separates what it was shown, by the feature that tells the classes apart", () => {
    const w = trainLogistic(examples, { minCount: 1 });
    expect(w["c:红"]).toBeGreaterThan(1);
    for (const e of examples) expect(logistic(w, e.features) >= 0.5 ? 1 : 0).toBe(e.y);
  });

  it("is deterministic and leaves out features seen fewer than minCount times", () => {
    expect(trainLogistic(examples)).toEqual(trainLogistic(examples));
    expect(trainLogistic(examples, { minCount: 2 })["c:绿"]).toBeUndefined();
  });

  it("balances classes so each side weighs the same in total", () => {
    const b = balanced([...examples, ...examples.filter((e) => e.y === 0)]);
    const sum = (y: number) => b.filter((e) => e.y === y).reduce((s, e) => s + (e.weight ?? 1), 0);
    expect(sum(1)).toBeCloseTo(sum(0), 6);
  });
});

describe("the learned backstop in detectEmergency", () => {
  const model = shippedModel();

  it("ships a model with a threshold chosen by the trainer", () => {
    expect(model).not.toBeNull();
    expect(model!.threshold).toBeGreaterThan(0.05);
    expect(model!.threshold).toBeLessThan(1);
    expect(Object.keys(model!.emergency).length).toBeGreaterThan(1000);
    expect(Object.keys(model!.kinds).sort()).toEqual(
      ["child", "confinement", "detained", "elder", "injury", "missing", "self_harm", "sexual", "threat", "trafficking", "trapped", "violence"].sort(),
    );
  });

  // A model that flags everything shows what the combination does, independent of weights.
  const alwaysDanger: DangerModel = { trainedOn: "test", threshold: 0.5, veto: 0, emergency: { bias: 10 }, kinds: { self_harm: { bias: 5 }, violence: { bias: -5 } } };
  const neverDanger: DangerModel = { trainedOn: "test", threshold: 0.5, veto: 0.5, emergency: { bias: -10 }, kinds: {} };

  it("adds its flag to what the rules pass over, with the kind it finds likeliest and a number in the reply", () => {
    const text = normalizeText("今天天气不错").text;
    expect(detectWithRules(text).emergency).toBe(false);
    const r = detectEmergency(text, alwaysDanger);
    expect(r.emergency).toBe(true);
    expect(r.kinds).toEqual(["self_harm"]);
    expect(safetyReply(r.kinds)).toMatch(/12356/);
  });

  it("never overrules a strong cue, and vetoes a weak one only below its veto", () => {
    const strong = normalizeText("救命 他又在打我").text;
    expect(detectWithRules(strong).strong).toBe(true);
    expect(detectEmergency(strong, neverDanger).emergency).toBe(true);
    const weak = normalizeText("被人打伤了").text;
    expect(detectWithRules(weak)).toMatchObject({ emergency: true, strong: false });
    expect(detectEmergency(weak, neverDanger).emergency).toBe(false);
    expect(detectEmergency(weak, { ...neverDanger, veto: 0 }).emergency).toBe(true);
    expect(detectEmergency(strong, null)).toEqual(detectWithRules(strong));
  });

  it("names the wording that weighed most when it flags", () => {
    const t = spelled(normalizeText("门被从外面锁了 手机快没电了").text);
    const features = dangerFeatures(t);
    expect(features).toContain("c:锁了");
    const v = learnedVerdict(t, { ...alwaysDanger, emergency: { bias: 10, "c:锁了": 2 } });
    expect(v.evidence).toEqual(["锁了"]);
  });

  it.skipIf(!HAS_STARD)(`is the model its training data trains (else run scripts/train-danger.ts)${HAS_STARD ? "" : ` — ${skipReason("STARD", STARD_DIR)}`}`, () => {
    const lines = loadTrainingLines(PROJECT_ROOT);
    expect(lines.some((l) => l.source.startsWith("emergency-blind"))).toBe(false);
    expect(model!.trainedOn).toBe(fingerprint(lines.map((l) => ({ text: l.text, label: l.emergency ? "1" : "0" }))));
  });
});
