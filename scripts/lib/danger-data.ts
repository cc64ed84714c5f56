// The labelled messages the danger backstop trains on, and the split of STARD's real
// questions into a training half and an unseen half (by a hash of the text, so stable).
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EmergencyKind } from "../../src/pipeline/danger/cues.ts";

export interface TrainingLine {
  text: string;
  emergency: boolean;
  source: string;
  situation?: string;
  kind?: string;
  needs?: string[];
}

function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** "train" for half of STARD's questions, "unseen" for the other half. */
export function stardHalf(query: string): "train" | "unseen" {
  return createHash("sha256").update(query).digest()[0] % 2 === 0 ? "train" : "unseen";
}

export function stardQueries(root: string): string[] {
  const dir = resolve(root, "../shared/data/stard");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^queries.*\.jsonl$/.test(f)) : [];
  return files.flatMap((f) => readJsonl(join(dir, f)).map((q) => String(q.query)));
}

/** Every training line (never a blind one), in a fixed order. */
export function loadTrainingLines(root: string): TrainingLine[] {
  const fx = join(root, "test/fixtures");
  const out: TrainingLine[] = [];
  const sets = readdirSync(fx).filter((f) => /^emergency-(dev|train-.*)\.jsonl$/.test(f)).sort();
  for (const f of sets) {
    for (const l of readJsonl(join(fx, f))) {
      out.push({ text: String(l.text), emergency: l.emergency === true, source: f, situation: l.situation as string | undefined, needs: l.needs as string[] | undefined });
    }
  }
  for (const l of readJsonl(join(fx, "emergency-messages.jsonl"))) {
    out.push({ text: String(l.text), emergency: l.emergency === true, source: "emergency-messages", kind: l.kind as string | undefined });
  }
  for (const l of readJsonl(join(fx, "intent-messages.jsonl"))) {
    if (l.intent === "emergency") continue; // no situation named; the sets above cover them
    out.push({ text: String(l.text), emergency: false, source: "intent-messages" });
  }
  for (const q of stardQueries(root)) if (stardHalf(q) === "train") out.push({ text: q, emergency: false, source: "stard" });
  return out;
}

const SITUATION_KINDS: Array<[RegExp, EmergencyKind[]]> = [
  [/self_harm|suicid/, ["self_harm"]],
  [/overdose|poison/, ["injury"]],
  [/trapped|accident|collapse/, ["trapped"]],
  [/child_sexual/, ["sexual", "child"]],
  [/sexual|rape/, ["sexual"]],
  [/(?:missing|abduct).*child|child.*(?:missing|abduct)/, ["missing", "child"]],
  [/child.*marri|marri.*child/, ["trafficking", "child"]],
  [/elder.*(?:missing|lost)|missing.*elder/, ["missing", "elder"]],
  [/missing|abduct/, ["missing"]],
  [/child/, ["child"]],
  [/elder/, ["elder"]],
  [/traffick|forced_marriage|sold/, ["trafficking"]],
  [/confine|captive|locked|detain.*illegal/, ["confinement"]],
  [/police|detain|detention/, ["detained"]],
  [/injur|hurt|wound/, ["injury"]],
  [/threat|stalk|arson/, ["threat"]],
  [/violen|beat|fight|debt|evict|demoli/, ["violence"]],
];

/** The kinds a labelled emergency belongs to, from its situation (or its kind), or none. */
export function kindsOfSituation(l: Pick<TrainingLine, "situation" | "kind" | "needs">): EmergencyKind[] {
  if (l.kind) return [l.kind as EmergencyKind];
  const s = (l.situation ?? "").toLowerCase();
  for (const [re, kinds] of SITUATION_KINDS) if (re.test(s)) return kinds;
  return [];
}
