// Small statistics the dashboard needs: quantiles for response times and a one-sided
// Poisson test for rising topics. Pure functions, no database.

/**
 * Quantile by linear interpolation between order statistics (R type 7, the same as Excel's
 * PERCENTILE.INC), so a bureau checking the CSV in Excel gets the same number.
 * Null for an empty list.
 */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Rounds for display and CSV (one decimal by default); null stays null. */
export function round(x: number | null, digits = 1): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** P(X >= k) for X ~ Poisson(lambda), summed in log space so large k does not overflow. */
export function poissonUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 1;
  if (lambda <= 0) return 0;
  // 1 - P(X <= k-1); for the small probabilities we care about, sum the upper terms directly.
  let logTerm = -lambda + k * Math.log(lambda) - logFactorial(k);
  let sum = 0;
  for (let i = k; i < k + 1000; i++) {
    const term = Math.exp(logTerm);
    sum += term;
    if (term < sum * 1e-12) break;
    logTerm += Math.log(lambda) - Math.log(i + 1);
  }
  return Math.min(1, sum);
}

function logFactorial(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

export interface RisingRule {
  /** Weeks before the current week that make the usual level. */
  baselineWeeks: number;
  /** Fewer questions than this in the current week are never flagged (noise). */
  minCount: number;
  /** Current week at least this many times the baseline weekly mean. */
  minRatio: number;
  /** One-sided Poisson p-value below this. */
  maxP: number;
  /** Floor for the baseline mean: a topic never seen before is compared with this, not 0. */
  minBaseline: number;
}

export const RISING_RULE: RisingRule = { baselineWeeks: 8, minCount: 5, minRatio: 2, maxP: 0.01, minBaseline: 0.5 };

export interface RisingVerdict {
  current: number;
  baselineMean: number;
  ratio: number | null;
  pValue: number;
  rising: boolean;
}

/**
 * A topic is rising when this week's count is (a) at least minCount, (b) at least minRatio
 * times its usual weekly mean, and (c) improbable under a Poisson model with that mean.
 * The ratio alone would flag 1 → 3 (noise on a quiet topic); the p-value alone would flag a
 * 10% rise on a busy one (significant but not news). Both together flag what a bureau
 * would call a surge, like wage arrears before the Spring Festival.
 */
export function judgeRising(current: number, baselineWeekly: readonly number[], rule: RisingRule = RISING_RULE): RisingVerdict {
  const baselineMean = mean(baselineWeekly) ?? 0;
  const lambda = Math.max(baselineMean, rule.minBaseline);
  const ratio = baselineMean > 0 ? current / baselineMean : null;
  const pValue = poissonUpperTail(current, lambda);
  const rising = current >= rule.minCount && current >= rule.minRatio * lambda && pValue < rule.maxP;
  return { current, baselineMean, ratio, pValue, rising };
}
