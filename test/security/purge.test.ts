// Personal data is purged on schedule: with a controlled clock, threads quiet for longer than
// LAWDESK_RETENTION_DAYS whose referrals are closed lose the residents' (and lawyers') words
// everywhere they were stored, recent and still-open cases keep theirs, the audit log is kept
// (and only appended to), a second run changes nothing, and the job repeats on its interval.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { createApp, type App } from "../../src/app.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { PURGED_TEXT, PurgeJob } from "../../src/privacy-purge.ts";
import type { SqliteDb } from "../../src/store/sqlite.ts";
import { buildServer, type LawdeskServer } from "../../src/server/server.ts";
import { ADMIN_PASSWORD, Client, LABOUR_LAW, waitFor } from "../server/helpers.ts";

const DAY = 24 * 3600 * 1000;
const RETENTION_DAYS = 180;
/** Phone numbers that identify each resident's data wherever it is stored. */
const PHONE_OLD_CLOSED = "13912345678";
const PHONE_OLD_ANSWERED = "13711112222";
const PHONE_OLD_OPEN = "13633334444";
const PHONE_RECENT = "13800001111";
const PHONE_IN_LAWYER_REPLY = "13555556666";

let offset = 0;
const clock = () => new Date(Date.now() + offset);
let dir: string;
let app: App;
/** This suite runs the whole app on SQLite; test/security/purge.backends.test.ts covers PostgreSQL. */
let db: SqliteDb;
let server: LawdeskServer;
let base: string;
let admin: Client;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lawdesk-purge-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_RETENTION_DAYS: String(RETENTION_DAYS), LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv, dir);
  app = await createApp(config, { log: createLogger("silent"), now: clock });
  if (!app.db) throw new Error("expected the embedded SQLite store (DATABASE_URL unset)");
  db = app.db;
  await app.auth.ensureAdmin({ password: ADMIN_PASSWORD });
  server = await buildServer(app, { cookieSecret: "purge-secret-0123456789-abcdefghijklmnop" });
  base = await server.listen({ port: 0, host: "127.0.0.1" });
  admin = new Client(base);
  expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function ask(resident: Client, id: string, text: string) {
  const res = await resident.post("/api/chat/messages", { id, text });
  expect(res.status).toBe(200);
  return res.body;
}

async function referralFor(summary: string): Promise<string> {
  const row = await waitFor(async () => (await admin.get("/api/console/queue?view=unclaimed")).body.rows.find((r: { summary: string }) => r.summary.includes(summary)), 10_000, summary);
  return row.id;
}

