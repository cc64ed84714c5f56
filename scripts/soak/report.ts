// The soak's numbers: latency percentiles per request kind, the machine, and the table that
// compares the stores side by side.

import { cpus, platform, release, totalmem } from "node:os";
import { BOUNDED_LATE_GROWTH_PCT, round1, RSS_SAMPLE_MS } from "./memory.ts";
import type { LatencyStats, SoakReport, SoakRun } from "./types.ts";

export function machine(): SoakReport["machine"] {
  const c = cpus();
  return { cpu: c[0]?.model ?? "unknown", cores: c.length, memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, os: `${platform()} ${release()}` };
}

export function stats(samples: number[], errors: number): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : 0);
  return { count: s.length, errors, p50: round1(at(0.5)), p95: round1(at(0.95)), p99: round1(at(0.99)), max: round1(s[s.length - 1] ?? 0) };
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

