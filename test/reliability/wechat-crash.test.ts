// Crash on the official account (issue 14.9): the real `lawdesk serve` child answers WeChat
// residents in parallel — passive replies within the budget, customer-service messages after
// it — and is SIGKILLed the moment a passive reply reaches WeChat (when "answered passively"
// is most likely still in flight to the database), then restarted on the same data while
// WeChat keeps re-sending unanswered MsgIds. Every message must have been answered exactly
// once, counting what the resident saw: passive replies plus customer-service messages.
//
// Both stores (SQLite file; PostgreSQL in a fresh schema per run). Runs per store:
// LAWDESK_CRASH_RUNS, default 1 locally and 3 under CI=true. The figures are printed at the end.

import { afterAll, describe, expect, it } from "vitest";
import { QUESTIONS as SOAK_QUESTIONS } from "../../scripts/soak.ts";
import { FakeWechat } from "../channels/wechat-oa/fake-wechat.ts";
import { startFakeLlm, type FakeLlm } from "./fake-llm.ts";
import { makeWorkspace, startChild, type ChildServer } from "./child-server.ts";
import { countOf, postgresVariant, sleep, sqliteVariant, type StoreVariant } from "./store-variants.ts";
import { MARKER, markerOf, officialAccountEnv, WechatPlatform } from "./wechat-platform.ts";

const RUNS = Number(process.env.LAWDESK_CRASH_RUNS ?? (process.env.CI ? 3 : 1));
const RESIDENTS = 12;
const PER_RESIDENT = 5;
/** SIGKILL on the arrival of this passive reply (or, on a machine so loaded that most answers are late, of the first passive reply after this many replies). */
const KILL_AT_PASSIVE = 10;
const KILL_AFTER_REPLIES = 25;
// WeChat's 5 s against a 4.5 s budget in production; scaled down, with room for a loaded machine.
const BUDGET_MS = 1000;
const DEADLINE_MS = 2000;
const PG_LEASE_SECONDS = 3;
/** How long before the kill a customer-service message counts as still on its way (no reply to the child yet). */
const IN_FLIGHT_MS = 1000;

/** The soak's labour questions (answered, not referred), without its small talk. */
const QUESTIONS = SOAK_QUESTIONS.slice(0, 6);

interface Figures {
  store: string;
  run: number;
  messages: number;
  passive: number;
  customerService: number;
  lost: number;
  doubled: number;
  resent: number;
  /** Customer-service messages on their way at the kill, sent again after the restart. */
  inFlightAtKill: number;
}
const figures: Figures[] = [];

afterAll(() => {
  for (const store of ["sqlite", "postgres"]) {
    const f = figures.filter((x) => x.store === store);
    if (f.length === 0) continue;
    const sum = (k: keyof Figures) => f.reduce((n, x) => n + Number(x[k]), 0);
    console.log(
      `[wechat-crash] ${store}: ${f.length} runs, ${sum("messages")} messages, ${sum("passive")} passive, ${sum("customerService")} customer-service, ` +
        `${sum("resent")} re-sent, lost ${sum("lost")}, doubled ${sum("doubled")} (runs with a double: ${f.filter((x) => x.doubled > 0).length}), ` +
        `in flight at the kill and sent again ${sum("inFlightAtKill")}`,
    );
  }
});

/** The fake model's answer carries the question's marker, so a customer-service message can be booked to its MsgId. */
function answerOf(user: string): string {
  const marker = user.match(MARKER)?.at(-1) ?? "none";
  return `老板拖欠工资是违法的 [1]。您可以先和单位协商，协商不成可以申请劳动仲裁。（${marker}）`;
}

/** Some answers are quick (passive), some outlast the budget (customer service). */
function delayOf(user: string): number {
  const marker = user.match(MARKER)?.at(-1) ?? "";
  return marker.charCodeAt(marker.length - 1) % 4 === 0 ? BUDGET_MS + 400 : 50 + (marker.charCodeAt(marker.length - 1) % 5) * 60;
}

