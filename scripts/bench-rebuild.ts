// Benchmark: how long the event loop of a running knowledge base stalls while its index is
// rebuilt, on the main thread (what a server did before) and in the worker thread (what it
// does now), over a synthetic corpus whose build is seconds of CPU. Part of `npm run bench`;
// alone: node bin/run-script.js scripts/bench-rebuild.ts. The tests check what does not
// depend on the machine (the worker built it, the old index answered meanwhile); the
// durations are measured here.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { openKnowledge } from "../src/knowledge/base.ts";
import { ingestPaths } from "../src/knowledge/ingest.ts";
import { BEE_LAW, syntheticLawsJsonl } from "../test/knowledge/synthetic-laws.ts";
import { LABOUR_LAW } from "../test/server/helpers.ts";

/** The event loop during one rebuild: its longest gap between 5 ms ticks, the ticks, the whole time. */
export interface LoopStall {
  worstStallMs: number;
  ticks: number;
  ms: number;
}

export interface RebuildBench {
  articles: number;
  inProcess: LoopStall;
  inWorker: LoopStall;
}

async function measureStall(run: () => Promise<unknown>): Promise<LoopStall> {
  let last = performance.now();
  let worst = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    ticks++;
  }, 5);
  const t0 = performance.now();
  try {
    await run();
    const now = performance.now();
    return { worstStallMs: Math.round(Math.max(worst, now - last)), ticks, ms: Math.round(now - t0) };
  } finally {
    clearInterval(timer);
  }
}

export async function benchRebuild(laws = 35, perLaw = 100): Promise<RebuildBench> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-bench-rebuild-"));
  try {
    mkdirSync(join(dir, "laws"));
    writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
    writeFileSync(join(dir, "laws", "合成测试条例.jsonl"), syntheticLawsJsonl(laws, perLaw));
    const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_TRAINING: "off", LOG_LEVEL: "silent" }, dir);
    const kb = await openKnowledge(config);
    try {
      const inProcess = await measureStall(() => kb.rebuildIndex());
      // A new law in the store, picked up as a running server does (in the worker thread).
      writeFileSync(join(dir, "bee.md"), BEE_LAW);
      await ingestPaths(kb.store, [join(dir, "bee.md")]);
      const inWorker = await measureStall(() => kb.refreshNow());
      return { articles: kb.articleCount, inProcess, inWorker };
    } finally {
      await kb.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatRebuildBench(r: RebuildBench): string {
  return (
    `index rebuild     ${r.articles} articles: event loop's worst stall ${r.inProcess.worstStallMs} ms on the main thread ` +
    `(${r.inProcess.ms} ms build), ${r.inWorker.worstStallMs} ms with the worker (${r.inWorker.ms} ms refresh, ${r.inWorker.ticks} ticks of 5 ms)`
  );
}

if (process.argv[1]?.endsWith("scripts/bench-rebuild.ts")) console.log(formatRebuildBench(await benchRebuild()));
