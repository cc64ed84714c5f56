// The privacy purge on both stores (SQLite file, PostgreSQL schema): one seed through the real
// conversation store and referral service, then the PurgeJob. Both stores blank exactly the
// same threads, keep the same ones, append the same audit entry, and end in the same state.
// On PostgreSQL a resident writing into a thread at the moment of the purge keeps the thread.

import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { PURGED_TEXT, PurgeJob } from "../../src/privacy-purge.ts";
import type { ChannelName } from "../../src/channel-message.ts";
import type { EscalationRequest } from "../../src/pipeline/types.ts";
import { ReferralService } from "../../src/referral/service.ts";
import { PeopleDesk } from "../../src/conversation/people.ts";
import { ConversationThreadGateway } from "../../src/referral/thread-gateway.ts";
import type { UserRecord } from "../../src/referral/types.ts";
import { EMPTY_STORED_CONTEXT } from "../../src/store/conversation-store.ts";
import { sqlValue } from "../../src/store/sql.ts";
import { BACKENDS, skipped, title, type Backend } from "../store/backends.ts";
import { answer, gate } from "../conversation/helpers.ts";
import { waitFor } from "../server/helpers.ts";

const DAY = 24 * 3600 * 1000;
const RETENTION_DAYS = 180;
const DAY0 = Date.parse("2026-03-02T02:00:00.000Z");
const CHANNEL: ChannelName = "wechat_oa";
const REGION = "qinghe.dongzhen";
const LAWYER = "u-wang";
/** Phone numbers that identify each resident's words wherever they are stored. */
const PHONE = {
  closed: "13912345678",
  lawyerReply: "13555556666",
  answered: "13711112222",
  open: "13633334444",
  owned: "13522223333",
  recent: "13800001111",
  unfinished: "13400005555",
};

type Snapshot = Record<string, unknown>;
/** Each store's end state, compared once both have run. */
const finalStates = new Map<string, Snapshot>();

