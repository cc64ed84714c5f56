// Whether the server's memory stays bounded over a soak: RSS sampled during the run, judged by
// a rule fixed in advance.

import type { RssReport } from "./types.ts";

export const RSS_SAMPLE_MS = 2_000;
/** Growth of the last quarter's median RSS over the second quarter's above which RSS counts as growing (fixed in advance). */
export const BOUNDED_LATE_GROWTH_PCT = 5;

export const round1 = (x: number) => Math.round(x * 10) / 10;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Bounded growth: the median RSS of the last quarter of the run is at most
 * BOUNDED_LATE_GROWTH_PCT above the median of the second quarter. The first quarter is left
 * out (V8's heap, SQLite's page cache and pg's pool fill up there); a leak shows as the
 * second half still climbing. When the median grew but the floor (each quarter's lowest
 * sample, after a collection) did not, the run is "unclear": a garbage-collection sawtooth
 * caught at its peak, or the start of a leak; a longer run decides. "growing" needs both
 * to have grown. Fewer than 3 samples in a quarter: inconclusive.
 */
export function rssReport(samples: { s: number; mb: number }[], seconds: number): RssReport {
  const inRange = (a: number, b: number) => samples.filter((x) => x.s >= a * seconds && x.s <= b * seconds);
  const q2 = inRange(0.25, 0.5).map((x) => x.mb);
  const q4 = inRange(0.75, 1).map((x) => x.mb);
  const half = inRange(0.5, 1);
  let slope = 0;
  if (half.length >= 2) {
    const mx = half.reduce((a, x) => a + x.s, 0) / half.length;
    const my = half.reduce((a, x) => a + x.mb, 0) / half.length;
    const num = half.reduce((a, x) => a + (x.s - mx) * (x.mb - my), 0);
    const den = half.reduce((a, x) => a + (x.s - mx) ** 2, 0);
    slope = den > 0 ? (num / den) * 60 : 0;
  }
  const q2Median = median(q2);
  const q4Median = median(q4);
  const lateGrowthPct = q2Median > 0 ? ((q4Median - q2Median) / q2Median) * 100 : 0;
  const q2Min = q2.length ? Math.min(...q2) : 0;
  const q4Min = q4.length ? Math.min(...q4) : 0;
  const floorGrowthPct = q2Min > 0 ? ((q4Min - q2Min) / q2Min) * 100 : 0;
  const start = samples[0]?.mb ?? 0;
  const end = samples[samples.length - 1]?.mb ?? 0;
  return {
    start,
    end,
    peak: Math.max(0, ...samples.map((x) => x.mb)),
    growthPct: start > 0 ? round1(((end - start) / start) * 100) : 0,
    q2Median,
    q4Median,
    lateGrowthPct: round1(lateGrowthPct),
    q2Min,
    q4Min,
    floorGrowthPct: round1(floorGrowthPct),
    lateSlopeMbPerMin: round1(slope),
    verdict:
      q2.length < 3 || q4.length < 3
        ? "inconclusive"
        : lateGrowthPct <= BOUNDED_LATE_GROWTH_PCT
          ? "bounded"
          : floorGrowthPct > BOUNDED_LATE_GROWTH_PCT
            ? "growing"
            : "unclear",
    samples,
  };
}
