// Training for the learned backstop (learned.ts): sparse logistic regression by AdaGrad over
// string features. Written here rather than taken from a library because the features are
// sparse strings (tens of thousands of n-grams, a few hundred per message) and the JS
// regression packages work on dense matrices; this is about sixty lines and deterministic.
import { createHash } from "node:crypto";
import type { Weights } from "./learned.ts";

export interface Example {
  features: readonly string[];
  y: 0 | 1;
  /** How much the example counts (class balance); 1 by default. */
  weight?: number;
}

export interface TrainOptions {
  epochs?: number;
  rate?: number;
  /** L2 penalty per update, scaled by the rate. */
  l2?: number;
  /** Features seen in fewer examples are dropped (one-off n-grams only memorise). */
  minCount?: number;
  /** Weights smaller than this are left out of the result. */
  prune?: number;
}

/** A deterministic shuffle (the same data always trains the same model). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function trainLogistic(examples: readonly Example[], o: TrainOptions = {}): Weights {
  const { epochs = 20, rate = 0.3, l2 = 1e-4, minCount = 2, prune = 1e-3 } = o;
  const seen = new Map<string, number>();
  for (const e of examples) for (const f of e.features) seen.set(f, (seen.get(f) ?? 0) + 1);
  const keep = (f: string) => f === "bias" || (seen.get(f) ?? 0) >= minCount;
  const data = examples.map((e) => ({ ...e, features: e.features.filter(keep) }));
  const w = new Map<string, number>();
  const g2 = new Map<string, number>();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const e of shuffled(data, 0x9e3779b9 + epoch)) {
      let z = 0;
      for (const f of e.features) z += w.get(f) ?? 0;
      const p = 1 / (1 + Math.exp(-z));
      const grad = (p - e.y) * (e.weight ?? 1);
      for (const f of e.features) {
        const old = w.get(f) ?? 0;
        const g = grad + (f === "bias" ? 0 : l2 * old);
        const acc = (g2.get(f) ?? 0) + g * g;
        g2.set(f, acc);
        w.set(f, old - (rate * g) / Math.sqrt(acc + 1e-8));
      }
    }
  }
  const out: Weights = {};
  for (const [f, v] of [...w].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (Math.abs(v) >= prune) out[f] = Math.round(v * 1e3) / 1e3;
  }
  return out;
}

/** Balances the classes: each side weighs as much in total. */
export function balanced(examples: readonly Example[]): Example[] {
  const pos = examples.filter((e) => e.y === 1).length;
  const neg = examples.length - pos;
  return examples.map((e) => ({ ...e, weight: (e.weight ?? 1) * (e.y === 1 ? examples.length / (2 * Math.max(1, pos)) : examples.length / (2 * Math.max(1, neg))) }));
}

/** Fingerprint of the training texts and labels, stored in the model (see learned.ts). */
export function fingerprint(lines: ReadonlyArray<{ text: string; label: string }>): string {
  const h = createHash("sha256");
  for (const l of lines) h.update(`${l.label}\t${l.text}\n`);
  return h.digest("hex").slice(0, 16);
}
