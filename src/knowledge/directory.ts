// The service directory (knowledge/directory.yaml): where a resident can go, by kind of
// service and by region. Regions are dotted ids: county `qinghe`, township
// `qinghe.dongzhen`, village `qinghe.dongzhen.lijiacun`.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { z } from "zod";

const Place = z.object({
  kind: z.string().optional(),
  name: z.string(),
  address: z.string().optional(),
  phone: z.string().optional(),
  hours: z.string().optional(),
  region: z.string().optional(),
});

const DirectorySchema = z.object({
  example: z.boolean().default(false),
  county: z.object({ id: z.string(), name: z.string(), centre: Place.optional() }),
  kinds: z.array(z.object({ id: z.string(), label: z.string() })).default([]),
  hotlines: z.array(z.object({ number: z.string(), name: z.string(), hours: z.string().optional(), note: z.string().optional() })).default([]),
  townships: z
    .array(
      z.object({
        id: z.string(),
        name: z.string(),
        station: Place.optional(),
        villages: z
          .array(
            z.object({
              id: z.string(),
              name: z.string(),
              room: Place.partial({ name: true }).optional(),
              adviser: z.object({ name: z.string(), phone: z.string().optional(), firm: z.string().optional() }).optional(),
            }),
          )
          .default([]),
      }),
    )
    .default([]),
  institutions: z.array(Place.extend({ kind: z.string() })).default([]),
});

/** The service directory as read from knowledge/directory.yaml: county, townships, villages, places, hotlines. */
export type DirectoryData = z.infer<typeof DirectorySchema>;
/** Somewhere a resident can go or call: its name, and where known its address, phone, hours and region. */
export type Place = z.infer<typeof Place>;

/** A county, township or village, with the region it belongs to. */
export interface Region {
  id: string;
  name: string;
  level: "county" | "township" | "village";
  parent: string | null;
}

/**
 * Where to go for what in the county (knowledge/directory.yaml): regions and their lineage, service
 * places by kind and region, and hotlines.
 *
 * @example
 * ```ts
 * const directory = ServiceDirectory.load(config.knowledgeDir);
 * directory.lineage("qinghe.dongzhen");          // the township, then the county
 * directory.placesFor("legal_aid", "qinghe.dongzhen"); // nearest first
 * ```
 */
export class ServiceDirectory {
  readonly regions = new Map<string, Region>();

  constructor(readonly data: DirectoryData) {
    this.regions.set(data.county.id, { id: data.county.id, name: data.county.name, level: "county", parent: null });
    for (const t of data.townships) {
      this.regions.set(t.id, { id: t.id, name: t.name, level: "township", parent: data.county.id });
      for (const v of t.villages) this.regions.set(v.id, { id: v.id, name: v.name, level: "village", parent: t.id });
    }
  }

  static load(knowledgeDir: string): ServiceDirectory {
    const path = join(knowledgeDir, "directory.yaml");
    if (!existsSync(path)) return new ServiceDirectory(DirectorySchema.parse({ county: { id: "county", name: "本县" } }));
    return new ServiceDirectory(DirectorySchema.parse(YAML.parse(readFileSync(path, "utf8"))));
  }

  /** The region and its ancestors, most specific first. */
  lineage(regionId: string | null): string[] {
    const out: string[] = [];
    let r = regionId ? this.regions.get(regionId) : undefined;
    while (r) {
      out.push(r.id);
      r = r.parent ? this.regions.get(r.parent) : undefined;
    }
    if (out.length === 0) out.push(this.data.county.id);
    return out;
  }

  kindLabel(kind: string): string {
    return this.data.kinds.find((k) => k.id === kind)?.label ?? kind;
  }

  /** The nearest places of a kind for a region: the village's own, then the township's, then the county's. */
  placesFor(kind: string, regionId: string | null): Place[] {
    const lineage = this.lineage(regionId);
    if (kind === "village_adviser") {
      const village = this.findVillage(regionId);
      return village?.adviser
        ? [{ kind, name: `${village.name}法律顾问 ${village.adviser.name}`, phone: village.adviser.phone, address: village.room?.address }]
        : [];
    }
    if (kind === "public_legal_service") {
      const places: Place[] = [];
      const village = this.findVillage(regionId);
      if (village?.room) places.push({ kind, name: village.room.name ?? `${village.name}公共法律服务工作室`, address: village.room.address });
      const town = this.data.townships.find((t) => lineage.includes(t.id));
      if (town?.station) places.push({ kind, ...town.station });
      if (this.data.county.centre) places.push({ kind, ...this.data.county.centre });
      return places;
    }
    for (const id of lineage) {
      const found = this.data.institutions.filter((p) => p.kind === kind && p.region === id);
      if (found.length > 0) return found;
    }
    return this.data.institutions.filter((p) => p.kind === kind);
  }

  hotline(number: string): { number: string; name: string } | undefined {
    return this.data.hotlines.find((h) => h.number === number);
  }

  private findVillage(regionId: string | null) {
    if (!regionId) return undefined;
    for (const t of this.data.townships) {
      const v = t.villages.find((x) => x.id === regionId);
      if (v) return v;
    }
    return undefined;
  }
}
