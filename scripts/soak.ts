// Soak: mixed traffic on loopback against a real `lawdesk serve` child process (tiny statute
// corpus), on the embedded SQLite store and on PostgreSQL, one after the other: residents'
// questions answered by the bot, escalations via 转人工, and duty lawyers claiming, replying
// to and closing referrals through the console API. 127.0.0.1 only. Reports per store the
// throughput, p50/p95/p99 latency per request kind, errors, the server's RSS at start and
// end with a growth verdict, and checks in the database that every message got exactly one
// answer (or escalation) and, through the residents' own history, that every lawyer reply
// arrived exactly once.
//
//   node bin/run-script.js scripts/soak.ts [--minutes 10] [--store sqlite|postgres|both]
//                                          [--concurrency 8] [--lawyers 4]
//
// PostgreSQL: LAWDESK_BENCH_DATABASE_URL, else DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test; each run gets a fresh random schema, dropped after.
// `runSoaks()` / `printComparison()` are exported for `npm run bench`. This file runs the
// traffic; the parts are in scripts/soak/: memory.ts (the RSS verdict), db-checks.ts (the
// counts in the store afterwards), report.ts (percentiles and the comparison table),
// postgres.ts and types.ts.

import { pathToFileURL } from "node:url";
import { dropSchema, randomTestSchema } from "../src/store/pg/pool.ts";
import { CHILD_ADMIN_PASSWORD, HttpActor, makeWorkspace, startChild } from "../test/reliability/child-server.ts";
import { dbChecks } from "./soak/db-checks.ts";
import { round1, RSS_SAMPLE_MS, rssReport } from "./soak/memory.ts";
import { pgUnreachable, pgUrl, redactUrl } from "./soak/postgres.ts";
import { machine, printComparison, stats } from "./soak/report.ts";
import type { LatencyStats, SoakOptions, SoakReport, SoakRun, SoakStore } from "./soak/types.ts";

export { rssReport } from "./soak/memory.ts";
export { pgUnreachable, pgUrl } from "./soak/postgres.ts";
export { machine, printComparison } from "./soak/report.ts";
export type { LatencyStats, RssReport, SoakChecks, SoakOptions, SoakReport, SoakRun, SoakStore } from "./soak/types.ts";

/** Labour questions the bundled guides answer, then small talk. */
export const QUESTIONS = [
  "老板欠我三个月工资不给咋办",
  "单位一直不签劳动合同，能要双倍工资吗",
  "公司拖欠加班费，劳动部门能管吗",
  "没签合同干了半年，被辞退了怎么办",
  "工资被克扣了去哪里投诉",
  "欠薪可以申请支付令吗",
  "你好",
  "谢谢",
];
/** Messages per simulated resident before a new one arrives (stays under the per-resident flood limit). */
const MESSAGES_PER_RESIDENT = 4;
/** Every other resident asks for a person with its last message: one message in eight. */
const ESCALATE_EVERY_NTH_RESIDENT = 2;
const LAWYER_PASSWORD = "Soak-Lawyer-Passw0rd-2026";
const RESIDENT_COOKIE = "ld_rk";

/** The resident key the server set in its signed cookie (`web-<uuid>.<signature>`). */
function residentKeyOf(actor: HttpActor): string | null {
  const raw = actor.cookie(RESIDENT_COOKIE);
  if (!raw) return null;
  const value = decodeURIComponent(raw);
  const dot = value.lastIndexOf(".");
  return dot > 0 ? value.slice(0, dot) : null;
}

/** A request that never throws: a refused connection counts as a failed request (status 0). */
async function call(actor: HttpActor, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  try {
    return await actor.request(method, path, body);
  } catch (err) {
    return { status: 0, body: String((err as Error).cause ?? err), ms: performance.now() - t0 };
  }
}

