// Two real `lawdesk serve` processes on one PostgreSQL (a fresh schema), each with its own
// data directory, as behind a load balancer. Shared work must be done once however the
// requests are spread: 200 concurrent claims of the same referrals from both servers leave
// each referral with exactly one owner; 1,000 messages spread over both are each answered
// once (and a platform retry on the other server is a duplicate with the same answer);
// a lawyer's reply on one server reaches the resident's live stream on the other; a guide
// uploaded on one server answers on the other without a restart. Both start at once on an
// empty schema.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_GUIDE, GUIDE_QUESTION } from "../console/admin-fixtures.ts";
import { PG_SKIP_REASON, PG_URL } from "../store/backends.ts";
import { dropSchema, openPg, randomTestSchema, type PgHandle } from "../../src/store/pg/pool.ts";
import { PgSql } from "../../src/store/sql.ts";
import { escalationHomes } from "./referral-accounting.ts";
import { CHILD_ADMIN_PASSWORD, HttpActor, makeWorkspace, startChild, type ChildServer, type Workspace } from "./child-server.ts";

const LAWYERS = 10;
const REFERRALS = 20;
const RESIDENTS = 50;
const PER_RESIDENT = 20;

const QUESTIONS = [
  "老板欠我三个月工资不给咋办",
  "单位一直不签劳动合同，能要双倍工资吗",
  "公司拖欠加班费，劳动部门能管吗",
  "我想申请法律援助，需要带什么材料",
  "没签合同干了半年，被辞退了怎么办",
  "工资被克扣了去哪里投诉",
  "欠薪可以申请支付令吗",
  "你好",
  "转人工",
  "谢谢",
];

const schema = randomTestSchema();
let wsA: Workspace;
let wsB: Workspace;
let a: ChildServer | null = null;
let b: ChildServer | null = null;
let pg: PgHandle | null = null;
let sql: PgSql;

const env = () => ({
  DATABASE_URL: PG_URL,
  DATABASE_SCHEMA: schema,
  // Each actor is its own client address, and the flood limit is lifted: this is about sharing.
  LAWDESK_TRUST_PROXY: "1",
  LAWDESK_RATE_LIMIT_PER_MINUTE: "100000",
  LOG_LEVEL: "error",
});


/** An open server-sent-event stream as the actor's browser would hold it: everything received so far. */
async function listen(url: string, actor: HttpActor): Promise<{ text(): string; close(): Promise<void> }> {
  const res = await fetch(url, { headers: { cookie: actor.cookieHeader() } });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => undefined);
  return {
    text: () => text,
    async close() {
      await reader.cancel();
      await reading;
    },
  };
}

const count = async (query: string, params: unknown[] = []) => Number((await sql.get<{ n: string }>(query, params))?.n ?? 0);

