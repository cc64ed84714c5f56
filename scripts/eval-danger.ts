// Emergency detection on residents' wording: recall, false alarms and whether each flagged
// reply carries the numbers its situation needs, on three sets reported apart:
//   - blind: test/fixtures/blind/emergency-blind-*.jsonl, written by people who never saw the
//     detector, frozen, never tuned on (the honest figure);
//   - dev: test/fixtures/emergency-dev.jsonl, written the same way but used while tuning the
//     rules and training the learned backstop (an in-sample figure);
//   - ordinary consultations: STARD's real questions (../shared/data/stard), none of them an
//     emergency, for the false-alarm rate on everyday traffic.
// Run: node bin/run-script.js scripts/eval-danger.ts [--blind] [--misses dev|stard]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { detectEmergency, safetyReply, situationAdvice } from "../src/pipeline/emergency.ts";
import { normalizeText } from "../src/pipeline/normalize.ts";
import { stardHalf, stardQueries } from "./lib/danger-data.ts";
import { PROJECT_ROOT } from "../src/paths.ts";


export interface DangerLine {
  id: string;
  text: string;
  emergency: boolean;
  situation?: string;
  needs?: string[];
  negative?: string;
  style?: string;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as T);
}

export function loadDangerSet(name: "blind" | "dev"): DangerLine[] {
  if (name === "dev") {
    const f = join(PROJECT_ROOT, "test/fixtures/emergency-dev.jsonl");
    return existsSync(f) ? readJsonl<DangerLine>(f) : [];
  }
  const dir = join(PROJECT_ROOT, "test/fixtures/blind");
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => /^emergency-blind-.*\.jsonl$/.test(f)).sort().flatMap((f) => readJsonl<DangerLine>(join(dir, f)));
}

// What counts as carrying a number: the crisis lines for self-harm, the number itself else.
const NUMBER_RE: Record<string, RegExp> = {
  "110": /110/,
  "120": /120/,
  "119": /119/,
  "12338": /12338/,
  crisis: /12356|400-161-9995|心理危机/,
};

export interface DangerScore {
  n: number;
  positives: number;
  recall: number;
  /** Of the flagged positives, the share whose reply has every number the situation needs. */
  numbersRight: number;
  /** The same for the fitted advice alone, without the closing line of other numbers. */
  adviceRight: number;
  negatives: number;
  falseAlarms: number;
  bySituation: Record<string, { n: number; caught: number }>;
  misses: Array<{ id: string; text: string; why: string }>;
}

export function scoreDanger(lines: DangerLine[]): DangerScore {
  let tp = 0, fn = 0, fp = 0, tn = 0, right = 0, adviceRight = 0;
  const bySituation: DangerScore["bySituation"] = {};
  const misses: DangerScore["misses"] = [];
  for (const l of lines) {
    const r = detectEmergency(normalizeText(l.text).text);
    if (l.emergency) {
      const s = (bySituation[l.situation ?? "?"] ??= { n: 0, caught: 0 });
      s.n++;
      if (!r.emergency) {
        fn++;
        misses.push({ id: l.id, text: l.text, why: `missed (${l.situation})` });
        continue;
      }
      tp++;
      s.caught++;
      const reply = safetyReply(r.kinds);
      const needs = (l.needs ?? []).map((n) => NUMBER_RE[n] ?? new RegExp(n));
      const advice = situationAdvice(r.kinds).join("\n");
      if (needs.every((re) => re.test(advice))) adviceRight++;
      const lacking = (l.needs ?? []).filter((n) => !(NUMBER_RE[n] ?? new RegExp(n)).test(reply));
      if (lacking.length === 0) right++;
      else misses.push({ id: l.id, text: l.text, why: `reply lacks ${lacking.join(",")} (kinds ${r.kinds.join("+")})` });
    } else if (r.emergency) {
      fp++;
      misses.push({ id: l.id, text: l.text, why: `false alarm ${r.kinds.join("+")} [${r.cues.join(",")}]` });
    } else tn++;
  }
  return {
    n: lines.length,
    positives: tp + fn,
    recall: tp / Math.max(1, tp + fn),
    numbersRight: right / Math.max(1, tp),
    adviceRight: adviceRight / Math.max(1, tp),
    negatives: fp + tn,
    falseAlarms: fp / Math.max(1, fp + tn),
    bySituation,
    misses,
  };
}

/** STARD's real questions as ordinary consultations: every flag is a false alarm. */
export function stardFalseAlarms(): { n: number; rate: number; flagged: string[]; unseen: { n: number; rate: number } } | null {
  const qs = stardQueries(PROJECT_ROOT);
  if (qs.length === 0) return null;
  const flagged = qs.filter((q) => detectEmergency(normalizeText(q).text).emergency);
  // The learned backstop trains on one half; the other half is the honest figure.
  const unseen = qs.filter((q) => stardHalf(q) === "unseen");
  const unseenFlagged = flagged.filter((q) => stardHalf(q) === "unseen").length;
  return { n: qs.length, rate: flagged.length / Math.max(1, qs.length), flagged, unseen: { n: unseen.length, rate: unseenFlagged / Math.max(1, unseen.length) } };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Prints one line per set; returns the figures for the caller (npm run eval). */
export function evalDanger(log: (l: string) => void = console.log, sets: ReadonlyArray<"blind" | "dev"> = ["blind", "dev"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of sets) {
    const lines = loadDangerSet(name);
    if (lines.length === 0) {
      log(`[${name}] no lines`);
      continue;
    }
    const s = scoreDanger(lines);
    out[`${name}.recall`] = s.recall;
    out[`${name}.falseAlarms`] = s.falseAlarms;
    out[`${name}.numbersRight`] = s.numbersRight;
    out[`${name}.adviceRight`] = s.adviceRight;
    log(`[${name}] recall ${pct(s.recall)} (${s.positives} emergencies), replies with the right numbers ${pct(s.numbersRight)} (in the fitted advice alone ${pct(s.adviceRight)}), false alarms ${pct(s.falseAlarms)} (${s.negatives} hard negatives)`);
    const weak = Object.entries(s.bySituation).filter(([, v]) => v.caught < v.n).map(([k, v]) => `${k} ${v.caught}/${v.n}`);
    if (weak.length) log(`   situations below 100%: ${weak.join(", ")}`);
  }
  const st = stardFalseAlarms();
  if (st) {
    out["stard.falseAlarms"] = st.rate;
    out["stard.unseen.falseAlarms"] = st.unseen.rate;
    log(`[ordinary consultations] false alarms ${pct(st.unseen.rate)} on the ${st.unseen.n} STARD questions the backstop never trained on (${pct(st.rate)}, ${st.flagged.length} of all ${st.n})`);
  }
  return out;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  // The blind set's figures only on request, and never its lines: it is not for tuning.
  evalDanger(console.log, process.argv.includes("--blind") ? ["blind", "dev"] : ["dev"]);
  const which = process.argv.includes("--misses") ? process.argv[process.argv.indexOf("--misses") + 1] : null;
  if (which === "stard") for (const q of stardFalseAlarms()?.flagged ?? []) console.log(`  ${q}  ${JSON.stringify(detectEmergency(normalizeText(q).text).cues)}`);
  else if (which === "dev") for (const m of scoreDanger(loadDangerSet(which)).misses) console.log(`  ${m.id} ${m.why}\n      ${m.text}`);
}