async function oneRun(variant: StoreVariant, run: number): Promise<void> {
  const ws = makeWorkspace(`lawdesk-wxcrash-${variant.name}-`);
  const llm: FakeLlm = await startFakeLlm({ answer: (r) => answerOf(r.user), delayFor: (r) => delayOf(r.user) });
  const wechat = new FakeWechat("");
  await wechat.start();
  let child: ChildServer | null = null;
  const env = {
    LLM_PROVIDER: "openai",
    LLM_BASE_URL: llm.baseUrl,
    LLM_MODEL: "fake",
    LLM_TIMEOUT_MS: "5000",
    LAWDESK_RATE_LIMIT_PER_MINUTE: "1000",
    ...officialAccountEnv(wechat),
    WECHAT_OA_REPLY_BUDGET_MS: String(BUDGET_MS),
    ...variant.env(),
  };
  try {
    child = await startChild(ws, env, 120_000);
    let killed = false;
    let killedAt = 0;
    let replies = 0;
    let passives = 0;
    const platform = new WechatPlatform(wechat, {
      deadlineMs: DEADLINE_MS,
      earlyDropShare: 0.15,
      onReply: (passive) => {
        replies += 1;
        if (passive) passives += 1;
        if (passive && (passives >= KILL_AT_PASSIVE || replies >= KILL_AFTER_REPLIES) && !killed && child) {
          killed = true;
          killedAt = Date.now();
          child.process.kill("SIGKILL"); // now, while the reply is still on its way in
        }
      },
    });
    platform.target = `${child.base}/wechat/oa`;

    // Twelve senders in parallel, each writing its messages one after another.
    let seq = run * 1000;
    const residents = Array.from({ length: RESIDENTS }, async (_, r) => {
      for (let k = 0; k < PER_RESIDENT; k++) {
        // A resident per message: a later question in one thread may be answered as a follow-up
        // from the guide, without the model's marker this test books answers by.
        const openid = `oCrash${variant.name}${run}r${r}k${k}`;
        const marker = markerOf(seq++);
        const msgId = `${7_100_000_000_000_000_000n + BigInt(seq)}`;
        await platform.deliver(openid, `${QUESTIONS[(r + k) % QUESTIONS.length]}（${marker}）`, marker, msgId);
        await sleep(Math.random() * 100);
      }
    });
    const restarted = (async () => {
      while (!killed) await sleep(20);
      await child!.kill("SIGKILL");
      await variant.settleAfterKill();
      child = await startChild(ws, env, 120_000);
      platform.target = `${child.base}/wechat/oa`;
    })();
    await Promise.all(residents);
    expect(killed, "the kill never happened: too few passive replies").toBe(true);
    await restarted;

    // Everything recorded is finished and every reply delivered (or given up) before counting.
    const deadline = Date.now() + PG_LEASE_SECONDS * 1000 + 60_000;
    for (;;) {
      const left = await variant.read(ws, async (db) =>
        (await countOf(db, "SELECT COUNT(*) AS n FROM inbound_messages WHERE status IN ('received', 'processing')")) +
        (await countOf(db, "SELECT COUNT(*) AS n FROM outbox WHERE status IN ('pending', 'failed')")),
      );
      if (left === 0) break;
      if (Date.now() > deadline) throw new Error(`${left} messages or replies still open:\n${child.output().slice(-4000)}`);
      await sleep(200);
    }
    await sleep(500);

    const booked = [...platform.booked.values()];
    const counts = booked.map((b) => ({ b, n: platform.answersTo(b).length }));
    const lost = counts.filter((c) => c.n === 0);
    // The customer-service API has no idempotency key: a message WeChat accepted in the
    // instant before SIGKILL, before the child could record it as sent, is sent again after
    // the restart (at least once, never lost). That is the only double allowed: no passive
    // reply, two customer-service messages, the first reaching WeChat within IN_FLIGHT_MS
    // before the kill and the second after it. The outbox sends one message at a time, so at
    // most one can be in flight.
    const inFlightAtKill = (c: (typeof counts)[number]) => {
      const sent = platform.customerServiceTo(c.b);
      return c.b.passive.length === 0 && sent.length === 2 && sent[0].at <= killedAt && killedAt - sent[0].at <= IN_FLIGHT_MS && sent[1].at > killedAt;
    };
    const resentAfterKill = counts.filter((c) => c.n > 1 && inFlightAtKill(c));
    const doubled = counts.filter((c) => c.n > 1 && !inFlightAtKill(c));
    figures.push({
      store: variant.name,
      run,
      messages: booked.length,
      passive: booked.filter((b) => b.passive.length > 0).length,
      customerService: wechat.messages.length,
      lost: lost.length,
      doubled: doubled.length,
      resent: booked.filter((b) => b.tries > 1).length,
      inFlightAtKill: resentAfterKill.length,
    });
    const show = (c: (typeof counts)[number]) => `${c.b.msgId} (${c.b.marker}, tries ${c.b.tries}): ${c.b.passive.length} passive, ${c.n - c.b.passive.length} customer-service`;
    expect(booked.length).toBe(RESIDENTS * PER_RESIDENT);
    expect(doubled.map(show), "answered twice").toEqual([]);
    expect(resentAfterKill.length, `re-sent after the kill: ${resentAfterKill.map(show).join("; ")}`).toBeLessThanOrEqual(1);
    // What the store holds for a message the resident never saw answered, to tell a lost answer
    // from one delivered without the marker this test books by.
    const stored = async (c: (typeof counts)[number]) => {
      const rows = await variant.read(ws, (db) =>
        db.all<{ st: string; os: string | null; t: string | null }>(
          "SELECT i.status AS st, o.status AS os, substr(o.text, 1, 80) AS t FROM inbound_messages i LEFT JOIN outbox o ON o.inbound_id = i.id WHERE i.text LIKE ?",
          [`%${c.b.marker}%`],
        ),
      );
      return `${show(c)}; stored ${JSON.stringify(rows)}`;
    };
    expect(await Promise.all(lost.map(stored)), "never answered").toEqual([]);
  } finally {
    await child?.kill("SIGKILL");
    await llm.close();
    await wechat.stop();
    await variant.close();
    ws.remove();
  }
}

for (const make of [() => sqliteVariant(), () => postgresVariant(PG_LEASE_SECONDS)]) {
  const probe = make();
  const title = `official account: SIGKILL while passive replies are on their way (${probe.name})${probe.skip ? ` — SKIPPED: ${probe.skip}` : ""}`;
  void probe.close();
  describe.skipIf(probe.skip !== null)(title, () => {
    for (let run = 1; run <= RUNS; run++) {
      it(`run ${run}/${RUNS}: every MsgId answered exactly once`, () => oneRun(make(), run), 300_000);
    }
  });
}