describe.skipIf(PG_SKIP_REASON !== null)(`two server processes on one PostgreSQL${PG_SKIP_REASON ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  beforeAll(async () => {
    wsA = makeWorkspace("lawdesk-pg-a-");
    wsB = makeWorkspace("lawdesk-pg-b-");
    // Both start at the same moment on an empty schema, as replicas do: migrations, seeding
    // the knowledge and creating the first administrator must each happen once.
    [a, b] = await Promise.all([startChild(wsA, env(), 120_000), startChild(wsB, env(), 120_000)]);
    pg = await openPg(PG_URL, { schema, migrate: false, max: 3 });
    sql = new PgSql(pg.pool);
  }, 300_000);

  afterAll(async () => {
    await Promise.all([a?.kill("SIGTERM"), b?.kill("SIGTERM")]);
    await pg?.close();
    await dropSchema(PG_URL, schema).catch(() => undefined);
    wsA?.remove();
    wsB?.remove();
  });

  it("gives each of 20 referrals exactly one owner under 200 concurrent claims from both servers", async () => {
    const admin = new HttpActor(a!.base, "10.9.0.1");
    expect((await admin.login("admin", CHILD_ADMIN_PASSWORD)).status).toBe(200);

    // Twenty residents ask for a person, half through each server.
    const summaries: string[] = [];
    await Promise.all(
      Array.from({ length: REFERRALS }, async (_, i) => {
        const resident = new HttpActor(i % 2 ? b!.base : a!.base, `10.9.1.${i + 1}`);
        await resident.request("GET", "/api/chat/history");
        const text = `转人工 第${i + 1}位居民的劳动争议`;
        summaries.push(text);
        expect((await resident.request("POST", "/api/chat/messages", { id: `claim-msg-${i}`, text })).status).toBe(200);
      }),
    );
    let unclaimed: { id: string; summary: string }[] = [];
    for (let i = 0; i < 100 && unclaimed.length < REFERRALS; i++) {
      unclaimed = ((await admin.request("GET", "/api/console/queue?view=unclaimed")).body.rows ?? []).filter((r: { summary: string }) => summaries.includes(r.summary));
      if (unclaimed.length < REFERRALS) await new Promise((r) => setTimeout(r, 100));
    }
    expect(unclaimed).toHaveLength(REFERRALS);

    // Ten lawyers covering the county, each logged in on one of the two servers.
    const lawyers: { id: string; actor: HttpActor }[] = [];
    for (let i = 0; i < LAWYERS; i++) {
      const first = "First-Passw0rd-x1";
      const created = await admin.request("POST", "/api/console/users", { username: `lawyer${i}`, name: `律师${i}`, role: "lawyer", regions: ["qinghe"], password: first });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const actor = new HttpActor(i % 2 ? b!.base : a!.base, `10.9.2.${i + 1}`);
      expect((await actor.login(`lawyer${i}`, first)).status).toBe(200);
      const changed = await actor.request("POST", "/api/console/password", { oldPassword: first, newPassword: "Second-Passw0rd-x2" });
      expect(changed.status).toBe(200);
      actor.csrf = changed.body.csrfToken;
      lawyers.push({ id: created.body.user.id, actor });
    }

    // 10 lawyers x 20 referrals = 200 claims, all in flight at once, spread over both servers.
    const results = await Promise.all(
      unclaimed.flatMap((r) => lawyers.map(async (l) => ({ referral: r.id, lawyer: l.id, status: (await l.actor.request("POST", `/api/console/referrals/${r.id}/claim`)).status }))),
    );
    expect(results).toHaveLength(REFERRALS * LAWYERS);
    for (const r of unclaimed) {
      const mine = results.filter((x) => x.referral === r.id);
      const won = mine.filter((x) => x.status === 200);
      expect(won, `referral ${r.id}: ${JSON.stringify(mine.map((x) => x.status))}`).toHaveLength(1);
      // Everyone else was told it is taken, not a server error.
      for (const lost of mine.filter((x) => x.status !== 200)) expect(lost.status).toBe(409);
      // The database agrees with the HTTP answers: that lawyer owns it, one claim event.
      const row = await sql.get<{ owner_id: string; status: string }>("SELECT owner_id, status FROM referrals WHERE id = ?", [r.id]);
      expect(row).toEqual({ owner_id: won[0].lawyer, status: "claimed" });
      expect(await count("SELECT COUNT(*) AS n FROM referral_events WHERE referral_id = ? AND kind = 'claimed'", [r.id])).toBe(1);
    }
  }, 180_000);

  it("answers each of 1,000 messages spread over both servers exactly once", async () => {
    const residents = Array.from({ length: RESIDENTS }, (_, i) => new HttpActor(i % 2 ? b!.base : a!.base, `10.8.${Math.floor(i / 200)}.${(i % 200) + 1}`));
    for (const r of residents) expect((await r.request("GET", "/api/chat/history")).status).toBe(200);

    // Each resident's messages alternate between the servers (the cookie is valid on both).
    const sent: { resident: number; id: string; text: string; body: any }[] = [];
    const flows = residents.map(async (resident, r) => {
      for (let k = 0; k < PER_RESIDENT; k++) {
        const s = { resident: r, id: `mp-r${r}-m${k}`, text: QUESTIONS[(k + r) % QUESTIONS.length], body: null as any };
        sent.push(s);
        resident.base = (r + k) % 2 ? b!.base : a!.base;
        const res = await resident.request("POST", "/api/chat/messages", { id: s.id, text: s.text });
        expect(res.status, `${s.id}: ${JSON.stringify(res.body)}`).toBe(200);
        expect(res.body.duplicate, s.id).toBe(false);
        s.body = res.body;
      }
    });
    await Promise.all(flows);
    expect(sent).toHaveLength(RESIDENTS * PER_RESIDENT);

    // A platform retry of some messages, sent to the server that did not take the original.
    for (const s of sent.filter((_, i) => i % 25 === 0)) {
      const resident = residents[s.resident];
      resident.base = resident.base === a!.base ? b!.base : a!.base;
      const retry = await resident.request("POST", "/api/chat/messages", { id: s.id, text: s.text });
      expect(retry.status).toBe(200);
      expect(retry.body.duplicate, s.id).toBe(true);
      expect(retry.body.reply?.text ?? null, s.id).toBe(s.body.reply?.text ?? null);
    }

    // Each recorded once; each finished with exactly one answer or escalation.
    const rows = await sql.all<{ id: number; status: string; replies: string; escalations: string; bot: string }>(
      `SELECT i.id, i.status,
              (SELECT COUNT(*) FROM outbox o WHERE o.inbound_id = i.id) AS replies,
              (SELECT COUNT(*) FROM escalations e WHERE e.inbound_id = i.id) AS escalations,
              (SELECT COUNT(*) FROM thread_messages m WHERE m.inbound_id = i.id AND m.role = 'bot') AS bot
       FROM inbound_messages i WHERE i.platform_message_id LIKE ?`,
      ["%mp-r%"],
    );
    expect(rows).toHaveLength(RESIDENTS * PER_RESIDENT);
    for (const o of rows) {
      expect(o.status, `inbound ${o.id}`).toBe("done");
      expect(Number(o.replies) + Number(o.escalations), `inbound ${o.id} has no answer or escalation`).toBeGreaterThanOrEqual(1);
      expect(Number(o.replies), `inbound ${o.id} answered twice`).toBeLessThanOrEqual(1);
      expect(Number(o.escalations), `inbound ${o.id} escalated twice`).toBeLessThanOrEqual(1);
      expect(Number(o.bot), `inbound ${o.id}: two bot answers`).toBeLessThanOrEqual(1);
    }
    // Every escalation becomes one referral, whichever server raised it.
    let left = -1;
    for (let i = 0; i < 100 && left !== 0; i++) {
      left = await count("SELECT COUNT(*) AS n FROM escalations WHERE status <> 'referred'");
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe(0);
    // Each opened one referral or joined its thread's open one, exactly once.
    const homes = await escalationHomes(sql);
    expect(homes.size).toBe(await count("SELECT COUNT(*) AS n FROM escalations"));
    for (const [id, n] of homes) expect(n, `escalation ${id} → ${n} referrals opened or joined`).toBe(1);
    // One open referral per conversation, whichever server raised the escalations.
    expect(await count("SELECT COUNT(*) AS n FROM (SELECT thread_id FROM referrals WHERE status <> 'closed' GROUP BY thread_id HAVING COUNT(*) > 1) d")).toBe(0);
  }, 300_000);

  it("carries a lawyer's reply on one server to the resident's live page on the other", async () => {
    const resident = new HttpActor(a!.base, "10.7.0.1");
    await resident.request("GET", "/api/chat/history");
    expect((await resident.request("POST", "/api/chat/messages", { id: "live-msg-0001", text: "转人工 宅基地纠纷想找律师" })).status).toBe(200);

    // The resident's page listens on server A…
    const stream = await listen(`${a!.base}/api/chat/events`, resident);

    // …while the lawyer works on server B.
    const admin = new HttpActor(b!.base, "10.7.0.2");
    expect((await admin.login("admin", CHILD_ADMIN_PASSWORD)).status).toBe(200);
    // (Found in the database: the queue page lists only the first of the many referrals above.)
    let referral: { id: string } | undefined;
    for (let i = 0; i < 100 && !referral; i++) {
      referral = await sql.get<{ id: string }>("SELECT id FROM referrals WHERE summary = ?", ["转人工 宅基地纠纷想找律师"]);
      if (!referral) await new Promise((r) => setTimeout(r, 100));
    }
    expect(referral).toBeDefined();
    expect((await admin.request("POST", `/api/console/referrals/${referral!.id}/claim`)).status).toBe(200);
    // Three replies: whichever server's dispatcher delivers each one, all must reach A's stream.
    const texts = ["您好，宅基地纠纷请带上宅基地使用证到镇司法所，我们当面帮您看。", "另外请带上村委会出具的情况说明。", "如有急事可拨打12348。"];
    for (const text of texts) expect((await admin.request("POST", `/api/console/referrals/${referral!.id}/reply`, { text })).status).toBe(200);

    // Server A's stream is told (through the database's LISTEN/NOTIFY) within seconds.
    const pushed = () => (stream.text().match(/"kind":"lawyer_reply"/g) ?? []).length;
    for (let i = 0; i < 100 && pushed() < texts.length; i++) await new Promise((r) => setTimeout(r, 100));
    await stream.close();
    expect(stream.text()).toContain("event: update");
    expect(pushed()).toBe(texts.length);
    const history = await resident.request("GET", "/api/chat/history");
    for (const text of texts) expect(history.body.messages.filter((m: { role: string; text: string }) => m.role === "lawyer" && m.text === text)).toHaveLength(1);
  }, 120_000);

  it("shows a referral raised on one server in the console open on the other, live", async () => {
    const admin = new HttpActor(a!.base, "10.5.0.1");
    expect((await admin.login("admin", CHILD_ADMIN_PASSWORD)).status).toBe(200);
    const stream = await listen(`${a!.base}/api/console/events`, admin);

    const resident = new HttpActor(b!.base, "10.5.0.2");
    await resident.request("GET", "/api/chat/history");
    expect((await resident.request("POST", "/api/chat/messages", { id: "console-live-01", text: "转人工 山林承包合同纠纷" })).status).toBe(200);
    let number: string | undefined;
    for (let i = 0; i < 100 && !(number && stream.text().includes(number)); i++) {
      number ??= (await sql.get<{ number: string }>("SELECT number FROM referrals WHERE summary = ?", ["转人工 山林承包合同纠纷"]))?.number;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stream.close();
    expect(number).toBeDefined();
    expect(stream.text()).toContain("event: referral");
    expect(stream.text()).toContain(number!);
  }, 60_000);

  it("counts console logins from one client against one allowance on both servers", async () => {
    // 20 per minute per client (the default). Spread over two servers, a guesser would get
    // 40 tries if each server counted alone.
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const guesser = new HttpActor(i % 2 ? b!.base : a!.base, "10.7.7.7");
      statuses.push((await guesser.login("nobody", `wrong-guess-${i}`)).status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401), statuses.join(",")).toBe(true);
    expect(statuses.slice(20), statuses.join(",")).toEqual(Array(10).fill(429));
    // Another client is not affected.
    expect((await new HttpActor(b!.base, "10.7.7.8").login("admin", CHILD_ADMIN_PASSWORD)).status).toBe(200);
  }, 60_000);

  it("answers from a guide uploaded on the other server, without a restart", async () => {
    const admin = new HttpActor(a!.base, "10.6.0.1");
    expect((await admin.login("admin", CHILD_ADMIN_PASSWORD)).status).toBe(200);
    const res = await fetch(`${a!.base}/api/console/admin/knowledge/upload?filename=pigs.md`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", cookie: admin.cookieHeader(), "x-csrf-token": admin.csrf!, "x-forwarded-for": "10.6.0.1" },
      body: GOOD_GUIDE,
    });
    expect(res.status, await res.clone().text()).toBe(200);

    // Server B polls the knowledge version (every 3 s in `serve`) and reloads its guides.
    // A new resident each try: the same question again in one thread is only acknowledged (已收到).
    let answer = "";
    for (let i = 0; i < 40 && !answer.includes("猪崽"); i++) {
      const resident = new HttpActor(b!.base, `10.6.1.${i + 1}`);
      await resident.request("GET", "/api/chat/history");
      const r = await resident.request("POST", "/api/chat/messages", { id: `guide-msg-${i}`, text: GUIDE_QUESTION });
      answer = r.body.reply?.text ?? "";
      if (!answer.includes("猪崽")) await new Promise((r) => setTimeout(r, 500));
    }
    expect(answer).toContain("买猪崽交了定金对方不履行怎么办");
  }, 120_000);
});
