// Crash: the real `lawdesk serve` child takes web-chat messages from several residents at
// once and is SIGKILLed mid-way; restarted on the same data it must finish what it had
// acknowledged, answer platform retries from what it stored, and lose or double nothing:
// every recorded message has exactly one answer or escalation, every escalation exactly one
// referral, and the lawyer's reply given before the crash exists exactly once.
//
// It runs on both stores: the embedded SQLite file in the data dir, and PostgreSQL (a fresh
// schema, DATABASE_URL/DATABASE_SCHEMA in the child's environment). The database is read
// directly through SqlDb, so the same assertions run on both. On PostgreSQL a claim left by
// the dead process only counts as abandoned once its lease (LAWDESK_CLAIM_LEASE_SECONDS,
// short here) ran out: the restarted server picks such messages up with its periodic
// recovery, so the test waits for that before sending the platform retries.
//
// "Mid-way" is made real with configuration only: the language model (LLM_*) points at a
// local fake endpoint that takes 200 ms per explanation, so messages queue up per thread.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SqlDb } from "../../src/store/sql.ts";
import { countOf, postgresVariant, sleep, sqliteVariant } from "./store-variants.ts";
import { startFakeLlm, type FakeLlm } from "./fake-llm.ts";
import { escalationHomes } from "./referral-accounting.ts";
import { CHILD_ADMIN_PASSWORD, HttpActor, makeWorkspace, startChild, type ChildServer, type Workspace } from "./child-server.ts";

const RESIDENTS = 6;
const PER_RESIDENT = 10;
/** Kill once this many answers came back: well before the 60 messages are through. */
const KILL_AFTER_ACKS = 8;
/**
 * PostgreSQL: seconds before a dead process's claim counts as abandoned. Short, but longer
 * than a restart usually takes, so the restarted server finds claims it must not take yet
 * (start-up recovery skips them) and its periodic recovery (every lease/2) takes them over
 * later. On a slow machine the restart outlasts the lease and start-up recovery does it all.
 */
const PG_LEASE_SECONDS = 10;
/** PostgreSQL: how long after the restart the dead process's messages may stay unfinished. */
const PG_RECOVERY_WAIT_MS = PG_LEASE_SECONDS * 1000 + 30_000;

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
    await sleep(50);
  }
  throw new Error(`no referral for ${summary}`);
}

const UNFINISHED = "SELECT COUNT(*) AS n FROM inbound_messages WHERE status IN ('received', 'processing')";

