// Soak: mixed traffic on loopback against a real `lawdesk serve` child process (embedded
// SQLite, tiny statute corpus): residents' questions answered by the bot, escalations via
// 转人工, and a duty lawyer claiming, replying to and closing referrals through the console
// API. Bounded in time and in request count; 127.0.0.1 only. Reports throughput, p95
// latency per kind, and the server's RSS at start and end (growth must stay bounded).
//
//   node bin/run-script.js scripts/soak.ts [--minutes 10] [--concurrency 8]
//
// `soak({ minutes })` is exported for `npm run bench`.

import { cpus, totalmem, platform, release } from "node:os";
import { pathToFileURL } from "node:url";
import { CHILD_ADMIN_PASSWORD, HttpActor, makeWorkspace, startChild } from "../test/reliability/child-server.ts";

export interface SoakOptions {
  minutes: number;
  /** Concurrent resident loops (the lawyer loop runs besides them). */
  concurrency?: number;
  /** Hard cap on requests, whatever the time left. */
  maxRequests?: number;
  /** Print progress every this many seconds (0: quiet). */
  progressSeconds?: number;
}

export interface LatencyStats {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  max: number;
}

export interface SoakReport {
  machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
  minutes: number;
  seconds: number;
  requests: number;
  throughputPerSecond: number;
  latencyMs: Record<string, LatencyStats>;
  rssMb: { start: number; end: number; peak: number; samples: number[] };
  referrals: { escalated: number; replied: number; closed: number };
}

