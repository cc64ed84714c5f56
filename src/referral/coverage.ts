// Duty coverage (值班覆盖): which topics and regions nobody on the rota covers now or within
// the next hours, for the warning on the rota page. Pure: a function of the entries, the
// active staff and the time. Samples every `stepMinutes`; a gap shorter than that may be missed.

import { regionCovers } from "./regions.ts";
import { entryCoversTopic, entryOnDutyAt } from "./rota.ts";
import type { RotaEntry } from "./types.ts";

export interface CoverageGap {
  id: string;
  /** The first sampled instant nobody covers it (ISO); equal to `now` when uncovered now. */
  from: string;
  /** Uncovered right now. */
  now: boolean;
}

export interface CoverageReport {
  topics: CoverageGap[];
  regions: CoverageGap[];
  /** The window looked at, in hours. */
  hours: number;
}

export function coverageGaps(
  entries: readonly RotaEntry[],
  activeStaff: ReadonlySet<string>,
  topics: readonly string[],
  regions: readonly string[],
  now: Date,
  opts: { hours?: number; stepMinutes?: number } = {},
): CoverageReport {
  const hours = opts.hours ?? 24;
  const step = (opts.stepMinutes ?? 30) * 60_000;
  const usable = entries.filter((e) => e.active && activeStaff.has(e.userId));
  const topicGap = new Map<string, CoverageGap>();
  const regionGap = new Map<string, CoverageGap>();
  for (let t = now.getTime(); t <= now.getTime() + hours * 3600_000; t += step) {
    const at = new Date(t);
    const onDuty = usable.filter((e) => entryOnDutyAt(e, at));
    const first = t === now.getTime();
    for (const topic of topics) {
      if (topicGap.has(topic)) continue;
      if (!onDuty.some((e) => entryCoversTopic(e, topic))) topicGap.set(topic, { id: topic, from: at.toISOString(), now: first });
    }
    for (const region of regions) {
      if (regionGap.has(region)) continue;
      if (!onDuty.some((e) => e.regions.some((r) => regionCovers(r, region)))) regionGap.set(region, { id: region, from: at.toISOString(), now: first });
    }
  }
  return { topics: [...topicGap.values()], regions: [...regionGap.values()], hours };
}
