// What the group channels remember beyond the conversation store: the groups the assistant
// sits in and their regions, who was welcomed, the group question log (topics only, no
// text) and which group thread a member's private chat currently continues.
// Channel-neutral (the `channel` column): WeChat and Telegram groups alike.
// Runs on SQLite or PostgreSQL through SqlDb: booleans and timestamps are bound as values
// (never 0/1 or text literals) and read back through sqlValue.

import type { ChannelName } from "../../channel-message.ts";
import { selectWhere, sqlValue, type SqlDb } from "../../store/sql.ts";

/** Where a group's region came from: the settings file, or an administrator in the console (which wins). */
export type RegionSource = "config" | "admin";

/** A group the assistant sits in, on any channel, with the region its referrals route to. */
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

/** One question asked in a group, logged by topic only (never the text) for demand analysis. */
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

/** Questions per group and topic over a period (需求研判), of which how many moved to a private chat. */
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
    active: sqlValue.bool(r.active),
    joinedAt: sqlValue.iso(r.joined_at),
    leftAt: sqlValue.iso(r.left_at),
    updatedAt: sqlValue.iso(r.updated_at) ?? "",
  };
}

/**
 * The group channels' own records: groups and their regions, welcomed members, the question log
 * and which group thread a member's private chat continues. Runs on SQLite and PostgreSQL.
 *
 * @example
 * ```ts
 * const groups = new GroupStore(app.sql);
 * await groups.setRegion("wechaty", roomId, "qinghe.dongzhen", new Date()); // referrals route to 东镇
 * const needs = await groups.groupNeeds("wechaty", { from, to });            // questions per group and topic
 * ```
 */
export class GroupStore {
  constructor(private readonly sql: SqlDb) {}

  /** Byte (code point) order for names, as SQLite sorts: PostgreSQL would use the locale's. */
  private get byteOrder(): string {
    return this.sql.dialect.name === "postgres" ? ' COLLATE "C"' : "";
  }

  async getGroup(channel: ChannelName, groupKey: string): Promise<GroupRow | null> {
    const r = await this.sql.get<Raw>("SELECT * FROM channel_groups WHERE channel = ? AND group_key = ?", [channel, groupKey]);
    return r ? toGroup(r) : null;
  }

  /** The groups of one channel, or of every channel. */
  async listGroups(channel?: ChannelName): Promise<GroupRow[]> {
    const c = this.byteOrder;
    const q = selectWhere("channel_groups", { channel }, `name${c}, group_key${c}`);
    return (await this.sql.all<Raw>(q.sql, q.params)).map(toGroup);
  }

  /**
   * Records a group as seen (name, membership). A region set by an administrator is kept;
   * otherwise the region given (from the configured mapping) replaces the stored one.
   */
  async upsertGroup(
    g: { channel: ChannelName; groupKey: string; name: string; region: string | null; active?: boolean; joined?: boolean },
    now: Date,
  ): Promise<GroupRow> {
    const at = now.toISOString();
    // One statement, so a concurrent administrator's region is never overwritten in between.
    const r = await this.sql.get<Raw>(
      `INSERT INTO channel_groups (channel, group_key, name, region, region_source, active, joined_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (channel, group_key) DO UPDATE SET
         name = excluded.name,
         region = CASE WHEN channel_groups.region_source = 'admin' THEN channel_groups.region ELSE excluded.region END,
         region_source = CASE WHEN channel_groups.region_source = 'admin' THEN 'admin' ELSE excluded.region_source END,
         active = excluded.active,
         joined_at = COALESCE(excluded.joined_at, channel_groups.joined_at),
         left_at = CASE WHEN excluded.active THEN NULL ELSE channel_groups.left_at END,
         updated_at = excluded.updated_at
       RETURNING *`,
      [g.channel, g.groupKey, g.name, g.region, g.region ? "config" : null, g.active !== false, g.joined ? at : null, at],
    );
    return toGroup(r!);
  }

  /** The assistant left or was removed: kept for the needs report, marked inactive. */
  async markLeft(channel: ChannelName, groupKey: string, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.sql.run("UPDATE channel_groups SET active = ?, left_at = ?, updated_at = ? WHERE channel = ? AND group_key = ?", [false, at, at, channel, groupKey]);
  }

