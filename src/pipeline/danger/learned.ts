// A learned backstop behind the rules: a logistic scorer over dangerFeatures, trained by
// scripts/train-danger.ts on the project's own labelled messages (never the blind sets) and
// shipped as model.json. The rules explain themselves and stay first; the scorer catches
// situations told in words no cue list has, and names the likeliest kinds for the reply.
import { readFileSync } from "node:fs";
import type { EmergencyKind } from "./cues.ts";
import { dangerFeatures } from "./features.ts";

/** Weights of one logistic scorer, by feature name (absent features weigh nothing). */
export type Weights = Record<string, number>;

export interface DangerModel {
  /** Fingerprint of the training data, to tell a stale model (see train.ts). */
  trainedOn: string;
  /** Scores at or above this flag a message the rules let pass. */
  threshold: number;
  /** A rule hit on weak cues only is dropped when the scorer is below this (0 = never). */
  veto: number;
  emergency: Weights;
  /** One-vs-rest scorers over the same features, trained on emergencies only. */
  kinds: Partial<Record<EmergencyKind, Weights>>;
}

export function logistic(weights: Weights, features: readonly string[]): number {
  let z = 0;
  for (const f of features) z += weights[f] ?? 0;
  return 1 / (1 + Math.exp(-z));
}

export interface LearnedVerdict {
  score: number;
  flagged: boolean;
  /** Likeliest kinds, best first (the best always, others scoring at least half). */
  kinds: EmergencyKind[];
  /** The message's wording that weighed most towards danger, for the lawyer. */
  evidence: string[];
}

let shipped: DangerModel | null | undefined;

/** The shipped model, or null when it is missing (the rules then work alone). */
export function shippedModel(): DangerModel | null {
  if (shipped === undefined) {
    try {
      shipped = JSON.parse(readFileSync(new URL("./model.json", import.meta.url), "utf8")) as DangerModel;
    } catch {
      shipped = null;
    }
  }
  return shipped;
}

/** The scorer's reading of a spelled message (features.ts: spelled). */
export function learnedScore(t: string, model: DangerModel): { score: number; features: string[] } {
  const features = dangerFeatures(t);
  return { score: logistic(model.emergency, features), features };
}

/** Kinds and evidence, worked out only for a message the scorer flags. */
export function learnedVerdict(t: string, model: DangerModel): LearnedVerdict {
  const { score, features } = learnedScore(t, model);
  if (score < model.threshold) return { score, flagged: false, kinds: [], evidence: [] };
  const ranked = (Object.entries(model.kinds) as Array<[EmergencyKind, Weights]>)
    .map(([kind, w]) => ({ kind, p: logistic(w, features) }))
    .sort((a, b) => b.p - a.p);
  const best = ranked[0]?.p ?? 0;
  const kinds = ranked.filter((r, i) => i === 0 || r.p >= Math.max(0.5, best / 2)).slice(0, 3).map((r) => r.kind);
  const evidence = features
    .filter((f) => f.startsWith("c:") && [...f].length >= 4)
    .map((f) => ({ f: f.slice(2), w: model.emergency[f] ?? 0 }))
    .filter((x) => x.w > 0)
    .sort((a, b) => b.w - a.w)
    .slice(0, 3)
    .map((x) => x.f);
  return { score, flagged: true, kinds, evidence };
}
