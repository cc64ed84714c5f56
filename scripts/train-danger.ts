// Trains the learned danger backstop (src/pipeline/danger/model.json) on the project's own
// labelled messages: the dev set and the training sets written apart from the rules, the
// older labelled messages, the intent set's ordinary messages, and one half of STARD's real
// questions (the other half stays unseen for the false-alarm figure). Never the blind sets.
// The threshold is chosen on out-of-fold scores: the lowest that keeps false alarms under the
// budget on hard negatives and on ordinary questions.
// Run: node bin/run-script.js scripts/train-danger.ts [--check]   (--check: is model.json current?)
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { detectWithRules } from "../src/pipeline/danger/detect.ts";
import type { EmergencyKind } from "../src/pipeline/danger/cues.ts";
import { dangerFeatures, spelled } from "../src/pipeline/danger/features.ts";
import { logistic, type DangerModel } from "../src/pipeline/danger/learned.ts";
import { balanced, fingerprint, trainLogistic, type Example, type TrainOptions } from "../src/pipeline/danger/train.ts";
import { normalizeText } from "../src/pipeline/normalize.ts";
import { kindsOfSituation, loadTrainingLines, type TrainingLine } from "./lib/danger-data.ts";
import { PROJECT_ROOT } from "../src/paths.ts";

const MODEL_FILE = join(PROJECT_ROOT, "src/pipeline/danger/model.json");
// False-alarm budgets the threshold must keep, out of fold (the limits are 5% and 2%).
const HARD_NEGATIVE_BUDGET = 0.03;
const ORDINARY_BUDGET = 0.01;
const FOLDS = 5;

interface Row extends TrainingLine {
  features: string[];
  rules: boolean;
  strong: boolean;
}

function rowsOf(lines: TrainingLine[]): Row[] {
  return lines.map((l) => {
    const t = spelled(normalizeText(l.text).text);
    const ruled = detectWithRules(normalizeText(l.text).text);
    return { ...l, features: dangerFeatures(t), rules: ruled.emergency, strong: ruled.strong === true };
  });
}

function emergencyExamples(rows: Row[]): Example[] {
  // STARD's many ordinary questions count less each, so hard negatives are not drowned out.
  return balanced(rows.map((r) => ({ features: r.features, y: r.emergency ? 1 : 0, weight: r.source === "stard" ? 0.3 : 1 })));
}

function trainKinds(rows: Row[]): DangerModel["kinds"] {
  const labelled = rows.filter((r) => r.emergency).map((r) => ({ r, kinds: kindsOfSituation(r) })).filter((x) => x.kinds.length > 0);
  const all = new Set(labelled.flatMap((x) => x.kinds));
  const out: DangerModel["kinds"] = {};
  for (const kind of [...all].sort()) {
    out[kind] = trainLogistic(balanced(labelled.map((x) => ({ features: x.r.features, y: x.kinds.includes(kind) ? 1 : 0 }))), { epochs: 15, minCount: 3, prune: 0.05 });
  }
  return out;
}

/** Out-of-fold scores for every row: each fold scored by a model that never saw it. */
function outOfFold(rows: Row[], options: TrainOptions): number[] {
  const scores = new Array<number>(rows.length).fill(0);
  for (let k = 0; k < FOLDS; k++) {
    const train = rows.filter((_, i) => i % FOLDS !== k);
    const w = trainLogistic(emergencyExamples(train), options);
    rows.forEach((r, i) => {
      if (i % FOLDS === k) scores[i] = logistic(w, r.features);
    });
  }
  return scores;
}

interface Choice {
  threshold: number;
  veto: number;
  recall: number;
  hard: number;
  ordinary: number;
}

/** Flagged by rules and scorer together, as detect.ts combines them. */
function flagged(r: Row, s: number, threshold: number, veto: number): boolean {
  if (r.strong) return true;
  return r.rules ? s >= veto : s >= threshold;
}

