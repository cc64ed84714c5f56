// Property tests of the text pipeline's entry points at 10,000 cases each
// (test/pipeline/*.test.ts run 500-case versions of the basic "never throws" properties;
// these add determinism, width folding and the consistency of the emergency result).

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { detectEmergency, KIND_LABEL } from "../../src/pipeline/emergency.ts";
import { classifyIntent } from "../../src/pipeline/intent.ts";
import { normalizeText } from "../../src/pipeline/normalize.ts";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);
const KNOWN_INTENTS = new Set(["legal_question", "follow_up", "greeting", "ask_human", "feedback", "emergency", "out_of_scope", "abuse"]);
// Every kind the detector can name has a label for the lawyer.
const EMERGENCY_KINDS = new Set(Object.keys(KIND_LABEL));

const residentWords = fc.constantFrom(..."老板欠我三个月工资不给咋办离婚孩子归谁打我要杀了我想死救命被拘留派出所转人工你好谢谢不是没有以前如果，。？！ 😀🙏".split(/(?:)/u));
const residentText = fc.oneof(
  fc.array(residentWords, { maxLength: 60 }).map((a) => a.join("")),
  fc.string({ unit: "grapheme", maxLength: 120 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)), maxLength: 200 }),
);

describe("normalizeText, classifyIntent, detectEmergency", () => {
  it(`normalizeText: bounded, idempotent, and full-width letters and digits fold to half-width (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(residentText, fc.stringMatching(/^[A-Za-z0-9]{0,40}$/), (s, ascii) => {
        const once = normalizeText(s, { maxChars: 500 });
        expect(Array.from(once.text).length).toBeLessThanOrEqual(500);
        expect(normalizeText(once.text).text).toBe(once.text);
        // (Full-width punctuation such as ！ is kept on purpose: it is Chinese punctuation.)
        const fullWidth = [...ascii].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join("");
        expect(normalizeText(fullWidth).text).toBe(normalizeText(ascii).text);
      }),
      { numRuns: RUNS },
    );
  });

  it(`classifyIntent: a known intent, deterministic, emergency iff detected (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(residentText, fc.option(fc.constantFrom("labour", "marriage", "other")), fc.nat(20), (s, lastTopic, turns) => {
        const a = classifyIntent(s, { lastTopic, turnsInThread: turns });
        const b = classifyIntent(s, { lastTopic, turnsInThread: turns });
        expect(KNOWN_INTENTS.has(a.intent)).toBe(true);
        expect(b).toEqual(a);
        if (a.intent === "emergency") expect(a.emergency?.emergency).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it(`detectEmergency: kinds known and unique, emergency iff some kind, cues present (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(residentText, (s) => {
        const r = detectEmergency(s);
        expect(r.emergency).toBe(r.kinds.length > 0);
        expect(new Set(r.kinds).size).toBe(r.kinds.length);
        for (const k of r.kinds) expect(EMERGENCY_KINDS.has(k)).toBe(true);
        if (r.emergency) expect(r.cues.length).toBeGreaterThan(0);
        expect(detectEmergency(s)).toEqual(r);
      }),
      { numRuns: RUNS },
    );
  });
});
