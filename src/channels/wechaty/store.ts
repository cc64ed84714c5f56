// What the group channels remember beyond the conversation store: the groups the assistant
// sits in and their regions, who was welcomed, the group question log (topics only, no
// text) and which group thread a member's private chat currently continues.
// Channel-neutral (the `channel` column), so Telegram groups can use it as well.

import type { ChannelName } from "../../pipeline/types.ts";
import type { SqliteDb } from "../../store/sqlite.ts";

export type RegionSource = "config" | "admin";

export interface GroupRow {
  channel: ChannelName;
  groupKey: string;
  name: string;
  region: string | null;
  regionSource: RegionSource | null;
  active: boolean;
  joinedAt: string | null;
  leftAt: string | null;
  updatedAt: string;
}

export interface GroupQuestion {
  channel: ChannelName;
  groupKey: string;
  groupName: string;
  region: string | null;
  topic: string;
  sensitive: boolean;
  platformMessageId: string;
  askedAt: Date;
}

export interface GroupNeedRow {
  groupKey: string;
  groupName: string;
  region: string | null;
  topic: string;
  count: number;
  /** Of which moved to a private chat (personal or sensitive matters). */
  sensitive: number;
}

type Raw = Record<string, unknown>;

function toGroup(r: Raw): GroupRow {
  return {
    channel: r.channel as ChannelName,
    groupKey: String(r.group_key),
    name: String(r.name ?? ""),
    region: (r.region as string | null) ?? null,
    regionSource: (r.region_source as RegionSource | null) ?? null,
    active: Number(r.active) === 1,
    joinedAt: (r.joined_at as string | null) ?? null,
    leftAt: (r.left_at as string | null) ?? null,
    updatedAt: String(r.updated_at),
  };
}

export class GroupStore {
  constructor(private readonly db: SqliteDb) {}

  getGroup(channel: ChannelName, groupKey: string): GroupRow | null {
    const r = this.db.prepare("SELECT * FROM channel_groups WHERE channel = ? AND group_key = ?").get(channel, groupKey) as Raw | undefined;
    return r ? toGroup(r) : null;
  }

  listGroups(channel: ChannelName): GroupRow[] {
    return (this.db.prepare("SELECT * FROM channel_groups WHERE channel = ? ORDER BY name, group_key").all(channel) as Raw[]).map(toGroup);
  }

  /**
   * Records a group as seen (name, membership). A region set by an administrator is kept;
   * otherwise the region given (from the configured mapping) replaces the stored one.
   */
  upsertGroup(g: { channel: ChannelName; groupKey: string; name: string; region: string | null; active?: boolean; joined?: boolean }, now: Date): GroupRow {
    const at = now.toISOString();
    this.db
      .prepare(
        `INSERT INTO channel_groups (channel, group_key, name, region, region_source, active, joined_at, updated_at)
         VALUES (@channel, @groupKey, @name, @region, @source, @active, @joinedAt, @at)
         ON CONFLICT (channel, group_key) DO UPDATE SET
           name = excluded.name,
           region = CASE WHEN channel_groups.region_source = 'admin' THEN channel_groups.region ELSE excluded.region END,
           region_source = CASE WHEN channel_groups.region_source = 'admin' THEN 'admin' ELSE excluded.region_source END,
           active = excluded.active,
           joined_at = COALESCE(excluded.joined_at, channel_groups.joined_at),
           left_at = CASE WHEN excluded.active = 1 THEN NULL ELSE channel_groups.left_at END,
           updated_at = excluded.updated_at`,
      )
      .run({
        channel: g.channel,
        groupKey: g.groupKey,
        name: g.name,
        region: g.region,
        source: g.region ? "config" : null,
        active: g.active === false ? 0 : 1,
        joinedAt: g.joined ? at : null,
        at,
      });
    return this.getGroup(g.channel, g.groupKey)!;
  }

  /** The assistant left or was removed: kept for the needs report, marked inactive. */
  markLeft(channel: ChannelName, groupKey: string, now: Date): void {
    const at = now.toISOString();
    this.db.prepare("UPDATE channel_groups SET active = 0, left_at = ?, updated_at = ? WHERE channel = ? AND group_key = ?").run(at, at, channel, groupKey);
  }

  /** An administrator maps a group to a region (null: back to the configured mapping on next sight). */
  setRegion(channel: ChannelName, groupKey: string, region: string | null, now: Date): GroupRow | null {
    this.db
      .prepare("UPDATE channel_groups SET region = ?, region_source = ?, updated_at = ? WHERE channel = ? AND group_key = ?")
      .run(region, region ? "admin" : null, now.toISOString(), channel, groupKey);
    return this.getGroup(channel, groupKey);
  }

  /** True the first time a member is seen joining (or being welcomed in) a group. */
  markWelcomed(channel: ChannelName, groupKey: string, memberKey: string, now: Date): boolean {
    const r = this.db
      .prepare("INSERT INTO channel_group_welcomes (channel, group_key, member_key, welcomed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(channel, groupKey, memberKey, now.toISOString());
    return r.changes === 1;
  }

  /** Logs a group question once per platform message. */
  recordQuestion(q: GroupQuestion): void {
    this.db
      .prepare(
        `INSERT INTO group_questions (channel, group_key, group_name, region, topic, sensitive, platform_message_id, asked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, platform_message_id) DO NOTHING`,
      )
      .run(q.channel, q.groupKey, q.groupName, q.region, q.topic, q.sensitive ? 1 : 0, q.platformMessageId, q.askedAt.toISOString());
  }

  /** Questions per group and topic in [from, to), most asked first. */
  groupNeeds(channel: ChannelName, range: { from: Date; to: Date }): GroupNeedRow[] {
    const rows = this.db
      .prepare(
        `SELECT q.group_key, COALESCE(g.name, MAX(q.group_name)) AS group_name, COALESCE(g.region, MAX(q.region)) AS region,
                q.topic, COUNT(*) AS n, SUM(q.sensitive) AS sensitive
         FROM group_questions q LEFT JOIN channel_groups g ON g.channel = q.channel AND g.group_key = q.group_key
         WHERE q.channel = ? AND q.asked_at >= ? AND q.asked_at < ?
         GROUP BY q.group_key, q.topic
         ORDER BY n DESC, q.group_key, q.topic`,
      )
      .all(channel, range.from.toISOString(), range.to.toISOString()) as Raw[];
    return rows.map((r) => ({
      groupKey: String(r.group_key),
      groupName: String(r.group_name ?? ""),
      region: (r.region as string | null) ?? null,
      topic: String(r.topic),
      count: Number(r.n),
      sensitive: Number(r.sensitive ?? 0),
    }));
  }

  /** The member's private chat now continues this group thread (a lawyer's reply, a rating request went there). */
  setPrivateRoute(channel: ChannelName, memberKey: string, threadKey: string, now: Date): void {
    this.db
      .prepare(
        `INSERT INTO channel_private_routes (channel, member_key, thread_key, at) VALUES (?, ?, ?, ?)
         ON CONFLICT (channel, member_key) DO UPDATE SET thread_key = excluded.thread_key, at = excluded.at`,
      )
      .run(channel, memberKey, threadKey, now.toISOString());
  }

  getPrivateRoute(channel: ChannelName, memberKey: string): string | null {
    const r = this.db.prepare("SELECT thread_key FROM channel_private_routes WHERE channel = ? AND member_key = ?").get(channel, memberKey) as
      | { thread_key: string }
      | undefined;
    return r?.thread_key ?? null;
  }
}