const QUESTIONS = [
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

export function machine(): SoakReport["machine"] {
  const c = cpus();
  return { cpu: c[0]?.model ?? "unknown", cores: c.length, memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, os: `${platform()} ${release()}` };
}

function stats(samples: number[], errors: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { count: s.length, errors, p50: r(at(0.5)), p95: r(at(0.95)), max: r(s[s.length - 1] ?? 0) };
}

export async function soak(opts: SoakOptions): Promise<SoakReport> {
  const minutes = opts.minutes;
  const concurrency = opts.concurrency ?? 8;
  const maxRequests = opts.maxRequests ?? Math.ceil(minutes * 60 * 500);
  const progressSeconds = opts.progressSeconds ?? 30;
  const ws = makeWorkspace("lawdesk-soak-");
  // Each simulated resident posts from its own address (X-Forwarded-For), as behind the bureau's proxy.
  const child = await startChild(ws, { LAWDESK_TRUST_PROXY: "1", LOG_LEVEL: "warn" });
  const latencies = new Map<string, number[]>();
  const errors = new Map<string, number>();
  const counts = { escalated: 0, replied: 0, closed: 0 };
  let requests = 0;
  const deadline = Date.now() + minutes * 60_000;
  const more = () => Date.now() < deadline && requests < maxRequests;
  const record = (kind: string, res: { status: number; ms: number }, ok = res.status === 200) => {
    requests++;
    if (!latencies.has(kind)) latencies.set(kind, []);
    latencies.get(kind)!.push(res.ms);
    if (!ok) errors.set(kind, (errors.get(kind) ?? 0) + 1);
  };

  try {
    const rssSamples: number[] = [];
    const sampleRss = () => rssSamples.push(Math.round((child.rssBytes() ?? 0) / 2 ** 20));
    // Warm-up (first answers load lazy parts), then the start sample.
    const warm = new HttpActor(child.base, "10.255.0.1");
    for (const q of QUESTIONS.slice(0, 3)) await warm.request("POST", "/api/chat/messages", { id: `warm-${q.length}-${Date.now()}`, text: q });
    sampleRss();
    const sampler = setInterval(sampleRss, 5_000);
    const started = Date.now();
    const progress =
      progressSeconds > 0
        ? setInterval(() => {
            const s = (Date.now() - started) / 1000;
            process.stdout.write(`  ${Math.round(s)} s: ${requests} requests, ${(requests / s).toFixed(1)}/s, RSS ${rssSamples[rssSamples.length - 1]} MB\n`);
          }, progressSeconds * 1000)
        : null;

    let residentNo = 0;
    const residentLoop = async (worker: number) => {
      while (more()) {
        const n = ++residentNo;
        const actor = new HttpActor(child.base, `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`);
        record("history", await actor.request("GET", "/api/chat/history"));
        for (let k = 0; k < MESSAGES_PER_RESIDENT && more(); k++) {
          // One message in eight asks for a person: an escalation and a referral.
          const escalate = (n + k) % 8 === 0;
          const text = escalate ? `转人工 soak-${n}-${k}` : QUESTIONS[(n + k + worker) % QUESTIONS.length];
          const res = await actor.request("POST", "/api/chat/messages", { id: `soak-${n}-${k}`, text });
          record(escalate ? "escalation" : "answer", res, res.status === 200 && res.body?.reply != null);
          if (escalate && res.status === 200) counts.escalated++;
        }
      }
    };

    const lawyerLoop = async () => {
      const lawyer = new HttpActor(child.base, "10.254.0.1");
      const login = await lawyer.login("admin", CHILD_ADMIN_PASSWORD);
      if (login.status !== 200) throw new Error(`lawyer login failed: ${login.status}`);
      while (more()) {
        const queue = await lawyer.request("GET", "/api/console/queue?view=unclaimed");
        record("console.queue", queue);
        const row = queue.body?.rows?.[0] as { id: string } | undefined;
        if (!row) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        record("console.detail", await lawyer.request("GET", `/api/console/referrals/${row.id}`));
        const claim = await lawyer.request("POST", `/api/console/referrals/${row.id}/claim`);
        record("console.claim", claim);
        if (claim.status !== 200) continue;
        const reply = await lawyer.request("POST", `/api/console/referrals/${row.id}/reply`, { text: "您好，我是值班律师。请带上劳动合同和工资记录到司法所，我们当面帮您看。" });
        record("console.reply", reply);
        if (reply.status === 200) counts.replied++;
        const close = await lawyer.request("POST", `/api/console/referrals/${row.id}/close`, { outcome: "已答复" });
        record("console.close", close);
        if (close.status === 200) counts.closed++;
      }
    };

    await Promise.all([...Array.from({ length: concurrency }, (_, i) => residentLoop(i)), lawyerLoop()]);
    clearInterval(sampler);
    if (progress) clearInterval(progress);
    sampleRss();
    const seconds = (Date.now() - started) / 1000;
    const all = [...latencies.values()].flat();
    const latencyMs: Record<string, LatencyStats> = { all: stats(all, [...errors.values()].reduce((a, b) => a + b, 0)) };
    for (const [kind, samples] of [...latencies].sort()) latencyMs[kind] = stats(samples, errors.get(kind) ?? 0);
    return {
      machine: machine(),
      minutes,
      seconds: Math.round(seconds),
      requests,
      throughputPerSecond: Math.round((requests / seconds) * 10) / 10,
      latencyMs,
      rssMb: { start: rssSamples[0], end: rssSamples[rssSamples.length - 1], peak: Math.max(...rssSamples), samples: rssSamples },
      referrals: counts,
    };
  } finally {
    await child.kill("SIGTERM");
    ws.remove();
  }
}

export function printReport(r: SoakReport): void {
  const m = r.machine;
  console.log(`machine: ${m.cpu} × ${m.cores}, ${m.memoryGb} GB, Node ${m.node}, ${m.os}`);
  console.log(`soak: ${r.seconds} s, ${r.requests} requests, ${r.throughputPerSecond} req/s`);
  console.log("latency (ms):        count  errors    p50    p95    max");
  for (const [kind, s] of Object.entries(r.latencyMs)) {
    console.log(`  ${kind.padEnd(16)} ${String(s.count).padStart(7)} ${String(s.errors).padStart(7)} ${String(s.p50).padStart(6)} ${String(s.p95).padStart(6)} ${String(s.max).padStart(6)}`);
  }
  console.log(`server RSS (MB): start ${r.rssMb.start}, end ${r.rssMb.end}, peak ${r.rssMb.peak}`);
  console.log(`referrals: ${r.referrals.escalated} escalated, ${r.referrals.replied} replied, ${r.referrals.closed} closed`);
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const minutes = Number(argValue("--minutes") ?? 10);
  const concurrency = Number(argValue("--concurrency") ?? 8);
  if (!(minutes > 0) || !(concurrency > 0)) {
    console.error("usage: soak.ts [--minutes N] [--concurrency N]");
    process.exit(2);
  }
  console.log(`soak: ${minutes} min, ${concurrency} residents at a time + 1 lawyer, 127.0.0.1 only`);
  const report = await soak({ minutes, concurrency });
  printReport(report);
  console.log(JSON.stringify(report));
}
