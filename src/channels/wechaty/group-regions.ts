// Which region (township, village) a WeChat group belongs to, so its referrals route to that
// township's duty lawyer or that village's adviser. The mapping is keyed by room id or by
// group name (topic); it comes from WECHATY_GROUP_REGIONS (inline YAML/JSON, or a file) or
// from knowledge/groups.yaml. Unknown region ids are reported and ignored.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import YAML from "yaml";
import { z } from "zod";
import type { Config } from "../../config.ts";
import type { ServiceDirectory } from "../../knowledge/directory.ts";

const MappingSchema = z.record(z.string(), z.string());
const FileSchema = z.union([z.object({ groups: MappingSchema }).passthrough(), MappingSchema]);

/**
 * Which region a WeChat group belongs to, by room id or group name, so its referrals route to the
 * right township or village.
 *
 * @example
 * ```ts
 * const regions = GroupRegionMap.fromConfig(app.config, app.directory);
 * regions.resolve(room.id, await room.topic()); // "qinghe.dongzhen", or null when unmapped
 * ```
 */
export class GroupRegionMap {
  constructor(
    private readonly byKey: ReadonlyMap<string, string>,
    /** Entries dropped because the region is not in the directory, for the start-up log. */
    readonly rejected: readonly { key: string; region: string }[] = [],
  ) {}

  static empty(): GroupRegionMap {
    return new GroupRegionMap(new Map());
  }

  /** Builds the map from settings; only regions the directory knows are kept. */
  static fromConfig(config: Pick<Config, "WECHATY_GROUP_REGIONS" | "knowledgeDir">, directory: ServiceDirectory): GroupRegionMap {
    return GroupRegionMap.fromMapping(readMapping(config), directory);
  }

  static fromMapping(mapping: Record<string, string>, directory: ServiceDirectory): GroupRegionMap {
    const keep = new Map<string, string>();
    const rejected: { key: string; region: string }[] = [];
    for (const [key, region] of Object.entries(mapping)) {
      const k = key.trim();
      const r = region.trim();
      if (!k) continue;
      if (directory.regions.has(r)) keep.set(k, r);
      else rejected.push({ key: k, region: r });
    }
    return new GroupRegionMap(keep, rejected);
  }

  /** The room id wins over the name: a name can be changed by any member. */
  resolve(roomId: string, topic: string | null): string | null {
    return this.byKey.get(roomId) ?? (topic ? this.byKey.get(topic.trim()) : undefined) ?? null;
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** The raw mapping: the setting (a mapping, inline YAML/JSON or a file path), else knowledge/groups.yaml. */
export function readMapping(config: Pick<Config, "WECHATY_GROUP_REGIONS" | "knowledgeDir">): Record<string, string> {
  const setting = config.WECHATY_GROUP_REGIONS;
  if (setting && typeof setting === "object") return MappingSchema.parse(setting);
  if (typeof setting === "string" && setting.trim()) {
    const text = setting.trim();
    const asFile = resolve(text);
    if (!/[:\n{]/.test(text) || existsSync(asFile)) {
      if (!existsSync(asFile)) throw new Error(`WECHATY_GROUP_REGIONS: file not found: ${asFile}`);
      return parseFile(readFileSync(asFile, "utf8"), asFile);
    }
    return parseFile(text, "WECHATY_GROUP_REGIONS");
  }
  const fallback = join(config.knowledgeDir, "groups.yaml");
  return existsSync(fallback) ? parseFile(readFileSync(fallback, "utf8"), fallback) : {};
}

function parseFile(text: string, where: string): Record<string, string> {
  let data: unknown;
  try {
    data = YAML.parse(text) ?? {};
  } catch (e) {
    throw new Error(`${where}: ${(e as Error).message}`);
  }
  const parsed = FileSchema.safeParse(data);
  if (!parsed.success) throw new Error(`${where}: expected a mapping of group name or room id to region id`);
  const value = parsed.data as Record<string, unknown>;
  return "groups" in value && typeof value.groups === "object" ? (value.groups as Record<string, string>) : (value as Record<string, string>);
}