for (const variant of [sqliteVariant(), postgresVariant(PG_LEASE_SECONDS)]) {
  const title = `SIGKILL mid-way through concurrent web-chat traffic (${variant.name})${variant.skip ? ` — SKIPPED: ${variant.skip}` : ""}`;

  describe.skipIf(variant.skip !== null)(title, () => {
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
      ...variant.env(),
    });
    const read = <T>(fn: (db: SqlDb) => Promise<T>) => variant.read(ws, fn);

    beforeAll(async () => {
      ws = makeWorkspace(`lawdesk-crash-${variant.name}-`);
      llm = await startFakeLlm({ delayMs: 200 });
    });
    afterAll(async () => {
      await child?.kill("SIGKILL");
      await llm?.close();
      await variant.close();
      ws?.remove();
    });

    it("finishes every acknowledged message exactly once and loses no referral or lawyer reply", async () => {
      child = await startChild(ws, env(), 120_000);
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
      await variant.settleAfterKill();
      const ackedBeforeCrash = sent.filter((s) => s.ack);
      expect(ackedBeforeCrash.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(ackedBeforeCrash.length).toBeLessThan(sent.length); // the kill really was mid-way

      // What the dead process had recorded: those must all be finished after the restart.
      const recordedAtCrash = await read((db) =>
        db.all<{ pmid: string; status: string }>("SELECT platform_message_id AS pmid, status FROM inbound_messages WHERE channel = 'web'"),
      );
      const unfinishedAtCrash = recordedAtCrash.filter((r) => r.status === "received" || r.status === "processing");
      // Recorded (so acknowledgeable) but unanswered when the process died: recovery's work.
      expect(unfinishedAtCrash.length).toBeGreaterThan(0);

      // Restart on the same data: recovery runs before the server listens.
      child = await startChild(ws, env(), 120_000);
      for (const r of residents) r.base = child.base;
      escalated.base = child.base;
      admin.base = child.base;

      if (variant.name === "sqlite") {
        // One process per file: every claim the dead process held is abandoned at once.
        expect(await read((db) => countOf(db, UNFINISHED))).toBe(0);
      } else {
        // Claims younger than the lease are skipped at start-up (they could be a live peer's);
        // the periodic recovery (every lease/2) takes them over once the lease has run out.
        const deadline = Date.now() + PG_RECOVERY_WAIT_MS;
        for (;;) {
          const left = await read((db) => countOf(db, UNFINISHED));
          if (left === 0) break;
          if (Date.now() > deadline) throw new Error(`${left} messages still unfinished ${PG_RECOVERY_WAIT_MS} ms after the restart:\n${child.output()}`);
          await sleep(200);
        }
      }

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
      await read(async (db) => {
        const inbound = await db.all<{ id: unknown; pmid: string; status: string }>("SELECT id, platform_message_id AS pmid, status FROM inbound_messages");
        // Every message was recorded once: the flood, the escalated question, nothing else.
        expect(inbound.length).toBe(sent.length + 1);
        expect(new Set(inbound.map((r) => r.pmid)).size).toBe(inbound.length);
        for (const s of ackedBeforeCrash) expect(inbound.some((r) => r.pmid.endsWith(`:${s.id}`)), s.id).toBe(true);
        for (const u of unfinishedAtCrash) expect(inbound.find((r) => r.pmid === u.pmid)?.status, u.pmid).toMatch(/^(done|failed)$/);

        // Exactly one answer or escalation per message: one outbox row and/or one escalation,
        // never none, never two (the unique keys are checked by counting, not assumed).
        // (Column aliases are lower case: PostgreSQL folds unquoted identifiers.)
        const outcomes = (
          await db.all<Record<string, unknown>>(
            `SELECT i.id, i.status,
                    (SELECT COUNT(*) FROM outbox o WHERE o.inbound_id = i.id) AS replies,
                    (SELECT COUNT(*) FROM escalations e WHERE e.inbound_id = i.id) AS escalations,
                    (SELECT COUNT(*) FROM thread_messages m WHERE m.inbound_id = i.id AND m.role = 'resident') AS resident_rows,
                    (SELECT COUNT(*) FROM thread_messages m WHERE m.inbound_id = i.id AND m.role = 'bot') AS bot_rows
             FROM inbound_messages i`,
          )
        ).map((r) => ({
          id: Number(r.id),
          status: String(r.status),
          replies: Number(r.replies),
          escalations: Number(r.escalations),
          residentRows: Number(r.resident_rows),
          botRows: Number(r.bot_rows),
        }));
        expect(outcomes.length).toBe(sent.length + 1);
        for (const o of outcomes) {
          expect(o.status, `inbound ${o.id}`).toMatch(/^(done|failed)$/);
          expect(o.replies + o.escalations, `inbound ${o.id} has no answer or escalation`).toBeGreaterThanOrEqual(1);
          expect(o.replies, `inbound ${o.id} answered twice`).toBeLessThanOrEqual(1);
          expect(o.escalations, `inbound ${o.id} escalated twice`).toBeLessThanOrEqual(1);
          expect(o.residentRows, `inbound ${o.id} in the history twice`).toBe(1);
          expect(o.botRows, `inbound ${o.id}: two bot answers`).toBeLessThanOrEqual(1);
        }

        // Every escalation became exactly one referral, none left behind.
        const escalations = await db.all<{ id: unknown; status: string }>("SELECT id, status FROM escalations");
        expect(escalations.length).toBeGreaterThan(1); // 转人工 was in the flood
        // (A later escalation of the same thread joins its open referral instead of opening one.)
        const homes = await escalationHomes(db);
        for (const e of escalations) {
          expect(e.status, `escalation ${e.id}`).toBe("referred");
          const n = homes.get(String(e.id));
          expect(n, `escalation ${e.id} → ${n} referrals opened or joined`).toBe(1);
        }
        expect(homes.size).toBe(escalations.length);

        // The lawyer's reply: one history row, one outbox row, one timeline event.
        expect(await countOf(db, "SELECT COUNT(*) AS n FROM thread_messages WHERE role = 'lawyer' AND text = ?", [LAWYER_TEXT])).toBe(1);
        // (the outbox text wraps the reply with the lawyer's name and the referral number)
        const lawyerOutbox = await db.all<{ text: string }>("SELECT text FROM outbox WHERE kind = 'lawyer_reply'");
        expect(lawyerOutbox.filter((o) => o.text.includes(LAWYER_TEXT))).toHaveLength(1);
        expect(await countOf(db, "SELECT COUNT(*) AS n FROM referral_events WHERE referral_id = ? AND kind = 'reply'", [referral.id])).toBe(1);
        expect(await countOf(db, "SELECT COUNT(*) AS n FROM referrals WHERE id = ? AND owner_id IS NOT NULL AND status = 'replied'", [referral.id])).toBe(1);
      });
    }, 180_000);
  });
}
