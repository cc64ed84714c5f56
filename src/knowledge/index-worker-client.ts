// Starting the index-building worker thread (index-worker.js → index-worker-main.ts) and
// turning its one report into a promise.

import type { Config } from "../config.ts";
import { Worker, type ResourceLimits } from "node:worker_threads";
import type { IndexInputs } from "./index-folder.ts";

/** The store the index worker opens for itself. */
export type IndexWorkerSource = { kind: "sqlite"; path: string } | { kind: "postgres" };

/** What the index worker is handed (its workerData): everything it needs to build alone. */
export interface IndexWorkerInput {
  config: Config;
  source: IndexWorkerSource;
  /** Folder to save the index and its stamp into (a temporary sibling of the index folder). */
  dir: string;
  inputs: IndexInputs;
  progress: boolean;
}

/** The worker's one report: what it built, or why it could not. */
export type IndexWorkerResult =
  | { ok: true; dir: string; knowledgeVersion: number; articles: number; ms: number }
  | { ok: false; error: string; stack?: string };

/** The worker's entry point: plain JS that registers tsx, then runs index-worker-main.ts. */
const INDEX_WORKER_URL = new URL("./index-worker.js", import.meta.url);

/** A running index worker: terminate it to stop the build; `result` settles once either way. */
export interface IndexWorkerRun {
  worker: Worker;
  result: Promise<Extract<IndexWorkerResult, { ok: true }>>;
}

/** Starts a worker that builds the index into `input.dir`; the parent loads and swaps it in. */
export function startIndexWorker(input: IndexWorkerInput, resourceLimits?: ResourceLimits): IndexWorkerRun {
  const worker = new Worker(INDEX_WORKER_URL, { workerData: input, resourceLimits });
  const result = new Promise<Extract<IndexWorkerResult, { ok: true }>>((resolvePromise, reject) => {
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      done();
      // The worker has closed its store before reporting; nothing of it is needed any more.
      void worker.terminate();
    };
    worker.once("message", (r: IndexWorkerResult) =>
      settle(() => {
        if (r.ok) return resolvePromise(r);
        const err = new Error(`index worker: ${r.error}`);
        if (r.stack) err.stack = `${err.message}\n${r.stack}`;
        reject(err);
      }),
    );
    worker.once("error", (err) => settle(() => reject(new Error(`index worker: ${err.message}`, { cause: err }))));
    worker.once("exit", (code) => settle(() => reject(new Error(`index worker: stopped (exit code ${code}) before reporting`))));
  });
  return { worker, result };
}
