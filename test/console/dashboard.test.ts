// The dashboard API over real HTTP, on both stores (SQLite in a temp directory, PostgreSQL in
// a fresh schema): every number is checked against events the test made
// (test/console/dashboard-seed.ts says which and why each expected figure is what it is),
// and at the end the two stores' full dashboards are compared with each other.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { addDays } from "../../src/console/dashboard/filters.ts";
import { BACKENDS, skipped, title, type BackendName } from "../store/backends.ts";
import type { Client } from "../server/helpers.ts";
import { GROUP, seed, startDashboardServer, type DashboardServer, type Seeded } from "./dashboard-seed.ts";

type Row = Record<string, string | number | null>;

/** Each store's whole dashboard (admin and a supervisor), compared at the end. */
const dumps = new Map<BackendName, unknown>();

for (const [backend] of BACKENDS) {
  describe.skipIf(skipped(backend))(title("dashboard API", backend), () => {
    let t: DashboardServer;
    let s: Seeded;

    beforeAll(async () => {
      t = await startDashboardServer(backend);
      s = await seed(t);
    }, 120_000);
    afterAll(async () => t?.close());

    const range = () => `from=${s.from}&to=${s.today}`;

    async function table(c: Client, name: string, extra = ""): Promise<{ rows: Row[]; columns: { key: string; label: string }[] }> {
      const res = await c.get(`/api/console/dashboard/${name}?${range()}${extra}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.table;
    }

    async function summary(c: Client, extra = ""): Promise<Record<string, number | null>> {
      const { rows } = await table(c, "summary", extra);
      return Object.fromEntries(rows.map((r) => [r.key, r.value as number | null]));
    }

    test("the totals match the events", async () => {
      expect(t.app.sql.dialect.name).toBe(backend);
      expect(await summary(s.staff.admin)).toEqual({
        questions: 67, // 8 + 8 wages, 1 group, 45 divorce, 5 escalated; greetings do not count
        answered: 62,
        answerRate: 92.5,
        escalated: 5,
        emergencies: 1,
        referrals: 5,
        medianMinutes: 60, // of 10, 30, 60, 90, 1500
        p90Minutes: 936, // 90 + 0.6 × (1500 - 90)
        keptShare: 80, // 1500 min missed the 24 h deadline
        ratingMean: 3.67, // 5, 4, 2
        ratings: 3,
        undelivered: 1,
      });
    });

    test("per day, by reason, by region (children aggregated), ratings", async () => {
      const daily = await table(s.staff.admin, "daily");
      expect(daily.rows).toHaveLength(70);
      // Three days ago: one wage question, one divorce, five escalations (one an emergency).
      expect(daily.rows.find((r) => r.day === s.referralDay)).toMatchObject({ questions: 7, answered: 2, escalated: 5, emergencies: 1 });
      expect(daily.rows.find((r) => r.day === s.undeliveredDay)?.undelivered).toBe(1);
      expect(daily.rows.find((r) => r.day === s.today)).toMatchObject({ questions: 2, answered: 2, escalated: 0 });
      expect(daily.rows.reduce((n, r) => n + Number(r.questions), 0)).toBe(67);

      const reasons = await table(s.staff.admin, "escalations");
      expect(reasons.rows.map((r) => [r.reason, r.count])).toEqual([
        ["low_confidence", 3],
        ["asked_human", 1],
        ["emergency", 1],
      ]);

      const regions = await table(s.staff.admin, "regions");
      expect(Object.fromEntries(regions.rows.map((r) => [r.region, r.questions]))).toEqual({ "qinghe.nanling": 45, "qinghe.dongzhen": 18, "qinghe.xihe": 4 });
      const villages = await table(s.staff.admin, "regions", "&region=qinghe.dongzhen");
      expect(Object.fromEntries(villages.rows.map((r) => [r.region, r.questions]))).toEqual({ "qinghe.dongzhen": 11, "qinghe.dongzhen.lijiacun": 7 });

      const ratings = await table(s.staff.admin, "ratings");
      expect(ratings.rows.map((r) => r.count)).toEqual([0, 1, 0, 1, 1]);

      const response = await table(s.staff.admin, "response");
      expect(response.rows.at(-1)).toEqual({ day: "合计", referrals: 5, responded: 5, medianMinutes: 60, p90Minutes: 936, judged: 5, kept: 4, keptShare: 80 });
      expect(response.rows.find((r) => r.day === s.referralDay)).toMatchObject({ referrals: 5, kept: 4 });
    });

    test("filters: channel, topic, region, group", async () => {
      expect((await summary(s.staff.admin, "&channel=wechat_oa")).questions).toBe(3);
      expect((await summary(s.staff.admin, "&channel=telegram")).undelivered).toBe(1);
      expect((await summary(s.staff.admin, "&topic=marriage")).questions).toBe(45);
      expect((await summary(s.staff.admin, "&region=qinghe.dongzhen")).questions).toBe(18);
      expect((await summary(s.staff.admin, "&region=qinghe.dongzhen.lijiacun")).questions).toBe(7);
      expect((await summary(s.staff.admin, `&group=${GROUP}`)).questions).toBe(1);
      // Only the last 3 days: today, yesterday, the day before (no referrals created then).
      const short = await s.staff.admin.get(`/api/console/dashboard/summary?from=${addDays(s.today, -2)}&to=${s.today}`);
      expect(short.body.table.rows.find((r: Row) => r.key === "referrals").value).toBe(0);
      expect((await s.staff.admin.get(`/api/console/dashboard/summary?from=2026-13-01`)).status).toBe(400);
      expect((await s.staff.admin.get(`/api/console/dashboard/nosuch`)).status).toBe(404);
    });

    test("a supervisor sees only their regions", async () => {
      const sum = await summary(s.staff.sun);
      // Xihe: three wage questions from Hexi village and the telegram "转人工".
      expect(sum).toMatchObject({ questions: 4, answered: 3, escalated: 1, referrals: 1, medianMinutes: 60, undelivered: 1, ratings: 0 });
      // Asking for another township does not widen the scope.
      expect((await summary(s.staff.sun, "&region=qinghe.dongzhen")).questions).toBe(0);
      const meta = await s.staff.sun.get("/api/console/dashboard/meta");
      expect(meta.body.regions.every((r: { id: string }) => r.id.startsWith("qinghe.xihe"))).toBe(true);
    });

    test("rising topics flag the wage surge, not the flat divorce series", async () => {
      const { rows } = await table(s.staff.admin, "rising");
      const labour = rows.find((r) => r.topic === "labour")!;
      const marriage = rows.find((r) => r.topic === "marriage")!;
      expect(labour).toMatchObject({ current: 9, baselineMean: 1, ratio: 9, rising: "是", weekly: "1 1 1 1 1 1 1 1 9" });
      expect(Number(labour.pValue)).toBeLessThan(1e-4);
      expect(marriage).toMatchObject({ current: 5, baselineMean: 5, ratio: 1, rising: "否" });
      expect(rows.filter((r) => r.rising === "是").map((r) => r.topic)).toEqual(["labour"]);
      expect(rows[0].topic).toBe("labour");
    });

    test("low-confidence wordings are grouped, counted and masked", async () => {
      const { rows } = await table(s.staff.admin, "wordings");
      expect(rows).toHaveLength(2);
      expect(rows[0]).toMatchObject({ topic: "housing", topicTotal: 3, count: 2 });
      expect(rows[0].wording).toContain("狗咬了邻居的鸡");
      expect(rows[1]).toMatchObject({ topic: "housing", count: 1 });
      expect(rows[1].wording).toContain("[手机号]");
      const csv = (await s.staff.admin.get(`/api/console/dashboard/wordings/csv?${range()}`)).body as string;
      expect(JSON.stringify(rows) + csv).not.toContain("13812345678");
    });

    test("CSV is the same table: BOM, header labels, quoting", async () => {
      const res = await s.staff.admin.get(`/api/console/dashboard/response/csv?${range()}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toContain(`response_${s.from}_${s.today}.csv`);
      // fetch's text() drops a BOM: read the bytes.
      const raw = await fetch(`${t.base}/api/console/dashboard/response/csv?${range()}`, { headers: { cookie: `ld_session=${s.staff.admin.cookie("ld_session")}` } });
      const bytes = new Uint8Array(await raw.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
      expect(text.charCodeAt(0)).toBe(0xfeff);
      expect(text.slice(1)).toBe(res.body);
      const lines = text.slice(1).trimEnd().split("\r\n");
      expect(lines[0]).toBe("日期,新工单,已首次回复,首次响应中位数(分钟),首次响应P90(分钟),可评判期限,按期回复,按期率%");
      expect(lines).toHaveLength(1 + 70 + 1);
      expect(lines.at(-1)).toBe("合计,5,5,60,936,5,4,80");

      const summaryCsv = (await s.staff.admin.get(`/api/console/dashboard/summary/csv?${range()}`)).body as string;
      expect(summaryCsv).toContain("\r\n咨询问题,67,条,questions\r\n");
      expect(summaryCsv).toContain("\r\n平均评分,3.67,分,ratingMean\r\n");

      const wordings = (await s.staff.admin.get(`/api/console/dashboard/wordings/csv?${range()}`)).body as string;
      expect(wordings).toContain(`\r\n房屋租赁与邻里,housing,3,我家的狗咬了邻居的鸡，邻居要我赔一万块钱,2,${s.referralDay}\r\n`);
    });

    test("group needs per WeChat group and topic", async () => {
      // The group question log of issue 6 (written by the Wechaty channel; here directly).
      const insert = (...values: unknown[]) =>
        t.app.sql.run("INSERT INTO group_questions (channel, group_key, group_name, region, topic, sensitive, platform_message_id, asked_at) VALUES ('wechaty', ?, ?, ?, ?, ?, ?, ?)", values);
      const at = new Date(Date.now() - 86_400_000).toISOString();
      await insert(GROUP, "东镇法律服务群", "qinghe.dongzhen", "labour", false, "gq-1", at);
      await insert(GROUP, "东镇法律服务群", "qinghe.dongzhen", "labour", true, "gq-2", at);
      await insert("g-xihe", '西河"村民"群, 二组', "qinghe.xihe.hexicun", "land", false, "gq-3", at);
      const all = await table(s.staff.admin, "groups");
      expect(all.rows.map((r) => [r.groupName, r.label, r.count, r.sensitive])).toEqual([
        ["东镇法律服务群", "劳动争议", 2, 1],
        ['西河"村民"群, 二组', "农村土地", 1, 0],
      ]);
      const xihe = await table(s.staff.sun, "groups");
      expect(xihe.rows.map((r) => r.groupKey)).toEqual(["g-xihe"]);
      const csv = (await s.staff.admin.get(`/api/console/dashboard/groups/csv?${range()}`)).body as string;
      expect(csv).toContain("东镇法律服务群,东镇,劳动争议,2,1,labour,g-dongzhen");
      // Quotes doubled, the cell quoted because of its comma.
      expect(csv).toContain('\r\n"西河""村民""群, 二组",河西村,农村土地,1,0,land,g-xihe\r\n');
    });

    test("per-lawyer numbers: supervisors and admins only", async () => {
      for (const path of ["lawyers", "lawyers/csv"]) {
        const res = await s.staff.zhao.get(`/api/console/dashboard/${path}?${range()}`);
        expect(res.status).toBe(403);
      }
      const all = await s.staff.zhao.get(`/api/console/dashboard?${range()}`);
      expect(all.status).toBe(200);
      expect(Object.keys(all.body.tables)).not.toContain("lawyers");

      const { rows } = await table(s.staff.admin, "lawyers");
      const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
      expect(byName["赵律师"]).toMatchObject({ handled: 3, closed: 2, medianMinutes: 30, ratings: 2, ratingMean: 4.5 });
      expect(byName["钱律师"]).toMatchObject({ handled: 2, closed: 1, medianMinutes: 780, ratings: 1, ratingMean: 2 });
      // The Xihe supervisor sees the Xihe referral only.
      const sun = await table(s.staff.sun, "lawyers");
      expect(sun.rows.find((r) => r.name === "钱律师")).toMatchObject({ handled: 1, medianMinutes: 60, ratings: 0 });
      expect(sun.rows.find((r) => r.name === "赵律师")?.handled ?? 0).toBe(0);
    });

    test("needs a session; serves ECharts locally", async () => {
      const anon = await fetch(`${t.base}/api/console/dashboard?${range()}`);
      expect(anon.status).toBe(401);
      const js = await fetch(`${t.base}/console/vendor/echarts.esm.min.mjs`);
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toContain("javascript");
      expect((await js.text()).length).toBeGreaterThan(500_000);
    });

    test("group filter choices: known groups and groups questions came from", async () => {
      // The group of the seeded question is not in channel_groups: it comes from the inbound messages.
      const admin = await s.staff.admin.get("/api/console/dashboard/meta");
      expect(admin.body.groups).toEqual([{ id: GROUP, name: GROUP, region: "qinghe.dongzhen" }]);
      const sun = await s.staff.sun.get("/api/console/dashboard/meta");
      expect(sun.body.groups).toEqual([]);
    });

    test("/metrics counts messages, escalations and referrals from the store", async () => {
      // Two scrapes at once: the async collectors must not add their rows up twice.
      const [text, again] = await Promise.all([fetch(`${t.base}/metrics`).then((r) => r.text()), fetch(`${t.base}/metrics`).then((r) => r.text())]);
      const series = (body: string, name: string) => {
        const out: Record<string, number> = {};
        for (const line of body.split("\n")) {
          const m = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line);
          if (m) out[m[1]] = Number(m[2]);
        }
        return out;
      };
      const referrals = series(text, "lawdesk_referrals");
      // Three closed after their reply; the emergency and the telegram "转人工" replied, still open.
      expect(referrals).toEqual({ 'status="closed"': 3, 'status="replied"': 2 });
      expect(series(again, "lawdesk_referrals")).toEqual(referrals);
      const escalations = series(text, "lawdesk_escalations_total");
      expect(Object.values(escalations).reduce((a, b) => a + b, 0)).toBe(5);
      expect(escalations['reason="emergency",urgency="emergency"']).toBe(1);
      expect(escalations['reason="asked_human",urgency="normal"']).toBe(1);
      const messages = series(text, "lawdesk_messages_total");
      const perChannel = (channel: string) => Object.entries(messages).filter(([k]) => k.startsWith(`channel="${channel}"`)).reduce((n, [, v]) => n + v, 0);
      // 8 + 5 wages, 45 divorce, 2 greetings and 4 escalated on the web; 3 wechat_oa; 1 group; 1 telegram.
      expect(Object.values(messages).reduce((a, b) => a + b, 0)).toBe(69);
      expect([perChannel("web"), perChannel("wechat_oa"), perChannel("wechaty"), perChannel("telegram")]).toEqual([64, 3, 1, 1]);
      expect(messages['channel="telegram",intent="ask_human"']).toBe(1);
      expect(series(again, "lawdesk_messages_total")).toEqual(messages);
    });

    test("the whole dashboard, for comparison across stores", async () => {
      const all = async (c: Client, extra = "") => {
        const res = await c.get(`/api/console/dashboard?${range()}${extra}`);
        expect(res.status).toBe(200);
        const tables = res.body.tables as Record<string, { rows: Row[] }>;
        // Account ids are random per run; names identify the lawyers.
        for (const r of tables.lawyers?.rows ?? []) delete r.userId;
        return tables;
      };
      const admin = await all(s.staff.admin);
      expect(Object.keys(admin)).toHaveLength(11);
      const dongzhenWeb = await all(s.staff.admin, "&region=qinghe.dongzhen&channel=web");
      dumps.set(backend, { admin, supervisor: await all(s.staff.sun), dongzhenWeb });
    });
  });
}

describe.skipIf(BACKENDS.some(([b]) => skipped(b)))(title("dashboard API: both stores", "postgres"), () => {
  test("SQLite and PostgreSQL draw the same dashboard", () => {
    expect(dumps.get("sqlite")).toBeDefined();
    expect(dumps.get("postgres")).toEqual(dumps.get("sqlite"));
  });
});
