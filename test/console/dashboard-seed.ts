// Known events for the dashboard tests (API and browser): questions on several channels,
// regions, a WeChat group and days (a wage-arrears surge over a flat marriage series),
// escalations for every reason, and referrals answered, closed and rated at chosen times on
// a frozen clock. `expected` holds the numbers worked out by hand from this script.
// The same script runs on either store: SQLite in a temp directory, or PostgreSQL in a fresh
// schema (DATABASE_URL + DATABASE_SCHEMA, dropped on close).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createApp, type App } from "../../src/app.ts";
import { PermanentDeliveryError } from "../../src/channels/dispatcher.ts";
import { loadConfig } from "../../src/config.ts";
import { addDays, dayStart, shanghaiDay } from "../../src/console/dashboard/filters.ts";
import { createLogger } from "../../src/log.ts";
import type { ChannelName } from "../../src/channel-message.ts";
import { buildServer, type LawdeskServer } from "../../src/server/server.ts";
import { dropSchema, randomTestSchema } from "../../src/store/pg/pool.ts";
import { sqlValue } from "../../src/store/sql.ts";
import { PG_URL, type BackendName } from "../store/backends.ts";
import { ADMIN_PASSWORD, Client, createStaff, LABOUR_LAW, waitFor } from "../server/helpers.ts";

export interface DashboardServer {
  app: App;
  server: LawdeskServer;
  base: string;
  /** Freeze the app's clock at an instant, or null for real time. */
  setClock(at: Date | null): void;
  close(): Promise<void>;
}

