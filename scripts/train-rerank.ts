// Trains the retrieval reranker (src/retrieval/rerank.ts) on STARD's labelled questions and
// writes src/retrieval/rerank-model.json. Every question's features come from an index that
// never saw it (5 folds). `npm run eval` reports the model on questions it was not trained
// on (nested folds); this script only fits the shipped one.
//   node bin/run-script.js scripts/train-rerank.ts [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readCorpusJsonl } from "../src/retrieval/corpus.ts";
import { loadAliasesFile, loadTermsFile } from "../src/retrieval/knowledge-files.ts";
import { PROJECT_ROOT, SHARED_DATA_DIR, sharedNationalLawFolders } from "../src/paths.ts";
import { SearchIndex } from "../src/retrieval/search-index.ts";
import { kFolds, readJsonl, type LabelledQuery } from "./lib/ir-metrics.ts";
import { trainOnFolds } from "./lib/rerank-folds.ts";

/** The settings `npm run eval` measures; change both together. */
export const RERANK_TRAINING = { rounds: 100, depth: 3, rate: 0.1 };

const MODEL_PATH = join(PROJECT_ROOT, "src/retrieval/rerank-model.json");

async function main(): Promise<void> {
  const log = (m: string) => process.stderr.write(`[train-rerank] ${m}\n`);
  const articles = readCorpusJsonl(join(SHARED_DATA_DIR, "stard/corpus.jsonl"), { chaptersFrom: sharedNationalLawFolders() });
  const queries = readJsonl<LabelledQuery>(join(SHARED_DATA_DIR, "stard/queries-train.jsonl"));
  const terms = loadTermsFile(join(PROJECT_ROOT, "knowledge/terms.yaml"));
  const aliases = loadAliasesFile(join(PROJECT_ROOT, "knowledge/law-aliases.yaml"));
  const base = { terms: terms.terms, typos: terms.typos, aliases, dense: "lsa" as const };
  const full = SearchIndex.build(articles, { ...base, rerank: false, onProgress: log });
  const model = trainOnFolds(articles, { ...base, reuseFrom: full }, kFolds(queries, 5), full.tokenizer, { ...RERANK_TRAINING, log });
  const json = JSON.stringify(model);
  if (process.argv.includes("--check")) {
    const same = readFileSync(MODEL_PATH, "utf8").trim() === json;
    console.log(same ? "rerank-model.json is what the training data gives" : "rerank-model.json differs from a fresh training run");
    process.exit(same ? 0 : 1);
  }
  writeFileSync(MODEL_PATH, json + "\n");
  console.log(`wrote ${MODEL_PATH}: ${model.trainedOn}`);
}

if (process.argv[1]?.endsWith("scripts/train-rerank.ts")) await main();
