// The dashboard's readers on both stores, at the edges the SQL decides: the Shanghai day of
// an instant (15:59:59.999Z vs 16:00Z), the exclusive end of a range, a region filter that
// must not treat '_' or a longer sibling id as a match, rows without a region, JSON fields of
// the pipeline's result, BOOLEAN vs 0/1 and COUNT as text. Seeded through the real stores
// (conversation and referral) and plain SQL for the channel tables (whose migrations the channels declare).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GroupStore } from "../../src/channels/groups/index.ts";
import { CHANNEL_MIGRATIONS } from "../../src/channels/migrations.ts";
import { groupChoices, reportFilter, type Filters } from "../../src/console/dashboard/filters.ts";
import { buildTables } from "../../src/console/dashboard/tables.ts";
import type { PipelineResult } from "../../src/pipeline/types.ts";
import type { UserRecord } from "../../src/referral/types.ts";
import { SqlConversationStore, type ConversationStore } from "../../src/store/conversation-store.ts";
import { openPg } from "../../src/store/pg/pool.ts";
import { SqlReferralStore, type ReferralStore } from "../../src/store/referral-store.ts";
import { SqlReportStore, type QuestionRow } from "../../src/store/report-sql.ts";
import { PgSql, SqliteSql, type SqlDb } from "../../src/store/sql.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { BACKENDS, PG_URL, skipped, title, type BackendName } from "../store/backends.ts";

interface Opened {
  sql: SqlDb;
  conversations: ConversationStore;
  referrals: ReferralStore;
  close(): Promise<void>;
}