/** Like test/server/helpers.ts startTestServer, with a clock the test controls, on either store. */
export async function startDashboardServer(backend: BackendName = "sqlite"): Promise<DashboardServer> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-dash-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  const schema = backend === "postgres" ? randomTestSchema() : null;
  const env: Record<string, string> = { LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_TRAINING: "off", LAWDESK_ADMIN_PASSWORD: ADMIN_PASSWORD };
  if (schema) Object.assign(env, { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, DATABASE_POOL_MAX: "5" });
  const config = loadConfig(env as NodeJS.ProcessEnv, dir);
  let frozen: Date | null = null;
  const sink = new Writable({ write: (_c, _e, done) => done() });
  const app = await createApp(config, { log: createLogger("warn", sink), now: () => frozen ?? new Date() });
  await app.auth.ensureAdmin({ password: ADMIN_PASSWORD });
  const server = await buildServer(app, { cookieSecret: "test-secret-0123456789-abcdefghijklmnop" });
  const base = await server.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    server,
    base,
    setClock: (at) => (frozen = at),
    async close() {
      await server.close();
      await app.close();
      if (schema) await dropSchema(PG_URL, schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const TEXT = {
  wages: "老板欠我三个月工资不给咋办",
  groupWages: "包工头拖欠农民工工资怎么办",
  divorce: "离婚孩子归谁",
  dog: "我家的狗咬了邻居的鸡，邻居要我赔一万块钱",
  dogVariant: "我家的狗咬了邻居的鸡，邻居要我赔一万块钱！",
  phone: "我的电话是13812345678，邻居家的树挡住了我家的光线怎么办",
  emergency: "他拿刀说要杀了我",
  human: "转人工",
  hello: "你好",
};

export const GROUP = "g-dongzhen";

export interface Seeded {
  today: string;
  from: string;
  /** The day the referrals were created (3 days ago). */
  referralDay: string;
  undeliveredDay: string;
  staff: { zhao: Client; qian: Client; sun: Client; admin: Client };
  passwords: Record<string, string>;
}

const MIN = 60_000;

export async function seed(t: DashboardServer): Promise<Seeded> {
  const count = async (sql: string) => sqlValue.num((await t.app.sql.get<{ n: unknown }>(sql))?.n);
  const realNow = new Date();
  const today = shanghaiDay(realNow);
  // The referral story runs three days ago, on a frozen clock, minute-exact.
  const t0 = new Date(Math.floor((realNow.getTime() - 3 * 86_400_000) / MIN) * MIN);
  t.setClock(t0);

  // A telegram that refuses lawyers' replies for good: one undelivered reply.
  t.app.dispatcher.register({
    channel: "telegram",
    send: async (row) => {
      if (row.kind === "lawyer_reply") throw new PermanentDeliveryError("bot was blocked by the user");
    },
  });

  const admin = new Client(t.base);
  await admin.login("admin", ADMIN_PASSWORD);
  const zhao = await createStaff(t as never, admin, { username: "zhao", name: "赵律师", role: "lawyer", regions: ["qinghe"], onDuty: false });
  const qian = await createStaff(t as never, admin, { username: "qian", name: "钱律师", role: "lawyer", regions: ["qinghe"], onDuty: false });
  const sun = await createStaff(t as never, admin, { username: "sun", name: "孙督导", role: "supervisor", regions: ["qinghe.xihe"], onDuty: false });

  let n = 0;
  const ask = async (text: string, o: { channel?: ChannelName; region: string; daysAgo?: number; at?: Date; group?: string }) => {
    n++;
    // 03:00 Shanghai on the chosen day, unless a time is given.
    const at = o.at ?? new Date(dayStart(addDays(today, -(o.daysAgo ?? 0))).getTime() + 3 * 3_600_000);
    await t.app.core.receive({ channel: o.channel ?? "web", threadKey: `th-${n}`, senderKey: `s-${n}`, groupKey: o.group ?? null, text, platformMessageId: `m-${n}`, receivedAt: at, region: o.region });
  };

  // Wage arrears: one a week for the 8 weeks before, then 8 (+1 in the group) this week.
  for (let w = 1; w <= 8; w++) await ask(TEXT.wages, { region: "qinghe.dongzhen", daysAgo: 7 * w + 3 });
  for (let k = 0; k < 5; k++) await ask(TEXT.wages, { region: "qinghe.dongzhen.lijiacun", daysAgo: k });
  for (let k = 5; k < 8; k++) await ask(TEXT.wages, { channel: "wechat_oa", region: "qinghe.xihe.hexicun", daysAgo: Math.min(k, 6) });
  await ask(TEXT.groupWages, { channel: "wechaty", region: "qinghe.dongzhen", group: GROUP, daysAgo: 1 });
  // Divorce: a flat five a week for nine weeks.
  for (let w = 0; w <= 8; w++) for (let j = 0; j < 5; j++) await ask(TEXT.divorce, { region: "qinghe.nanling", daysAgo: 7 * w + j });
  // Not questions.
  await ask(TEXT.hello, { region: "qinghe.dongzhen" });
  await ask(TEXT.hello, { region: "qinghe.xihe" });
  // Five escalations at t0, each becoming a referral.
  await ask(TEXT.dog, { region: "qinghe.dongzhen.lijiacun", at: t0 });
  await ask(TEXT.dogVariant, { region: "qinghe.dongzhen.lijiacun", at: t0 });
  await ask(TEXT.phone, { region: "qinghe.dongzhen", at: t0 });
  await ask(TEXT.emergency, { region: "qinghe.dongzhen", at: t0 });
  await ask(TEXT.human, { channel: "telegram", region: "qinghe.xihe", at: t0 });
  await waitFor(async () => (await count("SELECT COUNT(*) AS n FROM referrals")) === 5, 5000, "five referrals");

  const idOf = async (text: string) => {
    const row = await t.app.sql.get<{ id: string }>(
      "SELECT r.id FROM referrals r JOIN escalations e ON CAST(e.id AS TEXT) = r.escalation_id JOIN inbound_messages i ON i.id = e.inbound_id WHERE i.text = ?",
      [text],
    );
    return row!.id;
  };
  const ids = { dog: await idOf(TEXT.dog), dogVariant: await idOf(TEXT.dogVariant), phone: await idOf(TEXT.phone), emergency: await idOf(TEXT.emergency), human: await idOf(TEXT.human) };
  const at = (minutes: number) => t.setClock(new Date(t0.getTime() + minutes * MIN));
  const answer = async (id: string, userId: string, minutes: number) => {
    at(minutes);
    await t.app.referrals.claim(id, userId);
    await t.app.referrals.reply(id, userId, "您好，我是值班律师，已了解您的情况，建议先协商。");
  };
  // First responses after 10, 30, 60, 90 and 1500 minutes; only the last misses its 24 h deadline.
  await answer(ids.emergency, zhao.id, 10);
  await answer(ids.dog, zhao.id, 30);
  await answer(ids.human, qian.id, 60);
  await answer(ids.dogVariant, zhao.id, 90);
  await answer(ids.phone, qian.id, 1500);
  at(1505);
  await t.app.referrals.close(ids.dog, zhao.id, "已解答");
  await t.app.referrals.close(ids.dogVariant, zhao.id, "已解答");
  await t.app.referrals.close(ids.phone, qian.id, "已解答");
  await t.app.referrals.rate(ids.dog, 5);
  await t.app.referrals.rate(ids.dogVariant, 4);
  await t.app.referrals.rate(ids.phone, 2, "回复太慢");
  await waitFor(async () => (await count("SELECT COUNT(*) AS n FROM outbox WHERE status = 'undelivered'")) === 1, 5000, "undelivered reply");

  // Back to real time: sign everyone in afresh (the frozen-clock sessions have gone idle).
  t.setClock(null);
  const fresh = async (username: string, password: string) => {
    const c = new Client(t.base);
    const res = await c.login(username, password);
    if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
    return c;
  };
  return {
    today,
    from: addDays(today, -69),
    referralDay: shanghaiDay(t0),
    undeliveredDay: shanghaiDay(new Date(t0.getTime() + 60 * MIN)),
    staff: { zhao: await fresh("zhao", zhao.password), qian: await fresh("qian", qian.password), sun: await fresh("sun", sun.password), admin: await fresh("admin", ADMIN_PASSWORD) },
    passwords: { zhao: zhao.password, qian: qian.password, sun: sun.password, admin: ADMIN_PASSWORD },
  };
}