/** Where a string occurs in the tables that hold conversation and referral data. */
function occurrences(needle: string): string[] {
  const where: [string, string][] = [
    ["inbound_messages", "text || coalesce(result, '')"],
    ["thread_messages", "text"],
    ["outbox", "text"],
    ["escalations", "summary"],
    ["threads", "context"],
    ["referrals", "summary || coalesce(outcome, '')"],
    ["referral_events", "coalesce(text, '')"],
  ];
  return where.filter(([table, expr]) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE instr(${expr}, ?) > 0`).get(needle) as { n: number }).n > 0).map(([t]) => t);
}

const auditRows = () => db.prepare("SELECT * FROM audit_log ORDER BY id").all() as { id: number; action: string; detail: string }[];

describe("personal data purge after the retention period", () => {
  test("blanks closed old cases everywhere, keeps open and recent ones and the audit log", async () => {
    // Day 0: a case that a lawyer answers and closes (the reply itself holds a phone number) …
    const closed = new Client(base);
    await ask(closed, "old-closed-1", `转人工 我电话${PHONE_OLD_CLOSED}，老板欠薪`);
    const closedId = await referralFor(PHONE_OLD_CLOSED.slice(0, 3));
    expect((await admin.post(`/api/console/referrals/${closedId}/claim`)).status).toBe(200);
    expect((await admin.post(`/api/console/referrals/${closedId}/reply`, { text: `请联系张律师${PHONE_IN_LAWYER_REPLY}` })).status).toBe(200);
    expect((await admin.post(`/api/console/referrals/${closedId}/close`, { outcome: "已解答" })).status).toBe(200);
    // … a question the bot answered, and a case still open.
    const answered = new Client(base);
    await ask(answered, "old-answered-1", `老板欠我三个月工资不给咋办，我电话${PHONE_OLD_ANSWERED}`);
    const open = new Client(base);
    await ask(open, "old-open-1", `转人工 宅基地纠纷 电话${PHONE_OLD_OPEN}`);
    await referralFor("宅基地纠纷");
    for (const p of [PHONE_OLD_CLOSED, PHONE_OLD_ANSWERED, PHONE_OLD_OPEN, PHONE_IN_LAWYER_REPLY]) expect(occurrences(p).length, p).toBeGreaterThan(0);

    // Day 170: a recent question.
    offset = 170 * DAY;
    const recent = new Client(base);
    await ask(recent, "recent-1", `没签劳动合同能要双倍工资吗 我电话${PHONE_RECENT}`);
    expect(db.prepare("SELECT COUNT(*) AS n FROM referrals").get()).toEqual({ n: 2 }); // answered, not referred

    // Day 181: the old cases are past retention.
    offset = (RETENTION_DAYS + 1) * DAY;
    const auditBefore = auditRows();
    const job = new PurgeJob({ sql: app.sql, referrals: app.referrals, retentionDays: RETENTION_DAYS, now: clock });
    const result = await job.run();
    expect(result).toMatchObject({ threads: 2, referrals: 1 });

    expect(occurrences(PHONE_OLD_CLOSED)).toEqual([]);
    expect(occurrences(PHONE_IN_LAWYER_REPLY)).toEqual([]);
    expect(occurrences(PHONE_OLD_ANSWERED)).toEqual([]);
    expect(occurrences(PHONE_OLD_OPEN).length).toBeGreaterThan(0); // referral still open
    expect(occurrences(PHONE_RECENT).length).toBeGreaterThan(0); // within retention

    // The resident's page shows the blanks; the referral keeps its number, status and times.
    const page = (await closed.get("/api/chat/history")).body.messages as { text: string }[];
    expect(page.length).toBeGreaterThan(0);
    expect(page.every((m) => m.text === PURGED_TEXT)).toBe(true);
    const r = db.prepare("SELECT number, status, closed_at, redacted_at, summary FROM referrals WHERE id = ?").get(closedId) as Record<string, string>;
    expect(r).toMatchObject({ status: "closed", summary: PURGED_TEXT });
    expect(r.number).toMatch(/^\d{4}-\d+$/);
    expect(r.redacted_at).toBeTruthy();

    // Audit log: every earlier row unchanged, the purge appended, nothing personal in it.
    const auditAfter = auditRows();
    expect(auditAfter.slice(0, auditBefore.length)).toEqual(auditBefore);
    expect(auditAfter.slice(auditBefore.length).map((a) => a.action).sort()).toEqual(["privacy.purge", "referral.redact"]);
    expect(JSON.stringify(auditAfter)).not.toContain(PHONE_OLD_CLOSED);
    expect(() => db.prepare("DELETE FROM audit_log").run()).toThrow(/append-only/);

    // A retry of the purged message is still a duplicate: purging never re-opens a question.
    const retry = await closed.post("/api/chat/messages", { id: "old-closed-1", text: "转人工" });
    expect(retry.body.duplicate).toBe(true);

    // Idempotent: a second run finds nothing and writes nothing.
    expect(await job.run()).toMatchObject({ threads: 0, referrals: 0 });
    expect(auditRows().length).toBe(auditAfter.length);

    // Once the open case is closed and retention passes again, it goes too.
    const openId = (db.prepare("SELECT id FROM referrals WHERE instr(summary, '宅基地') > 0").get() as { id: string }).id;
    expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200); // the day-0 session expired long ago
    expect((await admin.post(`/api/console/referrals/${openId}/close`, { outcome: "已处理" })).status).toBe(200);
    offset = (2 * RETENTION_DAYS + 2) * DAY;
    expect(await job.run()).toMatchObject({ threads: 2, referrals: 1 });
    expect(occurrences(PHONE_OLD_OPEN)).toEqual([]);
    expect(occurrences(PHONE_RECENT)).toEqual([]);
  });

  // The interval is driven by fake timers (only setInterval/clearInterval are faked: the store
  // and the rest of the app keep real time), so the counts are exact on any machine.
  test("the job runs at start and again on its interval until stopped", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      let runs = 0;
      const job = new PurgeJob({ sql: app.sql, referrals: { redactClosedBefore: async () => (runs++, 0) }, retentionDays: RETENTION_DAYS, now: clock });
      await job.start(40);
      expect(runs).toBe(1); // at start-up, before serving
      await vi.advanceTimersByTimeAsync(39);
      expect(runs).toBe(1);
      await vi.advanceTimersByTimeAsync(81);
      expect(runs).toBe(4); // at 40, 80 and 120 ms
      job.stop();
      await vi.advanceTimersByTimeAsync(400);
      expect(runs).toBe(4);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a failing run is logged and retried next time, never crashing the server", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const lines: string[] = [];
      const log = createLogger("error", { write: (s: string) => void lines.push(s) } as never);
      let calls = 0;
      const job = new PurgeJob({ sql: app.sql, referrals: { redactClosedBefore: async () => { calls++; throw new Error("disk full"); } }, retentionDays: 1, now: clock, log });
      expect(await job.start(30)).toBeNull();
      await vi.advanceTimersByTimeAsync(30);
      job.stop();
      expect(calls).toBe(2);
      expect(lines.join("").match(/personal data purge failed/g)).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  test("LAWDESK_RETENTION_DAYS defaults to 180 and must be a positive whole number", () => {
    expect(loadConfig({} as NodeJS.ProcessEnv, dir).LAWDESK_RETENTION_DAYS).toBe(180);
    expect(loadConfig({ LAWDESK_RETENTION_DAYS: "30" } as NodeJS.ProcessEnv, dir).LAWDESK_RETENTION_DAYS).toBe(30);
    for (const bad of ["0", "-1", "1.5", "abc"]) expect(() => loadConfig({ LAWDESK_RETENTION_DAYS: bad } as NodeJS.ProcessEnv, dir), bad).toThrow(ConfigError);
  });
});
