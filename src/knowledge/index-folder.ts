// The search index as saved in the data directory: its stamp (what it was built from), how a
// build is made from the store, and how a finished build replaces the saved one without a
// reader ever seeing half an index.

import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Embeddings } from "@langchain/core/embeddings";
import type { Logger } from "pino";
import type { AliasEntry, TermsFile } from "../retrieval/knowledge-files.ts";
import type { BankQuestion } from "../retrieval/question-bank.ts";
import { SearchIndex, type TrainingQuestion } from "../retrieval/search-index.ts";
import type { KnowledgeStore } from "../store/knowledge-store.ts";
import { isCurrentLaw } from "./status.ts";
import type { ArticleUnit } from "./types.ts";

/** stamp.json beside a saved index: the store version and inputs it was built from. */
export interface IndexStamp {
  knowledgeVersion: number;
  builtAt: string;
  /** Fingerprint of the inputs besides the store (terms, aliases, labelled questions). */
  inputs?: string;
}

/** What an index is built from besides the store's articles: handed to the worker as is. */
export interface IndexInputs {
  terms: TermsFile;
  aliases: AliasEntry[];
  /** Labelled questions (document expansion, kNN); empty when training is off. */
  bank: BankQuestion[];
}

/** An index built from the store and saved into a folder, with the store version it reflects. */
export interface BuiltIndex {
  index: SearchIndex;
  knowledgeVersion: number;
  articles: number;
  ms: number;
}

/**
 * What the saved index was built from besides the store's articles. An edited terms.yaml or
 * law-aliases.yaml, or a new question bank, changes it: the saved index is then rebuilt at
 * start-up instead of silently answering with yesterday's vocabulary.
 */
export function fingerprintInputs(inputs: IndexInputs): string {
  const h = createHash("sha256");
  h.update(JSON.stringify([inputs.terms, inputs.aliases]));
  for (const q of inputs.bank) h.update(JSON.stringify(q));
  return h.digest("hex").slice(0, 32);
}

/**
 * Builds the index from the store and saves it with its stamp into `dir`: the in-process
 * rebuild's work and the index worker's (index-worker-main.ts), so both build alike.
 * `embeddings` (a bureau's own embedding model) replaces the offline LSA vectors when given.
 */
export async function buildIndexInto(
  store: KnowledgeStore,
  embeddings: Embeddings | null,
  dir: string,
  inputs: IndexInputs,
  progress = false,
): Promise<BuiltIndex> {
  // The version first: articles changed after it are at worst built early, never recorded
  // as older than they are.
  const version = await store.version();
  const articles = await store.allArticles();
  const t = Date.now();
  const options = {
    terms: inputs.terms.terms,
    typos: inputs.terms.typos,
    aliases: inputs.aliases,
    training: trainingFor(articles, inputs.bank),
    onProgress: progress ? (stage: string) => process.stderr.write(`index: ${stage}\n`) : undefined,
  };
  const index = embeddings ? await SearchIndex.buildWithEmbeddings(articles, embeddings, options) : SearchIndex.build(articles, options);
  rmSync(dir, { recursive: true, force: true });
  index.save(dir);
  const stamp: IndexStamp = { knowledgeVersion: version, builtAt: new Date().toISOString(), inputs: fingerprintInputs(inputs) };
  writeFileSync(join(dir, "stamp.json"), JSON.stringify(stamp));
  return { index, knowledgeVersion: version, articles: articles.length, ms: Date.now() - t };
}

/** The labelled questions whose articles are held as current law, by article id. */
function trainingFor(articles: ArticleUnit[], bank: BankQuestion[]): TrainingQuestion[] | undefined {
  const current = new Map<string, string>();
  for (const a of articles) if (isCurrentLaw(a)) current.set(`${a.law}|${a.article}`, a.id);
  const out = bank
    .map((q) => ({
      query: q.query,
      relevant: q.answers.map((k) => current.get(k)).filter((id): id is string => id !== undefined),
      ...(q.answer ? { answer: q.answer } : {}),
    }))
    .filter((q) => q.relevant.length > 0);
  return out.length > 0 ? out : undefined;
}

/** The saved index's stamp, or null when there is none or it cannot be read. */
export function readStamp(indexDir: string): IndexStamp | null {
  const p = join(indexDir, "stamp.json");
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, "utf8")) as IndexStamp;
  } catch {
    return null;
  }
}

/** A fresh temporary sibling of the index folder (unique: several builds may share the data directory). */
export function tempIndexDir(indexDir: string): string {
  return `${indexDir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * Renames a finished index folder into place. The old one is moved aside first and removed
 * in the background, so the index folder is missing only between two renames.
 */
export function swapIndexDir(dir: string, indexDir: string): void {
  mkdirSync(dirname(indexDir), { recursive: true });
  const aside = `${indexDir}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
  let moved = false;
  try {
    renameSync(indexDir, aside);
    moved = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  try {
    renameSync(dir, indexDir);
  } catch (e) {
    if (moved) {
      try {
        renameSync(aside, indexDir);
      } catch {
        // Another process sharing the data directory put its index there meanwhile.
      }
    }
    throw e;
  }
  if (moved) void rm(aside, { recursive: true, force: true }).catch(() => undefined);
}

/**
 * Keeps the saved index in step with a patch of the loaded one (statuses, or guides only),
 * so the next start need not rebuild. `articles` is given when the articles changed. Only a
 * saved index stamped with the version patched from is touched.
 */
export function persistPatched(
  indexDir: string,
  previous: number,
  version: number,
  articles: ArticleUnit[] | null,
  log?: Logger,
): void {
  try {
    const stamp = readStamp(indexDir);
    if (!stamp || stamp.knowledgeVersion >= version || stamp.knowledgeVersion !== previous) return;
    const write = (name: string, data: string) => {
      const tmp = join(indexDir, `${name}.tmp-${process.pid}`);
      writeFileSync(tmp, data);
      renameSync(tmp, join(indexDir, name));
    };
    if (articles) write("articles.json", JSON.stringify(articles));
    write("stamp.json", JSON.stringify({ ...stamp, knowledgeVersion: version, builtAt: new Date().toISOString() } satisfies IndexStamp));
  } catch (e) {
    log?.warn({ err: (e as Error).message }, "could not update the saved index; the next start rebuilds it");
  }
}