export async function soak(opts: SoakOptions): Promise<SoakReport> {
  const store = opts.store ?? "sqlite";
  const minutes = opts.minutes;
  const concurrency = opts.concurrency ?? 8;
  const lawyers = opts.lawyers ?? Math.max(1, Math.ceil(concurrency / 2));
  const maxRequests = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  const progressSeconds = opts.progressSeconds ?? 30;
  const databaseUrl = opts.databaseUrl ?? pgUrl();
  const schema = store === "postgres" ? randomTestSchema() : null;
  const ws = makeWorkspace(`lawdesk-soak-${store}-`);
  const pgEnv: Record<string, string> = schema ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema } : {};
  let child: Awaited<ReturnType<typeof startChild>> | null = null;
  let sampler: NodeJS.Timeout | undefined;
  let progress: NodeJS.Timeout | undefined;

  try {
    // Each simulated resident posts from its own address (X-Forwarded-For), as behind the bureau's proxy.
    child = await startChild(ws, { LAWDESK_TRUST_PROXY: "1", LOG_LEVEL: "warn", ...pgEnv });
    const server = child;
    const latencies = new Map<string, number[]>();
    const errors = new Map<string, number>();
    const errorSamples: string[] = [];
    const counts = { escalated: 0, botEscalated: 0, replied: 0, closed: 0 };
    let claimConflicts = 0;
    let messagesPosted = 0;
    let requests = 0;
    let stoppedByRequestCap = false;
    const record = (kind: string, res: { status: number; ms: number; body?: unknown }, ok = res.status === 200) => {
      requests++;
      if (!latencies.has(kind)) latencies.set(kind, []);
      latencies.get(kind)!.push(res.ms);
      if (!ok) {
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
        if (errorSamples.length < 10) errorSamples.push(`${kind}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    };

    // Lawyers: county-wide accounts created by the administrator, each with its password set.
    const admin = new HttpActor(server.base, "10.254.0.1");
    const adminLogin = await admin.login("admin", CHILD_ADMIN_PASSWORD);
    if (adminLogin.status !== 200) throw new Error(`admin login failed: ${adminLogin.status} ${JSON.stringify(adminLogin.body)}`);
    const me = await admin.request("GET", "/api/console/me");
    const county = (me.body?.regions as { id: string; level: string }[] | undefined)?.find((r) => !r.id.includes("."))?.id;
    const lawyerActors: HttpActor[] = [];
    for (let i = 0; i < lawyers; i++) {
      const username = `soak-lawyer-${i + 1}`;
      const created = await admin.request("POST", "/api/console/users", { username, name: `值班律师${i + 1}`, role: "lawyer", password: LAWYER_PASSWORD, regions: county ? [county] : [] });
      if (created.status !== 200) throw new Error(`creating ${username} failed: ${created.status} ${JSON.stringify(created.body)}`);
      const lawyer = new HttpActor(server.base, `10.254.1.${i + 1}`);
      const login = await lawyer.login(username, LAWYER_PASSWORD);
      if (login.status !== 200) throw new Error(`${username} login failed: ${login.status}`);
      if (login.body?.mustChangePassword) {
        const changed = await lawyer.request("POST", "/api/console/password", { oldPassword: LAWYER_PASSWORD, newPassword: `${LAWYER_PASSWORD}-${i + 1}` });
        if (changed.status !== 200) throw new Error(`${username} password change failed: ${changed.status} ${JSON.stringify(changed.body)}`);
        lawyer.csrf = changed.body.csrfToken;
      }
      lawyerActors.push(lawyer);
    }

    const rssSamples: { s: number; mb: number }[] = [];
    // Warm-up (first answers load lazy parts), then the start sample.
    const warm = new HttpActor(server.base, "10.255.0.1");
    for (const [i, q] of QUESTIONS.slice(0, 3).entries()) await warm.request("POST", "/api/chat/messages", { id: `warm-${i}-${Date.now()}`, text: q });
    const started = Date.now();
    const deadline = started + minutes * 60_000;
    const exited = () => server.process.exitCode !== null || server.process.signalCode !== null;
    const more = () => {
      if (requests >= maxRequests) stoppedByRequestCap = true;
      return Date.now() < deadline && requests < maxRequests && !exited();
    };
    const sampleRss = () => rssSamples.push({ s: (Date.now() - started) / 1000, mb: Math.round((server.rssBytes() ?? 0) / 2 ** 20) });
    sampleRss();
    sampler = setInterval(sampleRss, RSS_SAMPLE_MS);
    progress =
      progressSeconds > 0
        ? setInterval(() => {
            const s = (Date.now() - started) / 1000;
            const rss = rssSamples[rssSamples.length - 1]?.mb;
            process.stdout.write(`  [${store}] ${Math.round(s)} s: ${requests} requests, ${(requests / s).toFixed(1)}/s, RSS ${rss} MB, referrals ${counts.escalated} + ${counts.botEscalated} escalated / ${counts.replied} replied\n`);
          }, progressSeconds * 1000)
        : undefined;

    /** Residents whose thread went to a person (转人工, or the bot escalated), by resident key (the referral's residentKey). */
    const escalatedResidents = new Map<string, HttpActor>();
    const replies: { residentKey: string | null; text: string }[] = [];

    let residentNo = 0;
    const residentLoop = async (worker: number) => {
      while (more()) {
        const n = ++residentNo;
        const actor = new HttpActor(server.base, `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
        record("history", await call(actor, "GET", "/api/chat/history"));
        const key = residentKeyOf(actor);
        // Once the thread went to a person, the resident's further messages may go to the
        // lawyer instead of the bot (a reply of null, or the "a lawyer follows up" notice).
        let handedOver = false;
        for (let k = 0; k < MESSAGES_PER_RESIDENT && more(); k++) {
          const escalate = !handedOver && k === MESSAGES_PER_RESIDENT - 1 && n % ESCALATE_EVERY_NTH_RESIDENT === 0;
          const text = escalate ? "转人工" : QUESTIONS[(n + k + worker) % QUESTIONS.length];
          const res = await call(actor, "POST", "/api/chat/messages", { id: `soak-${n}-${k}`, text });
          if (res.status === 200) messagesPosted++;
          const reply = res.body?.reply as { escalated?: boolean } | null | undefined;
          if (escalate) record("escalation", res, res.status === 200 && reply?.escalated === true);
          else if (handedOver && reply == null) record("forwarded to lawyer", res);
          else record("answer", res, res.status === 200 && reply != null);
          if (res.status === 200 && reply?.escalated) {
            if (escalate) counts.escalated++;
            else counts.botEscalated++;
            handedOver = true;
            if (key) escalatedResidents.set(key, actor);
          }
        }
      }
    };

    const lawyerLoop = async (i: number) => {
      const lawyer = lawyerActors[i];
      while (more()) {
        const queue = await call(lawyer, "GET", "/api/console/queue?view=unclaimed");
        record("console.queue", queue);
        const rows = (queue.body?.rows ?? []) as { id: string; number: string }[];
        if (!rows.length) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        // Lawyers take different rows when there are enough; otherwise they race for one (a 409 for the loser).
        const row = rows[i % rows.length];
        const detail = await call(lawyer, "GET", `/api/console/referrals/${row.id}`);
        record("console.detail", detail);
        const residentKey = (detail.body?.referral?.residentKey as string | undefined) ?? null;
        const claim = await call(lawyer, "POST", `/api/console/referrals/${row.id}/claim`);
        if (claim.status === 409) {
          claimConflicts++;
          record("console.claim", claim, true);
          continue;
        }
        record("console.claim", claim);
        if (claim.status !== 200) continue;
        const text = `您好，我是值班律师${i + 1}号（工单${row.number}）。请带上劳动合同和工资记录到司法所，我们当面帮您看。`;
        const reply = await call(lawyer, "POST", `/api/console/referrals/${row.id}/reply`, { text });
        record("lawyer reply", reply);
        if (reply.status === 200) {
          counts.replied++;
          replies.push({ residentKey, text });
        }
        const close = await call(lawyer, "POST", `/api/console/referrals/${row.id}/close`, { outcome: "已答复" });
        record("console.close", close);
        if (close.status === 200) counts.closed++;
      }
    };

    await Promise.all([...Array.from({ length: concurrency }, (_, i) => residentLoop(i)), ...lawyerActors.map((_, i) => lawyerLoop(i))]);
    clearInterval(sampler);
    clearInterval(progress);
    sampleRss();
    const seconds = (Date.now() - started) / 1000;
    const rss = rssReport(rssSamples, seconds);
    if (exited()) {
      const code = server.process.exitCode ?? server.process.signalCode;
      throw new Error(`lawdesk serve (${store}) exited during the soak (${code}) after ${Math.round(seconds)} s:\n${server.output().slice(-4000)}`);
    }

    // Each accepted lawyer reply, looked up in its resident's own history: exactly once.
    let seenOnce = 0;
    let missing = 0;
    let duplicated = 0;
    let unmapped = 0;
    const toCheck = [...replies];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let r = toCheck.pop(); r; r = toCheck.pop()) {
          const actor = r.residentKey ? escalatedResidents.get(r.residentKey) : undefined;
          if (!actor) {
            unmapped++;
            continue;
          }
          const h = await call(actor, "GET", "/api/chat/history");
          const seen = ((h.body?.messages ?? []) as { role: string; text: string }[]).filter((m) => m.role === "lawyer" && m.text === r.text).length;
          if (seen === 1) seenOnce++;
          else if (seen === 0) missing++;
          else duplicated++;
        }
      }),
    );

    await server.kill("SIGTERM");
    child = null;

    const checks = await dbChecks(store, ws.dbPath, databaseUrl, schema, {
      messagesPosted,
      lawyerRepliesAccepted: counts.replied,
      repliesSeenOnce: seenOnce,
      repliesMissing: missing,
      repliesDuplicated: duplicated,
      repliesUnmapped: unmapped,
    });
    const totalErrors = [...errors.values()].reduce((a, b) => a + b, 0);
    if (totalErrors) checks.failures.push(`${totalErrors} failed requests, e.g. ${errorSamples.slice(0, 3).join(" | ")}`);

    const all = [...latencies.values()].flat();
    const latencyMs: Record<string, LatencyStats> = { all: stats(all, totalErrors) };
    for (const [kind, samples] of [...latencies].sort(([a], [b]) => a.localeCompare(b))) latencyMs[kind] = stats(samples, errors.get(kind) ?? 0);
    return {
      store,
      machine: machine(),
      minutes,
      seconds: Math.round(seconds),
      requests,
      stoppedByRequestCap,
      throughputPerSecond: round1(requests / seconds),
      concurrency: { residents: concurrency, lawyers },
      latencyMs,
      claimConflicts,
      rssMb: rss,
      referrals: counts,
      checks,
    };
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
    if (child) await child.kill("SIGTERM");
    ws.remove();
    if (schema) await dropSchema(databaseUrl, schema).catch((err) => console.error(`dropping schema ${schema} failed: ${(err as Error).message}`));
  }
}

