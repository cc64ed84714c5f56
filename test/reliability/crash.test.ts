// Crash: the real `lawdesk serve` child takes web-chat messages from several residents at
// once and is SIGKILLed mid-way; restarted on the same data dir it must finish what it had
// acknowledged, answer platform retries from what it stored, and lose or double nothing:
// every recorded message has exactly one answer or escalation, every escalation exactly one
// referral, and the lawyer's reply given before the crash exists exactly once.
//
// "Mid-way" is made real with configuration only: the language model (LLM_*) points at a
// local fake endpoint that takes 200 ms per explanation, so messages queue up per thread.

import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeLlm, type FakeLlm } from "./fake-llm.ts";
import { CHILD_ADMIN_PASSWORD, HttpActor, makeWorkspace, startChild, type ChildServer, type Workspace } from "./child-server.ts";

const RESIDENTS = 6;
const PER_RESIDENT = 10;
/** Kill once this many answers came back: well before the 60 messages are through. */
const KILL_AFTER_ACKS = 8;

const QUESTIONS = [
  "老板欠我三个月工资不给咋办",
  "单位一直不签劳动合同，能要双倍工资吗",
  "转人工",
  "你好",
  "公司拖欠加班费，劳动部门能管吗",
  "我想申请法律援助，需要带什么材料",
  "没签合同干了半年，被辞退了怎么办",
  "工资被克扣了去哪里投诉",
  "谢谢",
  "欠薪可以申请支付令吗",
];

let ws: Workspace;
let llm: FakeLlm;
let child: ChildServer | null = null;
const env = () => ({
  LLM_PROVIDER: "openai",
  LLM_BASE_URL: llm.baseUrl,
  LLM_MODEL: "fake",
  LLM_TIMEOUT_MS: "5000",
  // Each resident posts from its own address (X-Forwarded-For), and the per-resident flood
  // limit is lifted: this test is about crashes, not rate limits.
  LAWDESK_TRUST_PROXY: "1",
  LAWDESK_RATE_LIMIT_PER_MINUTE: "1000",
});

beforeAll(async () => {
  ws = makeWorkspace("lawdesk-crash-");
  llm = await startFakeLlm({ delayMs: 200 });
});
afterAll(async () => {
  await child?.kill("SIGKILL");
  await llm?.close();
  ws?.remove();
});

interface Sent {
  resident: number;
  id: string;
  text: string;
  /** The 200 answer the server gave before the crash, if any. */
  ack: { duplicate: boolean; reply: { text: string } | null } | null;
}

