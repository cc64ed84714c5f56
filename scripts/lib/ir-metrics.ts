// Retrieval metrics and k-fold splitting shared by eval and bench scripts.
import { readFileSync } from "node:fs";

export interface LabelledQuery {
  id: string;
  query: string;
  relevant: string[];
}

export function readJsonl<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

export interface MetricRow {
  "R@1": number;
  "R@5": number;
  "R@10": number;
  "R@100": number;
  "MRR@10": number;
  "nDCG@10": number;
}

/** Per-query metrics: recall = share of relevant ids in top k; binary-gain nDCG. */
export function queryMetrics(ranked: string[], relevant: string[]): MetricRow {
  const rel = new Set(relevant);
  const recall = (k: number) => (rel.size === 0 ? 0 : ranked.slice(0, k).filter((id) => rel.has(id)).length / rel.size);
  let mrr = 0;
  for (let i = 0; i < Math.min(10, ranked.length); i++) {
    if (rel.has(ranked[i])) {
      mrr = 1 / (i + 1);
      break;
    }
  }
  let dcg = 0;
  for (let i = 0; i < Math.min(10, ranked.length); i++) if (rel.has(ranked[i])) dcg += 1 / Math.log2(i + 2);
  let idcg = 0;
  for (let i = 0; i < Math.min(10, rel.size); i++) idcg += 1 / Math.log2(i + 2);
  return { "R@1": recall(1), "R@5": recall(5), "R@10": recall(10), "R@100": recall(100), "MRR@10": mrr, "nDCG@10": idcg ? dcg / idcg : 0 };
}

export function meanMetrics(rows: MetricRow[]): MetricRow {
  const out: MetricRow = { "R@1": 0, "R@5": 0, "R@10": 0, "R@100": 0, "MRR@10": 0, "nDCG@10": 0 };
  for (const r of rows) for (const k of Object.keys(out) as Array<keyof MetricRow>) out[k] += r[k] / rows.length;
  return out;
}

/** Deterministic k-fold assignment (seeded shuffle), so every run scores the same folds. */
export function kFolds<T>(items: T[], k: number, seed = 12348): T[][] {
  const idx = items.map((_, i) => i);
  let s = seed >>> 0;
  const rand = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const folds: T[][] = Array.from({ length: k }, () => []);
  idx.forEach((i, n) => folds[n % k].push(items[i]));
  return folds;
}

export function formatTable(rows: Array<{ name: string; m: MetricRow; note?: string }>): string {
  const cols = ["R@1", "R@5", "R@10", "R@100", "MRR@10", "nDCG@10"] as const;
  const w = Math.max(...rows.map((r) => r.name.length), 6);
  const lines = [`${"system".padEnd(w)}  ${cols.map((c) => c.padStart(7)).join(" ")}`];
  for (const r of rows) lines.push(`${r.name.padEnd(w)}  ${cols.map((c) => r.m[c].toFixed(3).padStart(7)).join(" ")}${r.note ? "  " + r.note : ""}`);
  return lines.join("\n");
}
