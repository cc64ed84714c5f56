// The bureau's administration API over real HTTP on loopback: the rota editor changes the
// routing of the next referral; uploads are validated (line numbers, type, size, encoding)
// and nothing is stored when invalid; a good guide is searchable at once here and, through
// the watcher, in a second app over the same data directory; a law marked repealed is no
// longer quoted and the guides citing it are listed; lawyers are refused.

import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApp, type App } from "../../src/app.ts";
import { chinaToday } from "../../src/china-time.ts";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { createLogger } from "../../src/log.ts";
import { SqlReferralStore } from "../../src/store/referral-store.ts";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer, WAGE_QUESTION, waitFor } from "../server/helpers.ts";
import { BAD_GUIDE, BAD_LAW_JSONL, GOOD_GUIDE, GUIDE_ID, GUIDE_QUESTION, LAW_JSONL } from "./admin-fixtures.ts";

let t: TestServer;
let admin: Client;
let supervisor: { client: Client; id: string };
let lawyerA: { client: Client; id: string };
let lawyerB: { client: Client; id: string };
/** A second process's view: another app over the same data directory, watching for changes. */
let other: App;
let stopWatch: () => void;

const ALL_WEEK = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));

/** The raw file, as the page sends it (the helper client only speaks JSON). */
async function upload(c: Client, filename: string, content: string | Buffer) {
  const headers: Record<string, string> = { "content-type": "application/octet-stream", cookie: `ld_session=${c.cookie("ld_session")}` };
  if (c.csrf) headers["x-csrf-token"] = c.csrf;
  const res = await fetch(`${t.base}/api/console/admin/knowledge/upload?filename=${encodeURIComponent(filename)}`, { method: "POST", headers, body: content });
  return { status: res.status, body: (await res.json()) as any };
}

async function ask(c: Client, question: string) {
  const res = await c.post("/api/console/admin/test", { question, channel: "web" });
  expect(res.status).toBe(200);
  return res.body;
}

async function escalate(): Promise<void> {
  const resident = new Client(t.base);
  await resident.get("/api/chat/history");
  const res = await resident.post("/api/chat/messages", { id: `esc-${Math.random().toString(36).slice(2, 12)}`, text: "转人工" });
  expect(res.status).toBeLessThan(300);
}

const mine = async (c: Client) => (await c.get("/api/console/queue?view=mine")).body.rows as { id: string }[];

beforeAll(async () => {
  t = await startTestServer({ logLevel: "warn" });
  admin = new Client(t.base);
  expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
  supervisor = await createStaff(t, admin, { username: "zhao", name: "赵督导", role: "supervisor", regions: ["qinghe"], onDuty: false });
  lawyerA = await createStaff(t, admin, { username: "lia", name: "李律师", role: "lawyer", regions: ["qinghe"] });
  lawyerB = await createStaff(t, admin, { username: "wangb", name: "王律师", role: "lawyer", regions: ["qinghe"], onDuty: false });
  other = await createApp(t.app.config, { log: createLogger("warn") });
  stopWatch = other.knowledge.watchForChanges(200);
});

afterAll(async () => {
  stopWatch?.();
  await other?.close();
  await t?.close();
});

describe("duty rota editor", () => {
  test("a supervisor's edit routes the next referral by it, and the change is audited", async () => {
    await escalate();
    await waitFor(async () => (await mine(lawyerA.client)).length === 1, 5000, "first referral to 李律师");
    expect(await mine(lawyerB.client)).toHaveLength(0);

    const before = await supervisor.client.get("/api/console/admin/rota");
    expect(before.status).toBe(200);
    expect(before.body.onDuty.map((u: { name: string }) => u.name)).toEqual(["李律师"]);
    expect(before.body.regions.some((r: { id: string }) => r.id === "qinghe")).toBe(true);
    expect(before.body.topics.some((x: { id: string }) => x.id === "labour")).toBe(true);
    const entryA = before.body.entries.find((e: { userId: string }) => e.userId === lawyerA.id);
    expect(entryA.onDutyNow).toBe(true);

    // 李律师 takes today off; 王律师 goes on duty all week.
    const off = await supervisor.client.post(`/api/console/admin/rota/${entryA.id}`, { datesOff: [chinaToday()] });
    expect(off.status).toBe(200);
    const added = await supervisor.client.post("/api/console/admin/rota", { userId: lawyerB.id, regions: ["qinghe"], topics: [], schedule: ALL_WEEK, note: "替班" });
    expect(added.status).toBe(200);

    const after = await supervisor.client.get("/api/console/admin/rota");
    expect(after.body.onDuty.map((u: { name: string }) => u.name)).toEqual(["王律师"]);

    await escalate();
    await waitFor(async () => (await mine(lawyerB.client)).length === 1, 5000, "second referral to 王律师");
    expect(await mine(lawyerA.client)).toHaveLength(1);

    const auditLog = await new SqlReferralStore(t.app.db!).listAudit({ targetType: "rota" });
    expect(auditLog.filter((a) => a.actorId === supervisor.id).map((a) => a.action).sort()).toEqual(["rota.create", "rota.update"]);

    // A bad slot is refused in words, and deactivating keeps the record.
    const bad = await supervisor.client.post(`/api/console/admin/rota/${entryA.id}`, { schedule: [{ day: 9, start: "08:00", end: "17:00" }] });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain("星期");
  });
});