function pickThreshold(rows: Row[], scores: number[]): { choice: Choice; report: string } {
  const scored = rows.map((r, i) => ({ r, s: scores[i] }));
  const hard = scored.filter((x) => !x.r.emergency && x.r.source !== "stard");
  const ordinary = scored.filter((x) => x.r.source === "stard");
  const pos = scored.filter((x) => x.r.emergency);
  const rate = (xs: typeof pos, t: number, v: number) => xs.filter((x) => flagged(x.r, x.s, t, v)).length / Math.max(1, xs.length);
  let best: Choice | null = null;
  // Recall first (a miss can cost a life), within the false-alarm budgets; then fewer alarms.
  for (const veto of [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]) {
    for (let t100 = 99; t100 >= 5; t100--) {
      const t = t100 / 100;
      const c = { threshold: t, veto, recall: rate(pos, t, veto), hard: rate(hard, t, veto), ordinary: rate(ordinary, t, veto) };
      if (c.hard > HARD_NEGATIVE_BUDGET || c.ordinary > ORDINARY_BUDGET) break;
      if (!best || c.recall > best.recall || (c.recall === best.recall && c.hard + c.ordinary < best.hard + best.ordinary)) best = c;
    }
  }
  const choice = best ?? { threshold: 0.99, veto: 0, recall: rate(pos, 0.99, 0), hard: rate(hard, 0.99, 0), ordinary: rate(ordinary, 0.99, 0) };
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const report =
    `out of fold (${FOLDS} folds): rules alone recall ${pct(pos.filter((x) => x.r.rules).length / pos.length)}, ` +
    `false alarms ${pct(hard.filter((x) => x.r.rules).length / hard.length)} hard / ${pct(ordinary.filter((x) => x.r.rules).length / ordinary.length)} ordinary; ` +
    `rules + scorer (threshold ${choice.threshold}, veto ${choice.veto}): recall ${pct(choice.recall)}, false alarms ${pct(choice.hard)} hard / ${pct(choice.ordinary)} ordinary ` +
    `(${pos.length} emergencies, ${hard.length} hard negatives, ${ordinary.length} ordinary)`;
  return { choice, report };
}

/** Chosen on out-of-fold figures (recall at the budgets), see the commit that set them. */
export const EMERGENCY_TRAINING: TrainOptions = { epochs: 20, rate: 0.3, l2: 1e-4, prune: 0.02 };

export function buildModel(lines: TrainingLine[], log: (s: string) => void = console.log, options: TrainOptions = EMERGENCY_TRAINING): DangerModel {
  const rows = rowsOf(lines);
  const { choice, report } = pickThreshold(rows, outOfFold(rows, options));
  log(report);
  return {
    trainedOn: fingerprint(lines.map((l) => ({ text: l.text, label: l.emergency ? "1" : "0" }))),
    threshold: choice.threshold,
    veto: choice.veto,
    emergency: trainLogistic(emergencyExamples(rows), options),
    kinds: trainKinds(rows),
  };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const lines = loadTrainingLines(PROJECT_ROOT);
  const print = fingerprint(lines.map((l) => ({ text: l.text, label: l.emergency ? "1" : "0" })));
  if (process.argv.includes("--check")) {
    const current = existsSync(MODEL_FILE) ? (JSON.parse(readFileSync(MODEL_FILE, "utf8")) as DangerModel).trainedOn : null;
    console.log(current === print ? "model.json is current" : `model.json is stale (trained on ${current}, data now ${print})`);
    process.exit(current === print ? 0 : 1);
  }
  const model = buildModel(lines);
  writeFileSync(MODEL_FILE, JSON.stringify(model) + "\n");
  const size = Object.keys(model.emergency).length;
  console.log(`wrote ${MODEL_FILE}: ${size} weights, kinds ${Object.keys(model.kinds).join(",")}, threshold ${model.threshold}`);
}
