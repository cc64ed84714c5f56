// Retrieval benchmark on the STARD corpus: index build time and peak memory (measured in
// a child process, so the parent's own allocations do not count), load time, and search
// latency percentiles over the training questions.
//   npm run bench [-- --no-dense]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readCorpusJsonl } from "../src/retrieval/corpus.ts";
import { loadAliasesFile, loadTermsFile } from "../src/retrieval/knowledge-files.ts";
import { PROJECT_ROOT, loadTrainingFor } from "../src/retrieval/rank.ts";
import { SearchIndex, releaseBuildCache } from "../src/retrieval/search-index.ts";
import { readJsonl } from "./lib/ir-metrics.ts";
import { machineLine } from "./eval.ts";
import { sharedNationalLawFolders } from "../src/paths.ts";

export interface BenchRetrievalResult {
  articles: number;
  buildSeconds: number;
  buildPeakRssMB: number;
  loadSeconds: number;
  searchPeakRssMB: number;
  latencyMs: { p50: number; p95: number; p99: number; mean: number; n: number };
  /** The same questions with the first stage alone (no reranker), interleaved with latencyMs. */
  firstStageMs: { p50: number; p95: number; p99: number; mean: number; n: number };
}

const DATA = resolve(PROJECT_ROOT, "../shared/data/stard");
const SCRIPT = resolve(PROJECT_ROOT, "scripts/bench.ts");
const RUNNER = resolve(PROJECT_ROOT, "bin/run-script.js");

function maxRssMB(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in kilobytes
}

/** Child: build and save; prints a JSON line. */
function childBuild(dir: string, dense: boolean): void {
  const t0 = performance.now();
  const articles = readCorpusJsonl(join(DATA, "corpus.jsonl"), { chaptersFrom: sharedNationalLawFolders() });
  const terms = loadTermsFile(join(PROJECT_ROOT, "knowledge/terms.yaml"));
  const training = loadTrainingFor(join(DATA, "queries-train.jsonl"), new Set(articles.map((a) => a.id))) ?? undefined;
  const index = SearchIndex.build(articles, {
    terms: terms.terms,
    typos: terms.typos,
    aliases: loadAliasesFile(join(PROJECT_ROOT, "knowledge/law-aliases.yaml")),
    training,
    dense: dense ? "lsa" : false,
    onProgress: (s) => process.stderr.write(`[build ${((performance.now() - t0) / 1000).toFixed(1)}s] ${s}\n`),
  });
  releaseBuildCache(index);
  index.save(dir);
  const buildSeconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ articles: index.size, buildSeconds, buildPeakRssMB: maxRssMB() }));
}

/** Child: load and time searches; prints a JSON line. */
function childSearch(dir: string): void {
  const t0 = performance.now();
  const index = SearchIndex.load(dir);
  const loadSeconds = (performance.now() - t0) / 1000;
  const qs = readJsonl<{ query: string }>(join(DATA, "queries-train.jsonl")).map((q) => q.query);
  for (const q of qs.slice(0, 50)) index.search(q, 10); // JIT warm-up
  // The shipped search and the first stage alone, interleaved per question: the baseline runs
  // in the same process under the same load, so their ratio is what the reranker costs.
  const times: number[] = [];
  const firstStage: number[] = [];
  for (const q of qs) {
    let s = performance.now();
    index.search(q, 10);
    times.push(performance.now() - s);
    s = performance.now();
    index.search(q, 10, { rerank: false });
    firstStage.push(performance.now() - s);
  }
  console.log(JSON.stringify({ loadSeconds, searchPeakRssMB: maxRssMB(), latencyMs: percentiles(times), firstStageMs: percentiles(firstStage) }));
}

function percentiles(xs: number[]): BenchRetrievalResult["latencyMs"] {
  const sorted = [...xs].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return { p50: pct(50), p95: pct(95), p99: pct(99), mean: xs.reduce((a, b) => a + b, 0) / xs.length, n: xs.length };
}

function runChild(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [RUNNER, SCRIPT, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench child ${args[0]} failed (${r.status})`);
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as Record<string, unknown>;
}

export async function benchRetrieval(opts: { dense?: boolean } = {}): Promise<BenchRetrievalResult> {
  if (!existsSync(join(DATA, "corpus.jsonl"))) throw new Error(`STARD data not found under ${DATA}`);
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-bench-"));
  try {
    const b = runChild(["--child-build", dir, opts.dense === false ? "--no-dense" : "--dense"]);
    const s = runChild(["--child-search", dir]);
    return { ...(b as object), ...(s as object) } as BenchRetrievalResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child-build") return childBuild(args[1], args[2] !== "--no-dense");
  if (args[0] === "--child-search") return childSearch(args[1]);
  console.log(machineLine());
  const r = await benchRetrieval({ dense: !args.includes("--no-dense") });
  console.log(`articles          ${r.articles}`);
  console.log(`build             ${r.buildSeconds.toFixed(1)} s, peak RSS ${r.buildPeakRssMB.toFixed(0)} MB`);
  console.log(`load              ${r.loadSeconds.toFixed(1)} s, search-process peak RSS ${r.searchPeakRssMB.toFixed(0)} MB`);
  console.log(
    `search latency    p50 ${r.latencyMs.p50.toFixed(2)} ms, p95 ${r.latencyMs.p95.toFixed(2)} ms, p99 ${r.latencyMs.p99.toFixed(2)} ms (n=${r.latencyMs.n}, k=10)`,
  );
  const f = r.firstStageMs;
  console.log(
    `  first stage only p50 ${f.p50.toFixed(2)} ms, p95 ${f.p95.toFixed(2)} ms, p99 ${f.p99.toFixed(2)} ms; with the reranker ×${(r.latencyMs.p50 / f.p50).toFixed(2)} at p50, ×${(r.latencyMs.p95 / f.p95).toFixed(2)} at p95 (interleaved, same process)`,
  );
  const { benchAnswers } = await import("./bench-answers.ts");
  const a = await benchAnswers();
  if (a) console.log(`answer latency    p50 ${a.p50.toFixed(1)} ms, p95 ${a.p95.toFixed(1)} ms, p99 ${a.p99.toFixed(1)} ms (n=${a.n}, whole pipeline, no language model)`);
  const { benchRebuild, formatRebuildBench } = await import("./bench-rebuild.ts");
  console.log(formatRebuildBench(await benchRebuild()));
  const { benchWechat, formatBenchWechat } = await import("./bench-wechat.ts");
  for (const aes of [false, true]) console.log(formatBenchWechat(await benchWechat({ aes })));
  if (!args.includes("--no-soak")) {
    // Soak: mixed traffic against a real `lawdesk serve`, on SQLite and then on PostgreSQL
    // (skipped with the reason when unreachable), 10 minutes each unless --soak-minutes N;
    // --soak-store sqlite|postgres|both.
    const { runSoaks, printComparison, parseStores } = await import("./soak.ts");
    const minutes = args.includes("--soak-minutes") ? Number(args[args.indexOf("--soak-minutes") + 1]) : 10;
    const stores = parseStores(args.includes("--soak-store") ? args[args.indexOf("--soak-store") + 1] : undefined);
    if (!(minutes > 0) || !stores) throw new Error("--soak-minutes needs a positive number, --soak-store sqlite|postgres|both");
    printComparison(await runSoaks({ minutes, stores }));
  }
}

if (process.argv[1]?.endsWith("scripts/bench.ts")) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