function lawyerRecord(at: string): UserRecord {
  return {
    id: LAWYER,
    username: "wanglv",
    name: "王律师",
    passwordHash: "scrypt$1$1$1$AA==$AA==",
    role: "lawyer",
    regions: ["qinghe"],
    topics: [],
    phone: null,
    active: true,
    failedLogins: 0,
    lockedUntil: null,
    mustChangePassword: false,
    createdAt: at,
    updatedAt: at,
  };
}

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("privacy purge", name), () => {
    let b: Backend;
    let ms = DAY0;
    const now = () => new Date(ms);
    let service: ReferralService;
    let job: PurgeJob;
    let seq = 0;

    beforeEach(async () => {
      b = await make();
      ms = DAY0;
      service = new ReferralService({ store: b.referral, gateway: new ConversationThreadGateway(new PeopleDesk({ store: b.conversation, deliver: () => undefined, now })), clock: now });
      job = new PurgeJob({ sql: b.sql, referrals: service, retentionDays: RETENTION_DAYS, now });
      await b.referral.insertUser(lawyerRecord(now().toISOString()), []);
    });
    afterEach(async () => b.close());

    /** One resident message, answered by the bot (escalated when asked); returns the ids. */
    async function converse(threadKey: string, text: string, opts: { escalate?: boolean; answered?: boolean } = {}) {
      const at = now();
      const { inbound } = await b.conversation.recordInbound(
        { channel: CHANNEL, threadKey, senderKey: `openid-${threadKey}`, groupKey: null, region: REGION, text, platformMessageId: `pm-${++seq}`, receivedAt: at },
        at,
      );
      if (opts.answered === false) return { threadId: inbound.threadId, inboundId: inbound.id, referralId: null };
      const claimed = (await b.conversation.claimInbound(inbound.id, { now: at, staleBefore: new Date(at.getTime() - 60_000) }))!;
      const result = answer(text);
      const escalation: EscalationRequest | null = opts.escalate
        ? { reason: "asked_human", urgency: "normal", topic: "labour", region: REGION, summary: text, findings: { articles: [], guides: [] } }
        : null;
      const done = await b.conversation.complete(
        {
          inboundId: inbound.id,
          claim: claimed.attempts,
          status: "done",
          result,
          reason: null,
          error: null,
          context: { ...EMPTY_STORED_CONTEXT, lastTopic: "labour", lastIntent: "legal_question", lastQuestion: text, lastFullAnswer: result.fullText, turns: 1, region: REGION },
          messages: [
            { role: "resident", text },
            { role: "bot", text: result.text },
          ],
          escalation,
          reply: { kind: "answer", text: result.text, sent: false },
        },
        at,
      );
      const referral = done.escalation
        ? await service.createFromEscalation({ ...escalation!, escalationId: String(done.escalation.id), threadId: String(inbound.threadId), channel: CHANNEL, residentKey: `openid-${threadKey}` })
        : null;
      return { threadId: inbound.threadId, inboundId: inbound.id, referralId: referral?.id ?? null };
    }

    /** Everything stored about a thread, by content (no ids or times), for the comparisons. */
    async function threadState(threadId: number): Promise<Snapshot> {
      const thread = (await b.conversation.getThread(threadId))!;
      const inbound = await b.sql.all<{ text: string; result: unknown; status: string }>("SELECT text, result, status FROM inbound_messages WHERE thread_id = ? ORDER BY id", [threadId]);
      return {
        inbound: inbound.map((r) => ({ text: r.text, result: r.result === null ? null : sqlValue.json(r.result), status: r.status })),
        messages: (await b.conversation.listMessages(threadId)).map((m) => [m.role, m.text]),
        outbox: (await b.conversation.listOutbox({ threadId })).map((o) => [o.kind, o.text]),
        escalations: (await b.conversation.listEscalations({ threadId })).map((e) => [e.topic, e.summary]),
        context: thread.context,
        ownedBy: thread.ownedBy,
      };
    }

    async function referralState(id: string): Promise<Snapshot> {
      const r = (await b.referral.getReferral(id))!;
      const events = await b.referral.listEvents(id);
      return { number: r.number, status: r.status, summary: r.summary, outcome: r.outcome, redacted: r.redactedAt !== null, events: events.map((e) => [e.kind, e.text]) };
    }

    const contains = (state: Snapshot, needle: string) => JSON.stringify(state).includes(needle);

    it("blanks old closed and answered threads everywhere, keeps open, owned, unfinished and recent ones", async () => {
      // Day 0: a case a lawyer answers (their reply holds a phone number) and closes two hours later …
      const closed = await converse("closed", `转人工 我电话${PHONE.closed}，老板欠薪`, { escalate: true });
      await service.claim(closed.referralId!, LAWYER);
      await service.reply(closed.referralId!, LAWYER, `请联系张律师${PHONE.lawyerReply}`);
      ms += 2 * 3600 * 1000;
      await service.close(closed.referralId!, LAWYER, "已解答");
      // … a question the bot answered, a case still open, a thread a person took over, a message never processed.
      const answered = await converse("answered", `老板欠我三个月工资不给咋办，我电话${PHONE.answered}`);
      const open = await converse("open", `转人工 宅基地纠纷 电话${PHONE.open}`, { escalate: true });
      const owned = await converse("owned", `工伤怎么认定 电话${PHONE.owned}`);
      await b.conversation.assignThread(owned.threadId, LAWYER, now());
      const unfinished = await converse("unfinished", `拖欠工资 电话${PHONE.unfinished}`, { answered: false });
      // Day 170: a recent question.
      ms = DAY0 + 170 * DAY;
      const recent = await converse("recent", `没签劳动合同能要双倍工资吗 我电话${PHONE.recent}`);

      const threads = { closed, answered, open, owned, unfinished, recent };
      const before = Object.fromEntries(await Promise.all(Object.entries(threads).map(async ([k, t]) => [k, await threadState(t.threadId)] as const)));
      expect(contains(before.closed, PHONE.closed) && contains(before.closed, PHONE.lawyerReply)).toBe(true);
      expect(before.closed.outbox).toHaveLength(3); // the answer, the lawyer's reply, the rating request
      expect(before.answered.context).toMatchObject({ lastQuestion: expect.stringContaining(PHONE.answered), lastFullAnswer: expect.stringContaining(PHONE.answered) });

      // Day 181: the cutoff (day 1) lies after the closed case and the answered question.
      ms = DAY0 + (RETENTION_DAYS + 1) * DAY;
      const result = await job.run();
      expect(result).toEqual({ cutoff: new Date(DAY0 + DAY).toISOString(), threads: 2, referrals: 1 });

      const after = Object.fromEntries(await Promise.all(Object.entries(threads).map(async ([k, t]) => [k, await threadState(t.threadId)] as const)));
      // Blanked: every text of the two threads, the answer stored with the message, the two context keys.
      for (const key of ["closed", "answered"] as const) {
        const s = after[key] as { inbound: { text: string; result: unknown; status: string }[]; messages: string[][]; outbox: string[][]; escalations: string[][]; context: Record<string, unknown> };
        expect(s.inbound, key).toEqual([{ text: PURGED_TEXT, result: null, status: "done" }]);
        expect(s.messages.every(([, text]) => text === PURGED_TEXT), key).toBe(true);
        expect(s.outbox.every(([, text]) => text === PURGED_TEXT), key).toBe(true);
        expect(s.context, key).toEqual({ ...(before[key] as { context: object }).context, lastQuestion: null, lastFullAnswer: null });
      }
      expect((after.closed as { messages: string[][] }).messages.map(([role]) => role)).toEqual(["resident", "bot", "lawyer", "system"]);
      expect(after.closed.escalations).toEqual([["labour", PURGED_TEXT]]); // the topic stays for statistics
      for (const phone of [PHONE.closed, PHONE.lawyerReply]) expect(contains(after.closed, phone)).toBe(false);
      expect(contains(after.answered, PHONE.answered)).toBe(false);
      // Kept as they were.
      for (const key of ["open", "owned", "unfinished", "recent"] as const) expect(after[key], key).toEqual(before[key]);

      // The closed referral went through the service's redaction; the open one is untouched.
      const closedReferral = await referralState(closed.referralId!);
      expect(closedReferral).toMatchObject({ status: "closed", summary: PURGED_TEXT, redacted: true });
      expect(contains(closedReferral, PHONE.closed) || contains(closedReferral, PHONE.lawyerReply)).toBe(false);
      expect(await referralState(open.referralId!)).toMatchObject({ status: "open", summary: expect.stringContaining(PHONE.open), redacted: false });

      // One audit entry for the purge, nothing personal in it.
      const purges = await b.referral.listAudit({ action: "privacy.purge" });
      expect(purges.map((a) => ({ at: a.at, actorId: a.actorId, targetType: a.targetType, targetId: a.targetId, detail: a.detail }))).toEqual([
        { at: now().toISOString(), actorId: null, targetType: "system", targetId: null, detail: { cutoff: result.cutoff, threads: 2 } },
      ]);

      // Idempotent: a second run finds nothing and writes nothing.
      const auditCount = (await b.referral.listAudit({})).length;
      expect(await job.run()).toMatchObject({ threads: 0, referrals: 0 });
      expect((await b.referral.listAudit({})).length).toBe(auditCount);

      // The open case closes; once retention passes again it and the recent one go too. A person
      // still holds the owned thread, and the unprocessed message waits to be answered.
      await service.claim(open.referralId!, LAWYER);
      await service.close(open.referralId!, LAWYER, "已处理");
      ms += (RETENTION_DAYS + 1) * DAY;
      expect(await job.run()).toMatchObject({ threads: 2, referrals: 1 });
      const end: Snapshot = {};
      for (const [k, t] of Object.entries(threads)) end[k] = await threadState(t.threadId);
      for (const key of ["open", "recent"]) for (const phone of [PHONE.open, PHONE.recent]) expect(contains(end[key] as Snapshot, phone), key).toBe(false);
      expect(end.owned).toEqual(before.owned);
      expect(end.unfinished).toEqual(before.unfinished);
      for (const [k, t] of Object.entries(threads)) if (t.referralId) end[`referral:${k}`] = await referralState(t.referralId);
      // Referral ids are random UUIDs: named by their thread for the comparison.
      let text = JSON.stringify(end);
      for (const [k, t] of Object.entries(threads)) if (t.referralId) text = text.replaceAll(t.referralId, `<referral ${k}>`);
      finalStates.set(name, JSON.parse(text) as Snapshot);
    });

    // PostgreSQL only: on SQLite the purge runs under BEGIN IMMEDIATE, so no writer can be mid-way.
    it.skipIf(name !== "postgres")("leaves a thread alone when its resident writes at the moment of the purge", async () => {
      const quiet = await converse("quiet", `老板欠薪 我电话${PHONE.answered}`);
      const other = await converse("other", `工资拖欠 我电话${PHONE.closed}`);
      ms = DAY0 + (RETENTION_DAYS + 1) * DAY;
      const at = now().toISOString();
      // A new message half-recorded, as the conversation store records one: the thread row
      // touched first (under its lock), then the message inserted; committed when `hold` opens.
      const hold = gate();
      const touched = gate();
      let writerPid = 0;
      const writer = b.sql.transaction(async (tx) => {
        writerPid = sqlValue.num((await tx.get<{ pid: unknown }>("SELECT pg_backend_pid() AS pid"))?.pid);
        await tx.run("UPDATE threads SET updated_at = ? WHERE id = ?", [at, quiet.threadId]);
        await tx.run(
          `INSERT INTO inbound_messages (channel, platform_message_id, thread_id, thread_key, sender_key, group_key, region, text, received_at)
           VALUES (?, 'pm-late', ?, 'quiet', 'openid-quiet', NULL, ?, '又来问：还是没发工资', ?)`,
          [CHANNEL, quiet.threadId, REGION, at],
        );
        touched.open();
        await hold.promise;
      });
      await touched.promise;
      let settled = false;
      const purge = job.run().finally(() => (settled = true));
      // Until PostgreSQL shows a session blocked by the writer: the purge, on the thread's lock.
      await waitFor(
        async () => sqlValue.num((await b.sql.get<{ n: unknown }>("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE ? = ANY(pg_blocking_pids(pid))", [writerPid]))?.n) > 0,
        10_000,
        "the purge waiting for the thread's lock",
      );
      expect(settled).toBe(false);
      hold.open();
      await writer;
      expect(await purge).toMatchObject({ threads: 1 });

      const q = await threadState(quiet.threadId);
      expect((q.inbound as { text: string }[]).map((i) => i.text)).toEqual([`老板欠薪 我电话${PHONE.answered}`, "又来问：还是没发工资"]);
      expect(contains(q, PURGED_TEXT)).toBe(false);
      expect(contains(await threadState(other.threadId), PHONE.closed)).toBe(false);
    });
  });
});

afterAll(() => {
  // Both stores ran: the same seed and purges left exactly the same state.
  if (finalStates.size === 2) expect(finalStates.get("postgres")).toEqual(finalStates.get("sqlite"));
});