/** Waits until the referral raised by `text` shows in the admin's unclaimed queue. */
async function waitForReferral(admin: HttpActor, summary: string): Promise<{ id: string }> {
  for (let i = 0; i < 200; i++) {
    const q = await admin.request("GET", "/api/console/queue?view=unclaimed");
    const row = q.body.rows?.find((r: { summary: string }) => r.summary === summary);
    if (row) return row;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no referral for ${summary}`);
}

describe("SIGKILL mid-way through concurrent web-chat traffic", () => {
  it("finishes every acknowledged message exactly once and loses no referral or lawyer reply", async () => {
    child = await startChild(ws, env());
    const residents = Array.from({ length: RESIDENTS }, (_, i) => new HttpActor(child!.base, `10.0.0.${i + 10}`));
    for (const r of residents) expect((await r.request("GET", "/api/chat/history")).status).toBe(200); // gets the resident cookie

    // Before the crash: an escalated thread that a lawyer (the admin) claimed and answered.
    const escalated = new HttpActor(child.base, "10.0.1.1");
    const asked = await escalated.request("POST", "/api/chat/messages", { id: "lawyer-thread-1", text: "我要找律师咨询离婚财产分割" });
    expect(asked.status).toBe(200);
    const admin = new HttpActor(child.base, "10.0.2.1");
    expect((await admin.login("admin", CHILD_ADMIN_PASSWORD)).status).toBe(200);
    const referral = await waitForReferral(admin, "我要找律师咨询离婚财产分割");
    expect((await admin.request("POST", `/api/console/referrals/${referral.id}/claim`)).status).toBe(200);
    const LAWYER_TEXT = "您好，我是值班律师，请带上结婚证和财产证明到县公共法律服务中心面谈。";
    expect((await admin.request("POST", `/api/console/referrals/${referral.id}/reply`, { text: LAWYER_TEXT })).status).toBe(200);

    // The flood: every resident sends its ten messages at once; kill after the first acks.
    const sent: Sent[] = [];
    let acks = 0;
    let killed!: () => void;
    const killNow = new Promise<void>((r) => (killed = r));
    const posts: Promise<void>[] = [];
    for (let r = 0; r < RESIDENTS; r++) {
      for (let k = 0; k < PER_RESIDENT; k++) {
        const s: Sent = { resident: r, id: `crash-r${r}-m${k}`, text: QUESTIONS[(k + r) % QUESTIONS.length], ack: null };
        sent.push(s);
        posts.push(
          residents[r]
            .request("POST", "/api/chat/messages", { id: s.id, text: s.text })
            .then((res) => {
              if (res.status === 200) {
                s.ack = res.body;
                if (++acks >= KILL_AFTER_ACKS) killed();
              }
            })
            .catch(() => undefined), // the connection dies with the process: not acknowledged
        );
      }
    }
    await killNow;
    await child.kill("SIGKILL");
    await Promise.all(posts);
    const ackedBeforeCrash = sent.filter((s) => s.ack);
    expect(ackedBeforeCrash.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(ackedBeforeCrash.length).toBeLessThan(sent.length); // the kill really was mid-way

    // What the dead process had recorded: those must all be finished after the restart.
    const recordedAtCrash = readDb(ws.dbPath, (db) =>
      (db.prepare("SELECT platform_message_id AS pmid, status FROM inbound_messages WHERE channel = 'web'").all() as { pmid: string; status: string }[]),
    );
    const unfinishedAtCrash = recordedAtCrash.filter((r) => r.status === "received" || r.status === "processing");
    // Recorded (so acknowledgeable) but unanswered when the process died: recovery's work.
    expect(unfinishedAtCrash.length).toBeGreaterThan(0);

    // Restart on the same data dir: recovery runs before the server listens.
    child = await startChild(ws, env());
    for (const r of residents) r.base = child.base;
    escalated.base = child.base;
    admin.base = child.base;

    // Platform retries of every message id: acknowledged ones come back as duplicates with
    // the same answer; recorded-but-unacknowledged ones too (finished by recovery).
    const recordedIds = new Set(recordedAtCrash.map((r) => r.pmid.split(":").pop()));
    for (const s of sent) {
      const res = await residents[s.resident].request("POST", "/api/chat/messages", { id: s.id, text: s.text });
      expect(res.status, `${s.id}: ${JSON.stringify(res.body)}`).toBe(200);
      if (recordedIds.has(s.id)) expect(res.body.duplicate, s.id).toBe(true);
      if (s.ack) expect(res.body.reply?.text ?? null, s.id).toBe(s.ack.reply?.text ?? null);
      // A second retry is a duplicate whatever happened before.
      expect((await residents[s.resident].request("POST", "/api/chat/messages", { id: s.id, text: s.text })).body.duplicate).toBe(true);
    }

    // The lawyer's reply survived and was not repeated; the resident sees it once.
    const history = await escalated.request("GET", "/api/chat/history");
    expect(history.body.messages.filter((m: { role: string; text: string }) => m.role === "lawyer" && m.text === LAWYER_TEXT)).toHaveLength(1);
    const detail = await admin.request("GET", `/api/console/referrals/${referral.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body.referral.status).toBe("replied");
    expect(detail.body.events.filter((e: { kind: string }) => e.kind === "reply")).toHaveLength(1);

    await child.kill("SIGTERM");
    child = null;

    // The database, read directly after a clean stop.
    readDb(ws.dbPath, (db) => {
      const inbound = db.prepare("SELECT id, platform_message_id AS pmid, status FROM inbound_messages").all() as { id: number; pmid: string; status: string }[];
      // Every message was recorded once: the flood, the escalated question, nothing else.
      expect(inbound.length).toBe(sent.length + 1);
      expect(new Set(inbound.map((r) => r.pmid)).size).toBe(inbound.length);
      for (const s of ackedBeforeCrash) expect(inbound.some((r) => r.pmid.endsWith(`:${s.id}`)), s.id).toBe(true);
      for (const u of unfinishedAtCrash) expect(inbound.find((r) => r.pmid === u.pmid)?.status, u.pmid).toMatch(/^(done|failed)$/);

      // Exactly one answer or escalation per message: one outbox row and/or one escalation,
      // never none, never two (the unique keys are checked by counting, not assumed).
      const outcomes = db
        .prepare(
          `SELECT i.id, i.status,
                  (SELECT COUNT(*) FROM outbox o WHERE o.inbound_id = i.id) AS replies,
                  (SELECT COUNT(*) FROM escalations e WHERE e.inbound_id = i.id) AS escalations,
                  (SELECT COUNT(*) FROM thread_messages m WHERE m.inbound_id = i.id AND m.role = 'resident') AS residentRows,
                  (SELECT COUNT(*) FROM thread_messages m WHERE m.inbound_id = i.id AND m.role = 'bot') AS botRows
           FROM inbound_messages i`,
        )
        .all() as { id: number; status: string; replies: number; escalations: number; residentRows: number; botRows: number }[];
      for (const o of outcomes) {
        expect(o.status, `inbound ${o.id}`).toMatch(/^(done|failed)$/);
        expect(o.replies + o.escalations, `inbound ${o.id} has no answer or escalation`).toBeGreaterThanOrEqual(1);
        expect(o.replies, `inbound ${o.id} answered twice`).toBeLessThanOrEqual(1);
        expect(o.escalations, `inbound ${o.id} escalated twice`).toBeLessThanOrEqual(1);
        expect(o.residentRows, `inbound ${o.id} in the history twice`).toBe(1);
        expect(o.botRows, `inbound ${o.id}: two bot answers`).toBeLessThanOrEqual(1);
      }

      // Every escalation became exactly one referral, none left behind.
      const escalations = db.prepare("SELECT id, status FROM escalations").all() as { id: number; status: string }[];
      expect(escalations.length).toBeGreaterThan(1); // 转人工 was in the flood
      for (const e of escalations) {
        expect(e.status, `escalation ${e.id}`).toBe("referred");
        const n = (db.prepare("SELECT COUNT(*) AS n FROM referrals WHERE escalation_id = ?").get(String(e.id)) as { n: number }).n;
        expect(n, `escalation ${e.id} → ${n} referrals`).toBe(1);
      }
      expect((db.prepare("SELECT COUNT(*) AS n FROM referrals").get() as { n: number }).n).toBe(escalations.length);

      // The lawyer's reply: one history row, one outbox row, one timeline event.
      const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
      expect(count("SELECT COUNT(*) AS n FROM thread_messages WHERE role = 'lawyer' AND text = ?", LAWYER_TEXT)).toBe(1);
      // (the outbox text wraps the reply with the lawyer's name and the referral number)
      expect(count("SELECT COUNT(*) AS n FROM outbox WHERE kind = 'lawyer_reply' AND instr(text, ?) > 0", LAWYER_TEXT)).toBe(1);
      expect(count("SELECT COUNT(*) AS n FROM referral_events WHERE referral_id = ? AND kind = 'reply'", referral.id)).toBe(1);
      expect(count("SELECT COUNT(*) AS n FROM referrals WHERE id = ? AND owner_id IS NOT NULL AND status = 'replied'", referral.id)).toBe(1);
    });
  });
});

function readDb<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}
