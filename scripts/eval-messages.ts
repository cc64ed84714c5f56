// Evaluates emergency detection and intent classification on the labelled message sets
// (test/fixtures/*-messages.jsonl). Rules are tuned on the dev split only; the test split
// is the honest number. Run: node bin/run-script.js scripts/eval-messages.ts
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, resolve } from "node:path";
import { normalizeText } from "../src/pipeline/normalize.ts";
import { detectEmergency, type EmergencyKind } from "../src/pipeline/emergency.ts";
import { classifyIntent, type Intent } from "../src/pipeline/intent.ts";
import { PROJECT_ROOT } from "../src/paths.ts";

type Split = "dev" | "test";

export interface EmergencyLine {
  text: string;
  emergency: boolean;
  kind: EmergencyKind | null;
  split: Split;
}
export interface IntentLine {
  text: string;
  intent: Intent;
  lastTopic?: string;
  feedback?: "positive" | "negative";
  detail?: "show_full";
  split: Split;
}

function readJsonl<T>(name: string): T[] {
  return readFileSync(join(PROJECT_ROOT, "test", "fixtures", name), "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

export const loadEmergencyLines = (): EmergencyLine[] => readJsonl<EmergencyLine>("emergency-messages.jsonl");
export const loadIntentLines = (): IntentLine[] => readJsonl<IntentLine>("intent-messages.jsonl");

export interface Miss {
  split: Split;
  text: string;
  expected: string;
  got: string;
}

/** Scores per split, plus the misclassified lines (for the report). */
export function scoreMessages(): { metrics: Record<string, number>; misses: Miss[] } {
  const metrics: Record<string, number> = {};
  const misses: Miss[] = [];
  const em = loadEmergencyLines();
  for (const split of ["dev", "test"] as const) {
    const lines = em.filter((l) => l.split === split);
    let tp = 0, fn = 0, fp = 0, tn = 0, kindHit = 0;
    for (const l of lines) {
      const r = detectEmergency(normalizeText(l.text).text);
      if (l.emergency) {
        if (r.emergency) {
          tp++;
          if (l.kind && r.kinds.includes(l.kind)) kindHit++;
        } else fn++;
      } else if (r.emergency) fp++;
      else tn++;
      if (r.emergency !== l.emergency)
        misses.push({ split, text: l.text, expected: l.emergency ? `emergency:${l.kind}` : "none", got: r.emergency ? `emergency:${r.kinds.join("+")} [${r.cues.join(",")}]` : "none" });
    }
    metrics[`emergency.${split}.recall`] = tp / Math.max(1, tp + fn);
    metrics[`emergency.${split}.falseAlarmRate`] = fp / Math.max(1, fp + tn);
    metrics[`emergency.${split}.kindAccuracy`] = kindHit / Math.max(1, tp);
    metrics[`emergency.${split}.n`] = lines.length;
  }
  const il = loadIntentLines();
  for (const split of ["dev", "test"] as const) {
    const lines = il.filter((l) => l.split === split);
    let ok = 0;
    for (const l of lines) {
      const r = classifyIntent(normalizeText(l.text).text, { lastTopic: l.lastTopic ?? null });
      const good =
        r.intent === l.intent &&
        (l.feedback === undefined || r.feedback === l.feedback) &&
        (l.detail === undefined || r.detail === l.detail);
      if (good) ok++;
      else
        misses.push({
          split,
          text: l.text + (l.lastTopic ? `  (lastTopic=${l.lastTopic})` : ""),
          expected: [l.intent, l.feedback, l.detail].filter(Boolean).join("/"),
          got: [r.intent, r.feedback, r.detail].filter(Boolean).join("/"),
        });
    }
    metrics[`intent.${split}.accuracy`] = ok / Math.max(1, lines.length);
    metrics[`intent.${split}.n`] = lines.length;
  }
  return { metrics, misses };
}

/** Scores both labelled sets and prints one line per split. */
export async function evalMessages(): Promise<Record<string, number>> {
  const { metrics } = scoreMessages();
  printMetrics(metrics);
  return metrics;
}

function printMetrics(metrics: Record<string, number>): void {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const split of ["dev", "test"] as const) {
    console.log(
      `[${split}] emergency recall ${pct(metrics[`emergency.${split}.recall`])}, false alarms ${pct(metrics[`emergency.${split}.falseAlarmRate`])}, kind accuracy ${pct(metrics[`emergency.${split}.kindAccuracy`])} (n=${metrics[`emergency.${split}.n`]}); intent accuracy ${pct(metrics[`intent.${split}.accuracy`])} (n=${metrics[`intent.${split}.n`]})`,
    );
  }
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const { metrics, misses } = scoreMessages();
  printMetrics(metrics);
  const wanted = process.argv.includes("--dev") ? "dev" : "test";
  console.log(`\nMisclassified ${wanted} lines:`);
  for (const m of misses.filter((x) => x.split === wanted)) console.log(`  ${m.text}\n      expected ${m.expected}, got ${m.got}`);
}