async function open(name: BackendName): Promise<Opened> {
  if (name === "postgres") {
    const h = await openPg(PG_URL, { freshSchema: true, max: 3, migrations: CHANNEL_MIGRATIONS });
    return { sql: new PgSql(h.pool), conversations: new SqlConversationStore(h.pool), referrals: new SqlReferralStore(h.pool), close: () => h.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-dashq-"));
  const db = openSqlite(join(dir, "lawdesk.db"), CHANNEL_MIGRATIONS);
  return {
    sql: new SqliteSql(db),
    conversations: new SqlConversationStore(db),
    referrals: new SqlReferralStore(db),
    async close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const result = (o: Partial<PipelineResult>): PipelineResult => ({
  kind: "reply",
  text: "答复",
  fullText: "答复",
  intent: "legal_question",
  topic: "labour",
  confidence: 0.9,
  citations: [],
  guideId: null,
  escalation: null,
  composer: "template",
  ...o,
});

const lowConfidence = (topic: string, region: string | null): PipelineResult["escalation"] => ({
  reason: "low_confidence",
  urgency: "normal",
  topic,
  region,
  summary: "机器人没有把握",
  findings: { articles: [], guides: [] },
});

const RANGE: Filters = { from: "2026-01-31", to: "2026-02-02", channel: null, topic: null, region: null, group: null };

const user = (id: string, regions: string[], active: boolean): UserRecord => ({
  id,
  username: id,
  name: `律师${id}`,
  role: "lawyer",
  regions,
  topics: [],
  phone: null,
  active,
  failedLogins: 0,
  lockedUntil: null,
  mustChangePassword: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  passwordHash: "x",
});

for (const [name] of BACKENDS) {
  describe.skipIf(skipped(name))(title("dashboard queries", name), () => {
    let o: Opened;
    let n = 0;

    /** One message through the conversation store, as the core records and completes it. */
    const message = async (at: string, res: PipelineResult, opts: { region?: string | null; group?: string; reason?: "rate_limited"; text?: string } = {}) => {
      n++;
      const receivedAt = new Date(at);
      const { inbound } = await o.conversations.recordInbound(
        { channel: "web", threadKey: `t-${n}`, senderKey: `s-${n}`, groupKey: opts.group ?? null, text: opts.text ?? `问题${n}`, platformMessageId: `m-${n}`, region: opts.region ?? null, receivedAt },
        receivedAt,
      );
      const claimed = await o.conversations.claimInbound(inbound.id, { now: receivedAt, staleBefore: new Date(0) });
      await o.conversations.complete(
        { inboundId: inbound.id, claim: claimed!.attempts, status: "done", result: res, reason: opts.reason ?? null, error: null, context: null, messages: [], escalation: res.escalation, reply: { kind: "answer", text: res.text, sent: true } },
        receivedAt,
      );
    };

    beforeAll(async () => {
      o = await open(name);
      // The last millisecond of 31 January in Shanghai; '_' in the region id.
      await message("2026-01-31T15:59:59.999Z", result({ topic: "labour" }), { region: "qinghe.dong_x" });
      // The first instant of 1 February; escalated, so the topic is the escalation's.
      await message("2026-01-31T16:00:00.000Z", result({ topic: "labour", escalation: lowConfidence("housing", "qinghe.dongzhen") }), { region: "qinghe.dongzhen", text: "邻居的树挡光" });
      // No region, no topic: visible to county-wide scopes only, topic "other".
      await message("2026-02-01T12:00:00.000Z", result({ topic: null }), { group: "g-1" });
      // Not questions: a greeting, a rate-limited message.
      await message("2026-02-01T13:00:00.000Z", result({ intent: "greeting", topic: null }), { region: "qinghe.dongzhen" });
      await message("2026-02-01T14:00:00.000Z", result({}), { region: "qinghe.dongzhen", reason: "rate_limited" });
      // 3 February 00:00 in Shanghai: just past the range's exclusive end.
      await message("2026-02-02T16:00:00.000Z", result({}), { region: "qinghe.dongzhen" });

      await o.referrals.insertUser(user("u-a", ["qinghe.dongzhen"], true), []);
      await o.referrals.insertUser(user("u-b", ["qinghe.xihe", "qinghe.nanling"], false), []);

      const ins = (values: unknown[]) =>
        o.sql.run("INSERT INTO group_questions (channel, group_key, group_name, region, topic, sensitive, platform_message_id, asked_at) VALUES ('wechaty', ?, ?, ?, ?, ?, ?, ?)", values);
      await ins(["g-1", "旧群名", "qinghe.dongzhen", "labour", true, "gq-1", "2026-02-01T01:00:00.000Z"]);
      await ins(["g-1", "旧群名", "qinghe.dongzhen", "labour", false, "gq-2", "2026-02-02T15:59:59.999Z"]);
      await ins(["g-1", "旧群名", "qinghe.dongzhen", "labour", true, "gq-3", "2026-02-02T16:00:00.000Z"]); // past the end
      await ins(["g-2", "", "qinghe.xihe", "land", false, "gq-4", "2026-02-01T01:00:00.000Z"]);
      // The channel's own record of g-1 renames it (an admin's edit wins over the logged name).
      await o.sql.run("INSERT INTO channel_groups (channel, group_key, name, region, region_source, active, updated_at) VALUES ('wechaty', 'g-1', '东镇群', 'qinghe.dongzhen', 'admin', ?, ?)", [
        true,
        "2026-01-01T00:00:00.000Z",
      ]);
    }, 60_000);
    afterAll(async () => o?.close());

    const reports = () => new SqlReportStore(o.sql);
    const brief = (rows: QuestionRow[]) => rows.map((r) => `${r.day} ${r.topic} ${r.region ?? "-"} ${r.reason ?? "-"} ${r.answered ? "answered" : "-"}`).sort();

    test("questions by Shanghai day, with the range end exclusive", async () => {
      expect(o.sql.dialect.name).toBe(name);
      expect(brief(await reports().questions(reportFilter(RANGE, null)))).toEqual([
        "2026-01-31 labour qinghe.dong_x - answered",
        "2026-02-01 housing qinghe.dongzhen low_confidence -",
        "2026-02-01 other - - answered",
      ]);
      // One day only: the message a millisecond before midnight is not in it.
      expect(brief(await reports().questions(reportFilter({ ...RANGE, from: "2026-02-01", to: "2026-02-01" }, null)))).toHaveLength(2);
    });

    test("region filters and scopes: exact ids and their children only; no region for county scopes", async () => {
      const count = async (f: Partial<Filters>, scope: readonly string[] | null) => (await reports().questions(reportFilter({ ...RANGE, ...f }, scope))).length;
      expect(await count({ region: "qinghe.dong" }, null)).toBe(0); // neither qinghe.dong_x nor qinghe.dongzhen
      expect(await count({ region: "qinghe" }, null)).toBe(2);
      expect(await count({ region: "qinghe.dongzhen" }, null)).toBe(1);
      expect(await count({}, ["qinghe"])).toBe(3);
      expect(await count({}, ["qinghe.dongzhen"])).toBe(1);
      expect(await count({}, ["qinghe.dong"])).toBe(0);
      expect(await count({}, [])).toBe(0);
      expect(await count({ topic: "other", group: "g-1" }, null)).toBe(1);
      expect(await count({ channel: "wechat_oa" }, null)).toBe(0);
    });

    test("low-confidence texts", async () => {
      expect(await reports().lowConfidenceTexts(reportFilter(RANGE, null))).toEqual([{ topic: "housing", text: "邻居的树挡光", day: "2026-02-01" }]);
    });

    test("staff: JSON regions and the active flag", async () => {
      const staff = (await reports().staff()).sort((a, b) => a.id.localeCompare(b.id));
      expect(staff).toEqual([
        { id: "u-a", name: "律师u-a", role: "lawyer", regions: ["qinghe.dongzhen"], active: true },
        { id: "u-b", name: "律师u-b", role: "lawyer", regions: ["qinghe.xihe", "qinghe.nanling"], active: false },
      ]);
    });

    test("group needs: counts, sensitive flags, the channel's group name", async () => {
      const rows = await new GroupStore(o.sql).groupNeeds(null, { from: new Date("2026-01-31T16:00:00.000Z"), to: new Date("2026-02-02T16:00:00.000Z") });
      expect(rows).toEqual([
        { groupKey: "g-1", groupName: "东镇群", region: "qinghe.dongzhen", topic: "labour", count: 2, sensitive: 1 },
        { groupKey: "g-2", groupName: "", region: "qinghe.xihe", topic: "land", count: 1, sensitive: 0 },
      ]);
      // The group filter: the channel's name for g-1 wins over the key its questions carry.
      const known = (await new GroupStore(o.sql).listGroups()).map((g) => ({ channel: g.channel, groupKey: g.groupKey, name: g.name, region: g.region }));
      expect(groupChoices(known, await reports().groupsAsked())).toEqual([{ channel: "wechaty", groupKey: "g-1", name: "东镇群", region: "qinghe.dongzhen" }]);
    });

    test("tables over these rows", async () => {
      const [summary, daily, lawyers] = await buildTables(
        { sql: o.sql, filters: RANGE, scope: null, topicLabel: (id) => id, regionName: (id) => id ?? "?", now: new Date("2026-02-03T00:00:00.000Z") },
        ["summary", "daily", "lawyers"],
      );
      const value = (key: string) => summary.rows.find((r) => r.key === key)?.value;
      expect([value("questions"), value("answered"), value("escalated"), value("referrals"), value("ratings")]).toEqual([3, 2, 1, 0, 0]);
      expect(daily.rows.map((r) => [r.day, r.questions])).toEqual([
        ["2026-01-31", 1],
        ["2026-02-01", 2],
        ["2026-02-02", 0],
      ]);
      // The active lawyer is listed without work; the inactive one is not.
      expect(lawyers.rows.map((r) => [r.userId, r.handled])).toEqual([["u-a", 0]]);
    });
  });
}
