// End-to-end answer latency without a language model, over the full STARD corpus: the
// whole pipeline (normalise, intent, retrieval, guides, confidence, compose) per question.

import { join, resolve } from "node:path";
import { existsSync } from "node:fs";
import pino from "pino";
import { PROJECT_ROOT, SHARED_DATA_DIR } from "../src/config.ts";
import { ServiceDirectory } from "../src/knowledge/directory.ts";
import { ingestPaths } from "../src/knowledge/ingest.ts";
import { IndexRetriever } from "../src/knowledge/retriever.ts";
import { Answerer } from "../src/pipeline/answer.ts";
import { loadTopics } from "../src/pipeline/topic.ts";
import { EMPTY_CONTEXT } from "../src/pipeline/types.ts";
import { readLabelledQuestions } from "../src/retrieval/question-bank.ts";
import { buildOrLoadIndex } from "../src/retrieval/rank.ts";
import { loadTermsFile } from "../src/retrieval/knowledge-files.ts";
import { SqlKnowledgeStore } from "../src/store/knowledge-store.ts";
import { openSqlite } from "../src/store/sqlite.ts";
import { readJsonl } from "./lib/ir-metrics.ts";
import { profileOf } from "../src/channels/profiles.ts";

const STARD = resolve(SHARED_DATA_DIR, "stard");
const KNOWLEDGE = resolve(PROJECT_ROOT, "knowledge");

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function benchAnswers(): Promise<{ n: number; p50: number; p95: number; p99: number } | null> {
  if (!existsSync(join(STARD, "corpus.jsonl"))) return null;
  const { index } = buildOrLoadIndex({ corpusPath: join(STARD, "corpus.jsonl"), queriesPath: "", cacheDir: join(PROJECT_ROOT, ".cache/retrieval") });
  const db = openSqlite(":memory:");
  const store = new SqlKnowledgeStore(db);
  await ingestPaths(store, [join(KNOWLEDGE, "guides")]);
  const bankPath = join(STARD, "queries-train.jsonl");
  const answerer = new Answerer({
    retriever: new IndexRetriever(index, await store.allGuides(), readLabelledQuestions(bankPath)),
    directory: ServiceDirectory.load(KNOWLEDGE),
    topics: loadTopics(KNOWLEDGE),
    typos: loadTermsFile(join(KNOWLEDGE, "terms.yaml")).typos,
    log: pino({ level: "silent" }),
  });
  const questions = readJsonl<{ query: string }>(bankPath).map((q) => q.query);
  for (const q of questions.slice(0, 50)) await answerer.run(q, { ...EMPTY_CONTEXT }, profileOf("wechat_oa").format); // warm-up
  const times: number[] = [];
  for (const q of questions) {
    const t = performance.now();
    await answerer.run(q, { ...EMPTY_CONTEXT }, profileOf("wechat_oa").format);
    times.push(performance.now() - t);
  }
  db.close();
  times.sort((a, b) => a - b);
  return { n: times.length, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99) };
}
