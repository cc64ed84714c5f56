// The index-building worker thread (started through index-worker.js, see
// KnowledgeBase.rebuildIndex): opens the running process's store itself, from the app's
// configuration, builds the search index exactly as an in-process rebuild does (same
// vocabulary and labelled questions, handed over by the parent), saves it with its stamp
// into the folder it was given, and reports what it built, or why it could not.

import { existsSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { SqlKnowledgeStore } from "../store/knowledge-store.ts";
import { openPg } from "../store/pg/pool.ts";
import { openSqlite } from "../store/sqlite.ts";
import { openKnowledge, type IndexWorkerInput, type IndexWorkerResult, type KnowledgeBase } from "./base.ts";

async function build(input: IndexWorkerInput): Promise<IndexWorkerResult> {
  const { config, source } = input;
  let kb: KnowledgeBase;
  let release: () => Promise<void> | void;
  if (source.kind === "sqlite") {
    // Never create an empty store where the running one should be: that would build (and
    // swap in) an empty index.
    if (!existsSync(source.path)) throw new Error(`the knowledge store ${source.path} is missing`);
    const db = openSqlite(source.path);
    release = () => {
      db.close();
    };
    kb = await openKnowledge(config, { buildIndex: false, db });
  } else {
    if (!config.DATABASE_URL) throw new Error("no DATABASE_URL for the index worker");
    // A small pool of its own on the same database and schema; the parent has migrated it.
    const pg = await openPg(config.DATABASE_URL, { schema: config.DATABASE_SCHEMA, max: 2, migrate: false });
    release = () => pg.close();
    kb = await openKnowledge(config, { buildIndex: false, store: new SqlKnowledgeStore(pg.pool) });
  }
  try {
    const built = await kb.buildIndexInto(input.dir, input.inputs, input.progress);
    return { ok: true, dir: input.dir, knowledgeVersion: built.knowledgeVersion, articles: built.articles, ms: built.ms };
  } finally {
    await kb.close();
    await release();
  }
}

const input = workerData as IndexWorkerInput;
let result: IndexWorkerResult;
try {
  result = await build(input);
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  result = { ok: false, error: err.message, stack: err.stack };
}
parentPort!.postMessage(result);
