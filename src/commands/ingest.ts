import { SingleBar, Presets } from "cli-progress";
import type { Config } from "../config.ts";
import { ingestPaths, type IngestSummary } from "../knowledge/ingest.ts";
import { openKnowledge } from "../knowledge/base.ts";

export async function runIngest(config: Config, paths: string[]): Promise<number> {
  const kb = await openKnowledge(config, { buildIndex: false });
  try {
    const summary = await ingestWithProgress(kb.store, paths);
    printSummary(summary);
    if (summary.changed || !kb.hasIndex()) {
      const t = Date.now();
      await kb.rebuildIndex({ progress: process.stderr.isTTY });
      console.log(`index rebuilt in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    return summary.added + summary.updated + summary.unchanged > 0 || summary.skipped.length === 0 ? 0 : 1;
  } finally {
    await kb.close();
  }
}

export async function ingestWithProgress(store: Parameters<typeof ingestPaths>[0], paths: string[]): Promise<IngestSummary> {
  const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: "ingest [{bar}] {value}/{total} {file}" }, Presets.shades_classic) : null;
  let started = false;
  return ingestPaths(store, paths, {
    onProgress(done, total, file) {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0, { file: "" });
        started = true;
      }
      bar.update(done, { file: file.slice(-40) });
      if (done === total) bar.stop();
    },
  });
}

function printSummary(s: IngestSummary): void {
  console.log(
    `files ${s.files}: ${s.added} added, ${s.updated} updated, ${s.unchanged} unchanged, ${s.removed} removed; ` +
      `${s.articles} articles and ${s.guides} guides written; ${s.skipped.length} skipped`,
  );
  for (const p of s.skipped.slice(0, 50)) console.log(`  skipped ${p.path}${p.line ? `:${p.line}` : ""}: ${p.message}`);
  if (s.skipped.length > 50) console.log(`  … and ${s.skipped.length - 50} more`);
}