  /** An administrator maps a group to a region (null: back to the configured mapping on next sight). */
  async setRegion(channel: ChannelName, groupKey: string, region: string | null, now: Date): Promise<GroupRow | null> {
    const r = await this.sql.get<Raw>(
      "UPDATE channel_groups SET region = ?, region_source = ?, updated_at = ? WHERE channel = ? AND group_key = ? RETURNING *",
      [region, region ? "admin" : null, now.toISOString(), channel, groupKey],
    );
    return r ? toGroup(r) : null;
  }

  /** True the first time a member is seen joining (or being welcomed in) a group. */
  async markWelcomed(channel: ChannelName, groupKey: string, memberKey: string, now: Date): Promise<boolean> {
    const r = await this.sql.run(
      "INSERT INTO channel_group_welcomes (channel, group_key, member_key, welcomed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      [channel, groupKey, memberKey, now.toISOString()],
    );
    return r.changes === 1;
  }

  /** Logs a group question once per platform message. */
  async recordQuestion(q: GroupQuestion): Promise<void> {
    await this.sql.run(
      `INSERT INTO group_questions (channel, group_key, group_name, region, topic, sensitive, platform_message_id, asked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, platform_message_id) DO NOTHING`,
      [q.channel, q.groupKey, q.groupName, q.region, q.topic, q.sensitive, q.platformMessageId, q.askedAt.toISOString()],
    );
  }

  /** Questions per group and topic in [from, to), most asked first. */
  /** Questions per group and topic over [from, to), of one channel or (null) of every channel. */
  async groupNeeds(channel: ChannelName | null, range: { from: Date; to: Date }): Promise<GroupNeedRow[]> {
    const c = this.byteOrder;
    // MAX(g.…): one group row per key, but PostgreSQL wants every selected column aggregated;
    // CASE rather than SUM(sensitive): a BOOLEAN on PostgreSQL, 0/1 on SQLite.
    const rows = await this.sql.all<Raw>(
      `SELECT q.group_key, COALESCE(MAX(g.name), MAX(q.group_name)) AS group_name, COALESCE(MAX(g.region), MAX(q.region)) AS region,
              q.topic, COUNT(*) AS n, SUM(CASE WHEN q.sensitive THEN 1 ELSE 0 END) AS sensitive
       FROM group_questions q LEFT JOIN channel_groups g ON g.channel = q.channel AND g.group_key = q.group_key
       WHERE ${channel === null ? "" : "q.channel = ? AND "}q.asked_at >= ? AND q.asked_at < ?
       GROUP BY q.group_key, q.topic
       ORDER BY COUNT(*) DESC, q.group_key${c}, q.topic${c}`,
      [...(channel === null ? [] : [channel]), range.from.toISOString(), range.to.toISOString()],
    );
    return rows.map((r) => ({
      groupKey: String(r.group_key),
      groupName: String(r.group_name ?? ""),
      region: (r.region as string | null) ?? null,
      topic: String(r.topic),
      count: sqlValue.num(r.n),
      sensitive: sqlValue.num(r.sensitive),
    }));
  }

  /** The member's private chat now continues this group thread (a lawyer's reply, a rating request went there). */
  async setPrivateRoute(channel: ChannelName, memberKey: string, threadKey: string, now: Date): Promise<void> {
    await this.sql.run(
      `INSERT INTO channel_private_routes (channel, member_key, thread_key, at) VALUES (?, ?, ?, ?)
       ON CONFLICT (channel, member_key) DO UPDATE SET thread_key = excluded.thread_key, at = excluded.at`,
      [channel, memberKey, threadKey, now.toISOString()],
    );
  }

  async getPrivateRoute(channel: ChannelName, memberKey: string): Promise<string | null> {
    const r = await this.sql.get<{ thread_key: string }>("SELECT thread_key FROM channel_private_routes WHERE channel = ? AND member_key = ?", [channel, memberKey]);
    return r?.thread_key ?? null;
  }
}