describe("access", () => {
  test("lawyers get 403 on every admin endpoint; supervisors only on knowledge and channel administration", async () => {
    const lawyer = lawyerA.client;
    for (const [method, path] of [
      ["GET", "/api/console/admin/rota"],
      ["POST", "/api/console/admin/rota"],
      ["POST", "/api/console/admin/test"],
      ["GET", "/api/console/admin/knowledge/laws"],
      ["GET", "/api/console/admin/knowledge/stale-guides"],
      ["POST", "/api/console/admin/knowledge/guides/preview"],
      ["POST", "/api/console/admin/knowledge/laws/status"],
      ["GET", "/api/console/admin/channels/wechaty/qr.svg"],
      ["POST", "/api/console/admin/channels/telegram/link"],
    ] as const) {
      const res = method === "GET" ? await lawyer.get(path) : await lawyer.post(path, { question: "x" });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    expect((await upload(lawyer, "a.md", GOOD_GUIDE)).status).toBe(403);
    expect((await upload(supervisor.client, "a.md", GOOD_GUIDE)).status).toBe(403);
    expect((await supervisor.client.get("/api/console/admin/knowledge/laws")).status).toBe(403);
    expect((await supervisor.client.post("/api/console/admin/test", { question: "老板欠我工资" })).status).toBe(200);
    // Without a session nothing at all.
    expect((await new Client(t.base).get("/api/console/admin/rota")).status).toBe(401);
    // The channels page answers a lawyer with their own Telegram state only.
    const channels = await lawyer.get("/api/console/admin/channels");
    expect(channels.status).toBe(200);
    expect(channels.body.wechaty).toBeUndefined();
    expect(channels.body.telegram).toEqual({ enabled: false, mine: null });
  });
});

describe("knowledge uploads", () => {
  const uploaded = () => (existsSync(join(t.app.config.dataDir, "uploads")) ? readdirSync(join(t.app.config.dataDir, "uploads"), { recursive: true }).map(String) : []);

  test("type, size and encoding limits", async () => {
    const txt = await upload(admin, "notes.txt", "hello");
    expect(txt.status).toBe(400);
    expect(txt.body.code).toBe("bad_type");
    const big = await upload(admin, "big.md", Buffer.alloc(5 * 1024 * 1024 + 1, "a"));
    expect(big.status).toBe(413);
    expect(big.body.error).toContain("5 MB");
    const latin1 = await upload(admin, "gbk.md", Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0xc4, 0xe3, 0xba, 0xc3, 0xff]));
    expect(latin1.status).toBe(400);
    expect(latin1.body.code).toBe("bad_encoding");
    expect(uploaded()).toEqual([]);
  });

  test("a bad guide is refused with its line number and nothing is ingested", async () => {
    const version = await t.app.knowledge.store.version();
    const guides = t.app.knowledge.guideCount;
    const res = await upload(admin, "broken.md", BAD_GUIDE);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("invalid_file");
    expect(res.body.problems).toEqual([{ line: 5, message: expect.stringContaining("questions") }]);
    expect(await t.app.knowledge.store.version()).toBe(version);
    expect(t.app.knowledge.guideCount).toBe(guides);
    expect(uploaded()).toEqual([]);

    // A JSONL law with one broken line is refused whole, with that line.
    const law = await upload(admin, "坏条例.jsonl", BAD_LAW_JSONL);
    expect(law.status).toBe(400);
    expect(law.body.problems[0].line).toBe(2);
    // An unknown topic is this county's own check, also with its line.
    const topic = await upload(admin, "t.md", GOOD_GUIDE.replace("topics: [contract]", "topics: [pigs]"));
    expect(topic.status).toBe(400);
    expect(topic.body.problems[0]).toEqual({ line: 4, message: expect.stringContaining("pigs") });
    expect(uploaded()).toEqual([]);
  });

  test("a good guide answers at once here, and in the other process through the watcher", async () => {
    const before = await ask(admin, GUIDE_QUESTION);
    expect(before.assessment.guides[0]?.id).not.toBe(GUIDE_ID);
    expect(other.knowledge.searchGuides(GUIDE_QUESTION, 1)[0]?.guide.id).not.toBe(GUIDE_ID);

    const res = await upload(admin, "买猪崽.md", GOOD_GUIDE);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, kind: "guide", guide: { id: GUIDE_ID }, changed: true });
    // Kept under the data directory as the ingested source.
    expect(readFileSync(join(t.app.config.dataDir, "uploads", "guides", `${GUIDE_ID}.md`), "utf8")).toBe(GOOD_GUIDE);

    const after = await ask(admin, GUIDE_QUESTION);
    expect(after.assessment.guides[0].id).toBe(GUIDE_ID);
    expect(after.reply.guideId).toBe(GUIDE_ID);
    expect(after.reply.escalated).toBe(false);
    expect(after.reply.text).toContain("定金");

    // The resident's web chat answers from it too.
    const resident = new Client(t.base);
    await resident.get("/api/chat/history");
    const chat = await resident.post("/api/chat/messages", { id: "guide-q-1", text: GUIDE_QUESTION });
    expect(JSON.stringify(chat.body)).toContain("双倍返还定金");

    await waitFor(async () => other.knowledge.searchGuides(GUIDE_QUESTION, 1)[0]?.guide.id === GUIDE_ID, 5000, "the other process to pick the guide up");

    const audits = await new SqlReferralStore(t.app.db!).listAudit({ action: "knowledge.upload" });
    expect(audits.map((a) => a.targetId)).toContain(GUIDE_ID);
  });

  test("editing a guide: preview answers from the draft without saving, save replaces it", async () => {
    const md = (await admin.get(`/api/console/admin/knowledge/guides/${GUIDE_ID}/markdown`)).body.markdown as string;
    expect(md).toBe(GOOD_GUIDE);
    const draft = md.replace("可以要求对方双倍返还定金", "可以要求对方双倍返还定金（草稿修改）");
    const version = await t.app.knowledge.store.version();
    const preview = await admin.post("/api/console/admin/knowledge/guides/preview", { markdown: draft, question: GUIDE_QUESTION, channel: "wechat_oa" });
    expect(preview.status).toBe(200);
    expect(preview.body.answeredFromDraft).toBe(true);
    expect(preview.body.reply.fullText).toContain("草稿修改");
    expect(await t.app.knowledge.store.version()).toBe(version);
    expect((await ask(admin, GUIDE_QUESTION)).reply.fullText).not.toContain("草稿修改");

    const broken = await admin.post("/api/console/admin/knowledge/guides/preview", { markdown: BAD_GUIDE, question: GUIDE_QUESTION });
    expect(broken.status).toBe(400);
    expect(broken.body.problems[0].line).toBe(5);

    const saved = await admin.post("/api/console/admin/knowledge/guides", { markdown: draft });
    expect(saved.status).toBe(200);
    expect((await ask(admin, GUIDE_QUESTION)).reply.fullText).toContain("草稿修改");
  });

  test("a law file in JSONL is ingested and listed", async () => {
    const res = await upload(admin, "清河县测试条例.jsonl", LAW_JSONL);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ok: true, kind: "law_jsonl", articles: 2, laws: ["清河县测试条例"] });
    const list = await admin.get(`/api/console/admin/knowledge/laws?q=${encodeURIComponent("测试条例")}`);
    expect(list.body.total).toBe(1);
    expect(list.body.rows[0]).toMatchObject({ law: "清河县测试条例", level: "地方性法规", status: "现行有效", effective: "2020-01-01", articles: 2 });
    const hits = await t.app.knowledge.searchArticles("蜂箱周围警示标志", 3);
    expect(hits[0].article.law).toBe("清河县测试条例");
  });
});