/** Soaks each store in turn; PostgreSQL is skipped (with the reason) when unreachable. */
export async function runSoaks(opts: Omit<SoakOptions, "store"> & { stores: SoakStore[] }): Promise<SoakRun> {
  const run: SoakRun = { reports: [], skipped: [] };
  for (const store of opts.stores) {
    if (store === "postgres") {
      const url = opts.databaseUrl ?? pgUrl();
      const why = await pgUnreachable(url);
      if (why) {
        const reason = `PostgreSQL at ${redactUrl(url)} unreachable (${why}); set LAWDESK_BENCH_DATABASE_URL or DATABASE_URL`;
        console.log(`soak [postgres]: SKIPPED: ${reason}`);
        run.skipped.push({ store, reason });
        continue;
      }
    }
    console.log(`soak [${store}]: ${opts.minutes} min, ${opts.concurrency ?? 8} residents + ${opts.lawyers ?? Math.max(1, Math.ceil((opts.concurrency ?? 8) / 2))} lawyers, 127.0.0.1 only`);
    run.reports.push(await soak({ ...opts, store }));
  }
  return run;
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export function parseStores(v: string | undefined): SoakStore[] | null {
  if (v === undefined || v === "both") return ["sqlite", "postgres"];
  if (v === "sqlite" || v === "postgres") return [v];
  return null;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const minutes = Number(argValue("--minutes") ?? 10);
  const concurrency = Number(argValue("--concurrency") ?? 8);
  const lawyers = argValue("--lawyers") === undefined ? undefined : Number(argValue("--lawyers"));
  const stores = parseStores(argValue("--store"));
  if (!(minutes > 0) || !(concurrency > 0) || (lawyers !== undefined && !(lawyers > 0)) || !stores) {
    console.error("usage: soak.ts [--minutes N] [--store sqlite|postgres|both] [--concurrency N] [--lawyers N]");
    process.exit(2);
  }
  const run = await runSoaks({ minutes, concurrency, lawyers, stores });
  printComparison(run);
  console.log(JSON.stringify({ ...run, reports: run.reports.map((r) => ({ ...r, rssMb: { ...r.rssMb, samples: r.rssMb.samples.map((x) => x.mb) } })) }));
  if (run.reports.some((r) => r.checks.failures.length > 0)) process.exitCode = 1;
}
