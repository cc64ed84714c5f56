// Duty coverage gaps for the rota page's warning: now, later within 24 hours, and not at all.

import { describe, expect, test } from "vitest";
import { coverageGaps } from "../../src/referral/coverage.ts";
import type { RotaEntry } from "../../src/referral/types.ts";

const entry = (over: Partial<RotaEntry>): RotaEntry => ({
  id: "e1",
  userId: "u1",
  regions: ["qinghe"],
  topics: [],
  schedule: [],
  datesOff: [],
  datesOn: [],
  note: "",
  active: true,
  createdAt: "2026-01-01T00:00:00Z",
  updatedAt: "2026-01-01T00:00:00Z",
  ...over,
});

// Monday 2026-03-02 10:00 in Shanghai.
const NOW = new Date("2026-03-02T02:00:00Z");
const weekdays9to17 = [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" }));

describe("coverage gaps", () => {
  test("a county-wide all-topic duty around the clock leaves no gap", () => {
    const all = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
    const r = coverageGaps([entry({ schedule: all })], new Set(["u1"]), ["labour", "marriage"], ["qinghe", "qinghe.dongzhen"], NOW);
    expect(r.topics).toEqual([]);
    expect(r.regions).toEqual([]);
  });

  test("office hours: covered now, a gap from 17:00; a topic nobody covers is a gap now", () => {
    const r = coverageGaps([entry({ schedule: weekdays9to17, topics: ["labour"] })], new Set(["u1"]), ["labour", "marriage"], ["qinghe.dongzhen"], NOW);
    expect(r.topics.find((g) => g.id === "marriage")).toMatchObject({ now: true, from: NOW.toISOString() });
    expect(r.topics.find((g) => g.id === "labour")).toMatchObject({ now: false, from: "2026-03-02T09:00:00.000Z" });
    expect(r.regions[0]).toMatchObject({ id: "qinghe.dongzhen", now: false });
  });

  test("a township duty does not cover the county or another township; an inactive person covers nothing", () => {
    const all = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
    const r = coverageGaps([entry({ regions: ["qinghe.dongzhen"], schedule: all })], new Set(["u1"]), [], ["qinghe", "qinghe.dongzhen", "qinghe.xihe"], NOW);
    expect(r.regions.map((g) => g.id)).toEqual(["qinghe", "qinghe.xihe"]);
    const gone = coverageGaps([entry({ schedule: all })], new Set(), ["labour"], [], NOW);
    expect(gone.topics[0]).toMatchObject({ id: "labour", now: true });
  });
});