describe("laws", () => {
  test("a law marked repealed is no longer quoted, survives re-ingest, and its citing guides are listed", async () => {
    const q = WAGE_QUESTION;
    const before = await ask(admin, q);
    expect(before.reply.citations.some((c: { law: string }) => c.law === "中华人民共和国劳动合同法")).toBe(true);

    const list = await admin.get(`/api/console/admin/knowledge/laws?q=${encodeURIComponent("劳动合同法")}`);
    expect(list.body.total).toBe(1);
    const row = list.body.rows[0];
    expect(row).toMatchObject({ status: "现行有效", articles: 3, override: null });

    const marked = await admin.post("/api/console/admin/knowledge/laws/status", { source: row.source, law: row.law, status: "已失效" });
    expect(marked.status).toBe(200);
    expect(marked.body.articles).toBe(3);

    const after = await ask(admin, q);
    expect(after.reply.citations.filter((c: { law: string }) => c.law === "中华人民共和国劳动合同法")).toEqual([]);
    for (const h of after.assessment.articles) if (h.law === "中华人民共和国劳动合同法") expect(h.status).toBe("已失效");
    const listed = (await admin.get(`/api/console/admin/knowledge/laws?q=${encodeURIComponent("劳动合同法")}`)).body.rows[0];
    expect(listed).toMatchObject({ status: "已失效", override: "已失效" });

    // The other process stops presenting it as current too.
    await waitFor(async () => (await other.knowledge.searchArticles("支付劳动报酬", 1))[0]?.article.status === "已失效", 5000, "the other process to see the repeal");

    const stale = await admin.get("/api/console/admin/knowledge/stale-guides");
    const wage = stale.body.guides.find((g: { id: string }) => g.id === "wage-arrears");
    expect(wage.issues).toContainEqual({ law: "中华人民共和国劳动合同法", article: "第三十条", problem: "not_current", statuses: ["已失效"] });
    expect(stale.body.guides.some((g: { id: string }) => g.id === GUIDE_ID)).toBe(true);
    // A guide uploaded with no review record is listed for review.
    const uploaded = stale.body.guides.find((g: { id: string }) => g.id === GUIDE_ID);
    expect(uploaded.issues).toContainEqual(expect.objectContaining({ problem: "never_reviewed" }));
    // The laws revised after the collection was taken, with whether their new text is in.
    const revisions = (await admin.get("/api/console/admin/knowledge/revisions")).body.revisions;
    expect(revisions.map((r: { law: string }) => r.law)).toEqual(expect.arrayContaining(["中华人民共和国治安管理处罚法", "中华人民共和国仲裁法"]));
    for (const r of revisions) expect(r).toMatchObject({ passed: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), newTextImported: false });

    // Re-ingesting the changed file keeps the administrator's mark.
    writeFileSync(row.source, `${readFileSync(row.source, "utf8")}\n`);
    const summary = await ingestPaths(t.app.knowledge.store, [row.source]);
    expect(summary.updated).toBe(1);
    const states = (await t.app.knowledge.store.allArticles()).filter((a) => a.law === row.law);
    expect(states.map((a) => a.status)).toEqual(["已失效", "已失效", "已失效"]);

    // Lifting the mark restores what the file said.
    const lifted = await admin.post("/api/console/admin/knowledge/laws/status", { source: row.source, law: row.law, status: null });
    expect(lifted.status).toBe(200);
    expect((await ask(admin, q)).reply.citations.some((c: { law: string }) => c.law === "中华人民共和国劳动合同法")).toBe(true);
    const actions = (await new SqlReferralStore(t.app.db!).listAudit({ targetType: "system" })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["knowledge.law_mark", "knowledge.law_unmark"]));
  });
});

