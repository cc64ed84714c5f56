// Batch ranking for evaluation (`lawdesk rank --corpus F --queries F --k 100`): build or
// reuse a cached index over a JSONL corpus and yield ranked article ids per question.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { readCorpusJsonl } from "./corpus.ts";
import { chapterSourcesStamp } from "./corpus-chapters.ts";
import { loadAliasesFile, loadTermsFile } from "./knowledge-files.ts";
import { SearchIndex, type SearchIndexOptions, type TrainingQuestion } from "./search-index.ts";
import { PROJECT_ROOT, SHARED_DATA_DIR, sharedNationalLawFolders } from "../paths.ts";

export { PROJECT_ROOT } from "../paths.ts";
export const DEFAULT_TRAIN_PATH = resolve(SHARED_DATA_DIR, "stard/queries-train.jsonl");
export const DEFAULT_CACHE_DIR = resolve(PROJECT_ROOT, ".cache/retrieval");

export interface RankOptions {
  corpusPath: string;
  queriesPath: string;
  k?: number;
  /** Where built indexes are cached (keyed by corpus hash and options). */
  cacheDir?: string;
  /**
   * Labelled questions to learn from (document expansion, kNN). Default: the STARD
   * training questions when present and their ids match the corpus; false disables.
   */
  trainPath?: string | false;
  /** knowledge/terms.yaml and knowledge/law-aliases.yaml; default: the project's, if present. */
  termsPath?: string | false;
  aliasesPath?: string | false;
  /**
   * Markdown statutes to read missing chapter headings from (corpus-chapters.ts); default:
   * the shared collection's national statutes, when present.
   */
  chaptersFrom?: string[];
  /** Dense part: "lsa" (default) or false. */
  dense?: "lsa" | false;
  /** Log progress to stderr. */
  verbose?: boolean;
}

export interface RankedQuery {
  /** The query's id exactly as given (string or number). */
  id: string | number;
  ranked: string[];
}

function readJsonlLines<T>(path: string): T[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

/** Training questions usable with this corpus, or null when their ids do not match it. */
export function loadTrainingFor(trainPath: string, corpusIds: Set<string>): TrainingQuestion[] | null {
  if (!existsSync(trainPath)) return null;
  const qs = readJsonlLines<{ query: string; relevant?: string[]; answer?: unknown }>(trainPath).filter((q) => Array.isArray(q.relevant) && q.relevant.length > 0);
  const ids = qs.flatMap((q) => q.relevant!);
  if (ids.length === 0) return null;
  const known = ids.filter((id) => corpusIds.has(id)).length;
  // A different corpus with overlapping id schemes would mislabel articles: demand a near-total match.
  if (known / ids.length < 0.95) return null;
  return qs.map((q) => ({ query: q.query, relevant: q.relevant!, ...(typeof q.answer === "string" ? { answer: q.answer } : {}) }));
}

function sha(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Build (or load from cache) the index rank uses. */
export function buildOrLoadIndex(opts: RankOptions): { index: SearchIndex; cached: boolean; key: string } {
  const log = opts.verbose ? (m: string) => process.stderr.write(`[rank] ${m}\n`) : () => {};
  const corpusBuf = readFileSync(opts.corpusPath);
  const termsPath = opts.termsPath === false ? null : (opts.termsPath ?? join(PROJECT_ROOT, "knowledge/terms.yaml"));
  const aliasesPath = opts.aliasesPath === false ? null : (opts.aliasesPath ?? join(PROJECT_ROOT, "knowledge/law-aliases.yaml"));
  const trainPath = opts.trainPath === false ? null : (opts.trainPath ?? DEFAULT_TRAIN_PATH);
  const fileHash = (p: string | null) => (p && existsSync(p) ? sha(readFileSync(p)) : "none");
  const chaptersFrom = opts.chaptersFrom ?? sharedNationalLawFolders();
  const key = sha(
    JSON.stringify({
      v: 2,
      corpus: sha(corpusBuf),
      terms: fileHash(termsPath),
      aliases: fileHash(aliasesPath),
      train: fileHash(trainPath),
      dense: opts.dense ?? "lsa",
      chapters: chapterSourcesStamp(chaptersFrom),
    }),
  ).slice(0, 24);
  const cacheDir = opts.cacheDir ?? DEFAULT_CACHE_DIR;
  const dir = join(cacheDir, key);
  if (existsSync(join(dir, "manifest.json"))) {
    try {
      log(`loading cached index ${dir}`);
      return { index: SearchIndex.load(dir), cached: true, key };
    } catch (e) {
      log(`cache unreadable (${(e as Error).message}); rebuilding`);
    }
  }
  const articles = readCorpusJsonl(opts.corpusPath, { chaptersFrom });
  const training = trainPath ? loadTrainingFor(trainPath, new Set(articles.map((a) => a.id))) : null;
  log(`building index over ${articles.length} articles, ${training?.length ?? 0} training questions`);
  const terms = termsPath ? loadTermsFile(termsPath) : { terms: [], typos: [] };
  const buildOpts: SearchIndexOptions = {
    terms: terms.terms,
    typos: terms.typos,
    aliases: aliasesPath ? loadAliasesFile(aliasesPath) : [],
    training: training ?? undefined,
    dense: opts.dense ?? "lsa",
    onProgress: log,
  };
  const index = SearchIndex.build(articles, buildOpts);
  // Write to a temp dir and rename, so a crash never leaves a half-written cache entry.
  const tmp = `${dir}.tmp-${process.pid}`;
  mkdirSync(cacheDir, { recursive: true });
  index.save(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return { index, cached: false, key };
}

/** Yields {id, ranked} per question line {id, query} of queriesPath, in file order. */
export async function* rankCorpus(opts: RankOptions): AsyncGenerator<RankedQuery> {
  const { index } = buildOrLoadIndex(opts);
  const k = opts.k ?? 100;
  for (const q of readJsonlLines<{ id: string | number; query: string }>(opts.queriesPath)) {
    const hits = index.search(String(q.query ?? ""), k);
    yield { id: q.id, ranked: hits.map((h) => h.article.id) };
  }
}
