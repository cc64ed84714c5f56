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
// `runSoaks()` / `printComparison()` are exported for `npm run bench`.

import Database from "better-sqlite3";
import pg from "pg";
import { cpus, totalmem, platform, release } from "node:os";
import { pathToFileURL } from "node:url";
import { dropSchema, randomTestSchema } from "../src/store/pg/pool.ts";
import { PgSql, SqliteSql, sqlValue, type SqlDb } from "../src/store/sql.ts";
import { CHILD_ADMIN_PASSWORD, HttpActor, makeWorkspace, startChild } from "../test/reliability/child-server.ts";

export type SoakStore = "sqlite" | "postgres";

export interface SoakOptions {
  minutes: number;
  store?: SoakStore;
  /** Concurrent resident loops. */
  concurrency?: number;
  /** Concurrent lawyer loops, each its own lawyer account (default: half the residents). */
  lawyers?: number;
  /** Hard cap on requests, whatever the time left (default: none). */
  maxRequests?: number;
  /** Print progress every this many seconds (0: quiet). */
  progressSeconds?: number;
  /** PostgreSQL server for store "postgres" (default: see pgUrl()). */
  databaseUrl?: string;
}

export interface LatencyStats {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RssReport {
  start: number;
  end: number;
  peak: number;
  /** (end - start) / start, percent. */
  growthPct: number;
  /** Median RSS over the second quarter and over the last quarter of the run (MB). */
  q2Median: number;
  q4Median: number;
  /** (q4Median - q2Median) / q2Median, percent. */
  lateGrowthPct: number;
  /** Lowest RSS in the second and in the last quarter (the floor between garbage collections), and its growth in percent. */
  q2Min: number;
  q4Min: number;
  floorGrowthPct: number;
  /** Least-squares slope over the second half of the run, MB per minute. */
  lateSlopeMbPerMin: number;
  verdict: "bounded" | "growing" | "unclear" | "inconclusive";
  samples: { s: number; mb: number }[];
}

export interface SoakChecks {
  /** Soak messages the server acknowledged (200) / rows in inbound_messages. */
  messagesPosted: number;
  inboundRows: number;
  inboundDone: number;
  /** Exactly one bot message and one outbox row for the message. */
  exactlyOneReply: number;
  /** The thread was with a lawyer: the message went to them, no bot answer (by design). */
  forwardedToLawyer: number;
  missingReply: number;
  duplicateReply: number;
  escalationsAsked: number;
  escalationsRecorded: number;
  /** Ordinary questions the pipeline escalated on its own (low confidence): not an error. */
  escalatedUnasked: number;
  /** Lawyer replies accepted (200) / lawyer rows in thread_messages / outbox lawyer_reply by status. */
  lawyerRepliesAccepted: number;
  lawyerRows: number;
  lawyerOutbox: Record<string, number>;
  /** Each accepted reply looked up in its resident's /api/chat/history: seen once, missing, more than once. */
  repliesSeenOnce: number;
  repliesMissing: number;
  repliesDuplicated: number;
  /** Replies whose resident could not be identified from the referral's history. */
  repliesUnmapped: number;
  referralsByStatus: Record<string, number>;
  /** Human-readable failures (empty when all checks pass). */
  failures: string[];
}

export interface SoakReport {
  store: SoakStore;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
  minutes: number;
  seconds: number;
  requests: number;
  stoppedByRequestCap: boolean;
  throughputPerSecond: number;
  concurrency: { residents: number; lawyers: number };
  latencyMs: Record<string, LatencyStats>;
  /** Claims lost to another lawyer (409): expected with several lawyers, not errors. */
  claimConflicts: number;
  rssMb: RssReport;
  /** 转人工 escalations, questions the bot escalated itself, lawyer replies and closures accepted. */
  referrals: { escalated: number; botEscalated: number; replied: number; closed: number };
  checks: SoakChecks;
}

export interface SoakRun {
  reports: SoakReport[];
  skipped: { store: SoakStore; reason: string }[];
}

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
const RSS_SAMPLE_MS = 2_000;
/** Growth of the last quarter's median RSS over the second quarter's above which RSS counts as growing (fixed in advance). */
const BOUNDED_LATE_GROWTH_PCT = 5;
const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";
const LAWYER_PASSWORD = "Soak-Lawyer-Passw0rd-2026";
const RESIDENT_COOKIE = "ld_rk";

export function pgUrl(): string {
  return process.env.LAWDESK_BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_PG_URL;
}

export function machine(): SoakReport["machine"] {
  const c = cpus();
  return { cpu: c[0]?.model ?? "unknown", cores: c.length, memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, os: `${platform()} ${release()}` };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function stats(samples: number[], errors: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);
  return { count: s.length, errors, p50: round1(at(0.5)), p95: round1(at(0.95)), p99: round1(at(0.99)), max: round1(s[s.length - 1] ?? 0) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return 0;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Bounded growth: the median RSS of the last quarter of the run is at most
 * BOUNDED_LATE_GROWTH_PCT above the median of the second quarter. The first quarter is left
 * out (V8's heap, SQLite's page cache and pg's pool fill up there); a leak shows as the
 * second half still climbing. When the median grew but the floor (each quarter's lowest
 * sample, after a collection) did not, the run is "unclear": a garbage-collection sawtooth
 * caught at its peak, or the start of a leak; a longer run decides. "growing" needs both
 * to have grown. Fewer than 3 samples in a quarter: inconclusive.
 */
export function rssReport(samples: { s: number; mb: number }[], seconds: number): RssReport {
  const inRange = (a: number, b: number) => samples.filter((x) => x.s >= a * seconds && x.s <= b * seconds);
  const q2 = inRange(0.25, 0.5).map((x) => x.mb);
  const q4 = inRange(0.75, 1).map((x) => x.mb);
  const half = inRange(0.5, 1);
  let slope = 0;
  if (half.length >= 2) {
    const mx = half.reduce((a, x) => a + x.s, 0) / half.length;
    const my = half.reduce((a, x) => a + x.mb, 0) / half.length;
    const num = half.reduce((a, x) => a + (x.s - mx) * (x.mb - my), 0);
    const den = half.reduce((a, x) => a + (x.s - mx) ** 2, 0);
    slope = den > 0 ? (num / den) * 60 : 0;
  }
  const q2Median = median(q2);
  const q4Median = median(q4);
  const lateGrowthPct = q2Median > 0 ? ((q4Median - q2Median) / q2Median) * 100 : 0;
  const q2Min = q2.length ? Math.min(...q2) : 0;
  const q4Min = q4.length ? Math.min(...q4) : 0;
  const floorGrowthPct = q2Min > 0 ? ((q4Min - q2Min) / q2Min) * 100 : 0;
  const start = samples[0]?.mb ?? 0;
  const end = samples[samples.length - 1]?.mb ?? 0;
  return {
    start,
    end,
    peak: Math.max(0, ...samples.map((x) => x.mb)),
    growthPct: start > 0 ? round1(((end - start) / start) * 100) : 0,
    q2Median,
    q4Median,
    lateGrowthPct: round1(lateGrowthPct),
    q2Min,
    q4Min,
    floorGrowthPct: round1(floorGrowthPct),
    lateSlopeMbPerMin: round1(slope),
    verdict:
      q2.length < 3 || q4.length < 3
        ? "inconclusive"
        : lateGrowthPct <= BOUNDED_LATE_GROWTH_PCT
          ? "bounded"
          : floorGrowthPct > BOUNDED_LATE_GROWTH_PCT
            ? "growing"
            : "unclear",
    samples,
  };
}

/** Whether PostgreSQL answers at `url`; the reason when it does not. */
export async function pgUnreachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    const e = err as { code?: string; message?: string; errors?: { message?: string }[] };
    const detail = e.message || e.errors?.map((x) => x.message).join("; ") || "";
    return [e.code, detail].filter(Boolean).join(": ") || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

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

const redactUrl = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");

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

/** Counts in the store itself, after the server stopped (so nothing is still in flight). */
async function dbChecks(
  store: SoakStore,
  dbPath: string,
  url: string,
  schema: string | null,
  client: Pick<SoakChecks, "messagesPosted" | "lawyerRepliesAccepted" | "repliesSeenOnce" | "repliesMissing" | "repliesDuplicated" | "repliesUnmapped">,
): Promise<SoakChecks> {
  let sql: SqlDb;
  let close: () => Promise<void>;
  if (store === "postgres") {
    const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
    pool.on("error", () => undefined);
    sql = new PgSql(pool);
    close = () => pool.end();
  } else {
    const db = new Database(dbPath, { readonly: true });
    sql = new SqliteSql(db);
    close = async () => {
      db.close();
    };
  }
  try {
    const n = sqlValue.num;
    const row = (await sql.get<Record<string, unknown>>(
      `SELECT COUNT(*) AS inbound,
              SUM(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END) AS done,
              SUM(CASE WHEN COALESCE(b.n, 0) = 1 AND COALESCE(o.n, 0) = 1 THEN 1 ELSE 0 END) AS exactly_one,
              SUM(CASE WHEN i.reason = 'owned_by_person' AND COALESCE(b.n, 0) = 0 AND COALESCE(o.n, 0) <= 1 THEN 1 ELSE 0 END) AS forwarded,
              SUM(CASE WHEN COALESCE(b.n, 0) > 1 OR COALESCE(o.n, 0) > 1 THEN 1 ELSE 0 END) AS duplicated,
              SUM(CASE WHEN i.text LIKE '转人工%' THEN 1 ELSE 0 END) AS asked,
              SUM(CASE WHEN i.text LIKE '转人工%' AND COALESCE(e.n, 0) = 1 THEN 1 ELSE 0 END) AS escalated,
              SUM(CASE WHEN i.text NOT LIKE '转人工%' AND COALESCE(e.n, 0) > 0 THEN 1 ELSE 0 END) AS unasked
         FROM inbound_messages i
         LEFT JOIN (SELECT inbound_id, COUNT(*) AS n FROM thread_messages WHERE role = 'bot' AND inbound_id IS NOT NULL GROUP BY inbound_id) b ON b.inbound_id = i.id
         LEFT JOIN (SELECT inbound_id, COUNT(*) AS n FROM outbox WHERE inbound_id IS NOT NULL GROUP BY inbound_id) o ON o.inbound_id = i.id
         LEFT JOIN (SELECT inbound_id, COUNT(*) AS n FROM escalations WHERE inbound_id IS NOT NULL GROUP BY inbound_id) e ON e.inbound_id = i.id
        WHERE i.channel = 'web' AND i.platform_message_id LIKE ?`,
      ["%:soak-%"],
    ))!;
    const lawyerRows = n((await sql.get<{ n: unknown }>("SELECT COUNT(*) AS n FROM thread_messages WHERE role = 'lawyer'"))?.n);
    const byStatus = async (q: string) =>
      Object.fromEntries((await sql.all<{ status: string; n: unknown }>(q)).map((r) => [r.status, n(r.n)])) as Record<string, number>;
    const lawyerOutbox = await byStatus("SELECT status, COUNT(*) AS n FROM outbox WHERE kind = 'lawyer_reply' GROUP BY status ORDER BY status");
    const referralsByStatus = await byStatus("SELECT status, COUNT(*) AS n FROM referrals GROUP BY status ORDER BY status");
    const c: SoakChecks = {
      ...client,
      inboundRows: n(row.inbound),
      inboundDone: n(row.done),
      exactlyOneReply: n(row.exactly_one),
      forwardedToLawyer: n(row.forwarded),
      missingReply: n(row.inbound) - n(row.exactly_one) - n(row.forwarded) - n(row.duplicated),
      duplicateReply: n(row.duplicated),
      escalationsAsked: n(row.asked),
      escalationsRecorded: n(row.escalated),
      escalatedUnasked: n(row.unasked),
      lawyerRows,
      lawyerOutbox,
      referralsByStatus,
      failures: [],
    };
    const f = c.failures;
    if (c.inboundRows !== c.messagesPosted) f.push(`${c.messagesPosted} messages acknowledged but ${c.inboundRows} stored`);
    if (c.inboundDone !== c.inboundRows) f.push(`${c.inboundRows - c.inboundDone} messages not 'done'`);
    if (c.missingReply) {
      // Which outcome they had instead, for the report.
      const why = await sql.all<{ status: string; reason: string | null; n: unknown }>(
        `SELECT i.status, i.reason, COUNT(*) AS n FROM inbound_messages i
          WHERE i.channel = 'web' AND i.platform_message_id LIKE ?
            AND NOT EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = i.thread_id AND m.inbound_id = i.id AND m.role = 'bot')
            AND COALESCE(i.reason, '') <> 'owned_by_person'
          GROUP BY i.status, i.reason`,
        ["%:soak-%"],
      );
      f.push(`${c.missingReply} messages without an answer (${why.map((w) => `${w.status}/${w.reason ?? "-"}: ${n(w.n)}`).join(", ")})`);
    }
    if (c.duplicateReply) f.push(`${c.duplicateReply} messages answered more than once`);
    if (c.escalationsRecorded !== c.escalationsAsked) f.push(`${c.escalationsAsked} 转人工 messages but ${c.escalationsRecorded} escalations recorded`);
    if (c.lawyerRows !== c.lawyerRepliesAccepted) f.push(`${c.lawyerRepliesAccepted} lawyer replies accepted but ${c.lawyerRows} stored`);
    const outboxTotal = Object.values(c.lawyerOutbox).reduce((a, b) => a + b, 0);
    if (outboxTotal !== c.lawyerRepliesAccepted) f.push(`${c.lawyerRepliesAccepted} lawyer replies accepted but ${outboxTotal} in the outbox`);
    if (c.repliesMissing) f.push(`${c.repliesMissing} lawyer replies missing from the resident's history`);
    if (c.repliesDuplicated) f.push(`${c.repliesDuplicated} lawyer replies shown more than once`);
    if (c.repliesUnmapped) f.push(`${c.repliesUnmapped} lawyer replies whose resident could not be identified`);
    return c;
  } finally {
    await close();
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

export function printComparison(run: SoakRun): void {
  const m = machine();
  console.log(`\nsoak comparison — machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.os}`);
  console.log(`(${run.reports.some((r) => r.store === "postgres") ? "server, load generator and PostgreSQL" : "server and load generator"} share these cores)`);
  for (const s of run.skipped) console.log(`  ${s.store}: skipped: ${s.reason}`);
  const reports = run.reports;
  if (!reports.length) return;
  const cols = reports.map((r) => r.store);
  const rows: [string, string[]][] = [];
  const add = (label: string, f: (r: SoakReport) => string | number) => rows.push([label, reports.map((r) => String(f(r)))]);
  const lat = (r: SoakReport, kind: string) => {
    const s = r.latencyMs[kind];
    return s ? `${s.p50} / ${s.p95} / ${s.p99}` : "-";
  };
  add("duration (s)", (r) => `${r.seconds}${r.stoppedByRequestCap ? " (request cap)" : ""}`);
  add("residents + lawyers", (r) => `${r.concurrency.residents} + ${r.concurrency.lawyers}`);
  add("requests", (r) => r.requests);
  add("throughput (req/s)", (r) => r.throughputPerSecond);
  add("answer p50/p95/p99 ms", (r) => lat(r, "answer"));
  add("escalation p50/p95/p99", (r) => lat(r, "escalation"));
  add("lawyer reply p50/p95/p99", (r) => lat(r, "lawyer reply"));
  add("history p50/p95/p99", (r) => lat(r, "history"));
  add("console queue p95", (r) => r.latencyMs["console.queue"]?.p95 ?? "-");
  add("console detail p95", (r) => r.latencyMs["console.detail"]?.p95 ?? "-");
  add("console claim p95", (r) => r.latencyMs["console.claim"]?.p95 ?? "-");
  add("console close p95", (r) => r.latencyMs["console.close"]?.p95 ?? "-");
  add("all requests p99 / max", (r) => `${r.latencyMs.all.p99} / ${r.latencyMs.all.max}`);
  add("errors (answer/esc/reply/all)", (r) => ["answer", "escalation", "lawyer reply", "all"].map((k) => r.latencyMs[k]?.errors ?? 0).join(" / "));
  add("claim conflicts (409)", (r) => r.claimConflicts);
  add("RSS start → end (MB)", (r) => `${r.rssMb.start} → ${r.rssMb.end} (peak ${r.rssMb.peak})`);
  add("RSS growth start→end", (r) => `${r.rssMb.growthPct}%`);
  add("RSS median Q2 → Q4 (MB)", (r) => `${r.rssMb.q2Median} → ${r.rssMb.q4Median} (${r.rssMb.lateGrowthPct}%)`);
  add("RSS floor Q2 → Q4 (MB)", (r) => `${r.rssMb.q2Min} → ${r.rssMb.q4Min} (${r.rssMb.floorGrowthPct}%)`);
  add("RSS slope 2nd half", (r) => `${r.rssMb.lateSlopeMbPerMin} MB/min`);
  add("memory verdict", (r) => r.rssMb.verdict);
  add("messages acked / stored", (r) => `${r.checks.messagesPosted} / ${r.checks.inboundRows}`);
  add("exactly one answer", (r) => `${r.checks.exactlyOneReply} (+${r.checks.forwardedToLawyer} to lawyer; missing ${r.checks.missingReply}, dup ${r.checks.duplicateReply})`);
  add("转人工 asked / escalated", (r) => `${r.checks.escalationsAsked} / ${r.checks.escalationsRecorded}`);
  add("escalated by the bot", (r) => r.checks.escalatedUnasked);
  add("referrals (by status)", (r) => Object.entries(r.checks.referralsByStatus).map(([k, v]) => `${k} ${v}`).join(", "));
  add("lawyer replies acked / stored", (r) => `${r.checks.lawyerRepliesAccepted} / ${r.checks.lawyerRows}`);
  add("reply outbox status", (r) => Object.entries(r.checks.lawyerOutbox).map(([k, v]) => `${k} ${v}`).join(", ") || "-");
  add("replies in history once", (r) => `${r.checks.repliesSeenOnce} (missing ${r.checks.repliesMissing}, dup ${r.checks.repliesDuplicated}, unmapped ${r.checks.repliesUnmapped})`);
  add("checks", (r) => (r.checks.failures.length ? "FAILED" : "pass"));
  // Terminal width: CJK characters take two columns.
  const width = (t: string) => [...t].reduce((a, ch) => a + (/[\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/.test(ch) ? 2 : 1), 0);
  const pad = (t: string, w: number) => t + " ".repeat(Math.max(0, w - width(t)));
  const w0 = Math.max(...rows.map(([l]) => width(l))) + 2;
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map(([, v]) => width(v[i]))) + 2);
  console.log(pad("", w0) + cols.map((c, i) => pad(c, widths[i])).join("").trimEnd());
  for (const [label, vals] of rows) console.log((pad(label, w0) + vals.map((v, i) => pad(v, widths[i])).join("")).trimEnd());
  console.log(
    `memory verdict: "bounded" when the median RSS of the run's last quarter is at most ${BOUNDED_LATE_GROWTH_PCT}% above the second quarter's ` +
      `(first quarter excluded as warm-up; RSS sampled every ${RSS_SAMPLE_MS / 1000} s); "growing" when the median and the floor (lowest sample) both grew more; ` +
      `"unclear" when only the median did (a GC sawtooth at its peak, or a leak starting: run longer); "inconclusive" with under 3 samples per quarter.`,
  );
  for (const r of reports) for (const f of r.checks.failures) console.log(`  ${r.store}: FAILED: ${f}`);
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