describe("test console", () => {
  test("shows the reply, scored articles with parts, guides, features, confidence and the decision", async () => {
    const res = await ask(supervisor.client, WAGE_QUESTION);
    expect(res.reply.text.length).toBeGreaterThan(20);
    expect(res.threshold).toBe(t.app.config.LAWDESK_ANSWER_THRESHOLD);
    expect(res.assessment.articles[0]).toMatchObject({ law: expect.any(String), article: expect.stringMatching(/^第.+条$/), score: expect.any(Number), parts: expect.any(Object) });
    expect(res.assessment.guides[0]).toMatchObject({ id: "wage-arrears", score: expect.any(Number) });
    expect(Object.keys(res.assessment.features)).toEqual(expect.arrayContaining(["guide", "coverage", "agreement"]));
    expect(res.reply.escalated).toBe(res.assessment.confidence < res.threshold);

    const human = await ask(supervisor.client, "转人工");
    expect(human.reply.escalated).toBe(true);
    expect(human.reply.escalation.reason).toBe("asked_human");
    // As the channel lays it out: on Telegram the offers of more are buttons, not words.
    expect(res.reply.buttons).toEqual([]);
    const telegram = (await supervisor.client.post("/api/console/admin/test", { question: WAGE_QUESTION, channel: "telegram" })).body;
    expect(telegram.reply.buttons).toEqual(expect.arrayContaining(["detail"]));
    expect(telegram.reply.text).not.toContain("回复【详细】");
    const bad = await supervisor.client.post("/api/console/admin/test", { question: "x", channel: "fax" });
    expect(bad.status).toBe(400);
  });
});
