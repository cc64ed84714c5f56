// The knowledge base a running process answers from: the store (SQLite) plus the search
// indexes built from it and persisted in the data directory. A change to the store bumps
// its version; `refresh()` notices and reloads or rebuilds, so no restart is needed.
//
// Rebuilding the index of a running knowledge base (after a law upload, or a change another
// process made) happens in a worker thread (index-worker.js): on the national statute corpus
// a build takes about a minute of CPU, and on the main thread it would stall every webhook,
// web chat request and console page of the server meanwhile, on every process sharing the
// database at once. The old index keeps answering until the new one is swapped in. The first
// build at start-up and the one-shot commands build in-process (see rebuildIndex).

import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { Worker, type ResourceLimits } from "node:worker_threads";
import type { Retriever } from "../pipeline/answer.ts";
import { GuideIndex } from "../retrieval/guide-index.ts";
import type { Logger } from "pino";
import { defaultLawSources, SHARED_DATA_DIR, type Config } from "../config.ts";
import type { GuideSearchHit } from "../retrieval/guide-index.ts";
import { loadAliasesFile, loadTermsFile, type AliasEntry, type TermsFile } from "../retrieval/knowledge-files.ts";
import { readLabelledQuestions, type BankQuestion, type NeighbourEvidence } from "../retrieval/question-bank.ts";
import { SearchIndex, type TrainingQuestion } from "../retrieval/search-index.ts";
import { createEmbeddings } from "../retrieval/embeddings/index.ts";
import type { Embeddings } from "@langchain/core/embeddings";
import { SqlKnowledgeStore, type KnowledgeStore } from "../store/knowledge-store.ts";
import { openStore } from "../store/open.ts";
import { openSqlite, type SqliteDb } from "../store/sqlite.ts";
import { GuideError, looksLikeGuide, parseGuide } from "./guides.ts";
import { ingestPaths, type IngestSummary } from "./ingest.ts";
import { parseLawJsonl } from "./law-jsonl.ts";
import { LawParseError, parseLawMarkdown } from "./law-markdown.ts";
import { IndexRetriever } from "./retriever.ts";
import { isCurrentLaw } from "./status.ts";
import type { ArticleHit, ArticleUnit, Guide, GuideBasis } from "./types.ts";

export interface OpenKnowledgeOptions {
  /** Build or load the search index now (false for commands that only write). */
  buildIndex?: boolean;
  log?: Logger;
  db?: SqliteDb;
  /** The knowledge store to use (PostgreSQL); without it, the SQLite file in the data directory. */
  store?: KnowledgeStore;
}

interface IndexStamp {
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

export interface RebuildOptions {
  /** Stage lines on stderr (the ingest command on a terminal). */
  progress?: boolean;
  /**
   * Build in a worker thread and swap the result in (the refresh of a running knowledge
   * base): the event loop keeps serving and the old index keeps answering meanwhile. Builds
   * here instead when a worker could not open the store by itself (an in-memory SQLite, or a
   * store handed in that is neither the data directory's SQLite file nor DATABASE_URL).
   */
  inWorker?: boolean;
  /** Heap limits of the worker thread (Node's defaults otherwise). */
  resourceLimits?: ResourceLimits;
}

/** The store the index worker opens for itself. */
export type IndexWorkerSource = { kind: "sqlite"; path: string } | { kind: "postgres" };

export interface IndexWorkerInput {
  config: Config;
  source: IndexWorkerSource;
  /** Folder to save the index and its stamp into (a temporary sibling of the index folder). */
  dir: string;
  inputs: IndexInputs;
  progress: boolean;
}

export type IndexWorkerResult =
  | { ok: true; dir: string; knowledgeVersion: number; articles: number; ms: number }
  | { ok: false; error: string; stack?: string };

/** The worker's entry point: plain JS that registers tsx, then runs index-worker-main.ts. */
const INDEX_WORKER_URL = new URL("./index-worker.js", import.meta.url);

export class KnowledgeBase {
  private index: SearchIndex | null = null;
  private retriever: IndexRetriever | null = null;
  private guides: Guide[] = [];
  private bank: BankQuestion[] | null = null;
  private loadedVersion = -1;
  /** Law files (path:hash) the loaded index was built from: tells a guide or status change from new text. */
  private lawSourcesSig: string | null = null;
  private refreshing: Promise<unknown> = Promise.resolve();
  /** The worker build under way (one at a time: a rebuild asked for meanwhile joins it). */
  private indexBuild: Promise<void> | null = null;
  private indexWorker: Worker | null = null;
  private indexWorkerStopped = false;
  readonly terms: TermsFile;
  private inputsPrint: string | null = null;
  /** An embedding endpoint (OpenAI-compatible or Ollama) when configured; null: offline LSA. */
  private readonly remoteEmbeddings: Embeddings | null;
  readonly aliases: AliasEntry[];

  constructor(
    readonly config: Config,
    private readonly db: SqliteDb | null,
    readonly store: KnowledgeStore,
    private readonly ownsDb: boolean,
    private readonly log?: Logger,
  ) {
    this.terms = loadTermsFile(join(config.knowledgeDir, "terms.yaml"));
    this.remoteEmbeddings =
      config.EMBEDDINGS_PROVIDER === "lsa"
        ? null
        : createEmbeddings(
            config.EMBEDDINGS_PROVIDER === "openai"
              ? { provider: "openai", model: config.EMBEDDINGS_MODEL!, baseURL: config.EMBEDDINGS_BASE_URL, apiKey: config.EMBEDDINGS_API_KEY }
              : { provider: "ollama", model: config.EMBEDDINGS_MODEL!, baseUrl: config.EMBEDDINGS_BASE_URL },
          );
    this.aliases = loadAliasesFile(join(config.knowledgeDir, "law-aliases.yaml"));
  }

  get indexDir(): string {
    return join(this.config.dataDir, "index");
  }

  hasIndex(): boolean {
    return existsSync(join(this.indexDir, "stamp.json"));
  }

  /** First start: the bundled knowledge and the configured statute corpora go in unasked. */
  async ensureSeeded(): Promise<IngestSummary | null> {
    // Checked under the ingest lock: another server starting at the same moment may be seeding.
    return this.store.exclusive(async () => {
      if ((await this.store.listSources()).length > 0) return null;
      const paths = [join(this.config.knowledgeDir, "guides"), ...defaultLawSources(this.config)];
      this.log?.info({ paths }, "first start: ingesting the bundled knowledge");
      return ingestPaths(this.store, paths);
    });
  }

  /**
   * A release's corrected guides reach an installed system: bundled guide files that changed
   * since they were ingested are ingested again at start (unchanged files are skipped by their
   * hash, so this is cheap). A guide an administrator replaced with their own version keeps
   * that version; the log says the release changed it, for them to review.
   */
  async syncBundledGuides(): Promise<IngestSummary | null> {
    const dir = resolve(this.config.knowledgeDir, "guides");
    if (!existsSync(dir)) return null;
    const ownVersions = new Set((await this.store.allGuides()).filter((g) => !resolve(g.source).startsWith(dir + sep)).map((g) => g.id));
    const summary = await ingestPaths(this.store, [dir], { keepGuides: ownVersions });
    for (const s of summary.skipped) this.log?.warn({ path: s.path, line: s.line }, s.message);
    if (summary.changed) {
      this.log?.info({ added: summary.added, updated: summary.updated, removed: summary.removed }, "bundled guides updated");
      await this.refreshNow();
    }
    return summary;
  }

  /** Loads the persisted index when it matches the store, else rebuilds it. */
  async refresh(): Promise<boolean> {
    const version = await this.store.version();
    if (version === this.loadedVersion && this.index) return false;
    const stamp = this.readStamp();
    const inputs = this.inputsFingerprint();
    if (stamp?.knowledgeVersion === version && stamp.inputs === inputs) {
      try {
        this.index = SearchIndex.load(this.indexDir, this.remoteEmbeddings);
      } catch (e) {
        this.log?.warn({ err: (e as Error).message }, "saved index unreadable; rebuilding");
        await this.rebuildIndex({ inWorker: this.index !== null });
        return true;
      }
    } else {
      if (stamp?.knowledgeVersion === version) this.log?.info("terms, aliases or labelled questions changed; rebuilding the index");
      // Running (an index answers already): off the main thread. First start: here.
      await this.rebuildIndex({ inWorker: this.index !== null });
      return true;
    }
    this.loadedVersion = version;
    await this.attach();
    return true;
  }

  /**
   * Builds the search index from the store, saves it in the data directory (a temporary
   * folder renamed into place, so a reader never sees half an index) and answers from it.
   *
   * `inWorker` (the refresh of a running knowledge base: an upload, or a change another
   * process made) builds in a worker thread. The build is synchronous CPU work, about a
   * minute and 1 GB on the national statute corpus; on the main thread it would stall every
   * webhook, chat request and console page of the server until done. The worker opens the
   * same store itself, builds exactly as here and saves into the temporary folder; this
   * thread then loads that folder, renames it into place and attaches it, and the old index
   * answers until that moment. One worker at a time. A failed worker leaves the old index in
   * place; the error is logged and rethrown.
   * Without it (the first start, when there is nothing to answer with yet, and the one-shot
   * commands) the build runs here.
   */
  async rebuildIndex(opts: RebuildOptions = {}): Promise<void> {
    const source = opts.inWorker ? this.indexWorkerSource() : null;
    if (source) {
      // A refresh asked for while a worker builds joins it; anything newer in the store is
      // picked up by the next refresh (its version is higher than the one recorded).
      this.indexBuild ??= this.rebuildInWorker(source, opts).finally(() => (this.indexBuild = null));
      return this.indexBuild;
    }
    const dir = this.tempIndexDir();
    try {
      const built = await this.buildIndexInto(dir, this.indexInputs(), opts.progress);
      this.swapIndexDir(dir);
      this.log?.info({ articles: built.articles, ms: built.ms }, "search index built");
      this.index = built.index;
      this.loadedVersion = built.knowledgeVersion;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    await this.attach();
  }

  /**
   * Builds the index from the store and saves it with its stamp into `dir`: the in-process
   * rebuild's work and the index worker's (index-worker-main.ts), so both build alike.
   */
  async buildIndexInto(
    dir: string,
    inputs: IndexInputs,
    progress = false,
  ): Promise<{ index: SearchIndex; knowledgeVersion: number; articles: number; ms: number }> {
    // The version first: articles changed after it are at worst built early, never recorded
    // as older than they are.
    const version = await this.store.version();
    const articles = await this.store.allArticles();
    const t = Date.now();
    const options = {
      terms: inputs.terms.terms,
      typos: inputs.terms.typos,
      aliases: inputs.aliases,
      training: trainingFor(articles, inputs.bank),
      onProgress: progress ? (stage: string) => process.stderr.write(`index: ${stage}\n`) : undefined,
    };
    // A bureau's own embedding model replaces the offline LSA vectors when configured.
    const index = this.remoteEmbeddings
      ? await SearchIndex.buildWithEmbeddings(articles, this.remoteEmbeddings, options)
      : SearchIndex.build(articles, options);
    rmSync(dir, { recursive: true, force: true });
    index.save(dir);
    const stamp: IndexStamp = { knowledgeVersion: version, builtAt: new Date().toISOString(), inputs: fingerprintInputs(inputs) };
    writeFileSync(join(dir, "stamp.json"), JSON.stringify(stamp));
    return { index, knowledgeVersion: version, articles: articles.length, ms: Date.now() - t };
  }

  private indexInputs(): IndexInputs {
    return { terms: this.terms, aliases: this.aliases, bank: this.labelledQuestions() };
  }

  private inputsFingerprint(): string {
    this.inputsPrint ??= fingerprintInputs(this.indexInputs());
    return this.inputsPrint;
  }

  /** How a worker opens this knowledge base's store by itself; null when it cannot. */
  private indexWorkerSource(): IndexWorkerSource | null {
    if (this.db) return this.db.memory ? null : { kind: "sqlite", path: resolve(this.db.name) };
    return this.config.DATABASE_URL ? { kind: "postgres" } : null;
  }

  private async rebuildInWorker(source: IndexWorkerSource, opts: RebuildOptions): Promise<void> {
    const dir = this.tempIndexDir();
    const t = Date.now();
    try {
      const built = await this.runIndexWorker(
        { config: this.config, source, dir, inputs: this.indexInputs(), progress: opts.progress ?? false },
        opts.resourceLimits,
      );
      // Loaded from the worker's folder before it is renamed into place: what is attached is
      // exactly the version the worker built, whatever another process sharing the data
      // directory puts there meanwhile (loading reads every file into memory). Loading and
      // attaching are the main thread's share of the work (about 2 s on the national corpus):
      // requests waiting meanwhile are served between the two.
      const index = built.knowledgeVersion < this.loadedVersion ? null : SearchIndex.load(dir, this.remoteEmbeddings);
      await new Promise((r) => setImmediate(r));
      if (!index || built.knowledgeVersion < this.loadedVersion) {
        // Something newer was attached meanwhile (an in-process rebuild): keep that.
        await rm(dir, { recursive: true, force: true });
        return;
      }
      this.swapIndexDir(dir);
      this.index = index;
      this.loadedVersion = built.knowledgeVersion;
      this.log?.info(
        { articles: built.articles, knowledgeVersion: built.knowledgeVersion, buildMs: built.ms, ms: Date.now() - t },
        "search index built in a worker thread",
      );
    } catch (e) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      const err = e as Error;
      if (this.indexWorkerStopped) this.log?.info("search index build stopped: the knowledge base closed");
      else this.log?.error({ err: err.message, stack: err.stack }, "search index build failed; the previous index keeps answering");
      throw e;
    }
    await this.attach();
  }

  private runIndexWorker(input: IndexWorkerInput, resourceLimits?: ResourceLimits): Promise<Extract<IndexWorkerResult, { ok: true }>> {
    return new Promise((resolvePromise, reject) => {
      const worker = new Worker(INDEX_WORKER_URL, { workerData: input, resourceLimits });
      this.indexWorker = worker;
      let settled = false;
      const settle = (done: () => void) => {
        if (settled) return;
        settled = true;
        this.indexWorker = null;
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
  }

  /** Ends a worker build under way (closing): its temporary folder is removed, nothing swapped in. */
  private stopIndexBuild(): void {
    if (!this.indexWorker) return;
    this.indexWorkerStopped = true;
    void this.indexWorker.terminate();
  }

  /** A fresh temporary sibling of the index folder (unique: several builds may share the data directory). */
  private tempIndexDir(): string {
    return `${this.indexDir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  }

  /**
   * Renames a finished index folder into place. The old one is moved aside first and removed
   * in the background, so the index folder is missing only between two renames.
   */
  private swapIndexDir(dir: string): void {
    mkdirSync(dirname(this.indexDir), { recursive: true });
    const aside = `${this.indexDir}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
    let moved = false;
    try {
      renameSync(this.indexDir, aside);
      moved = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    try {
      renameSync(dir, this.indexDir);
    } catch (e) {
      if (moved) {
        try {
          renameSync(aside, this.indexDir);
        } catch {
          // Another process sharing the data directory put its index there meanwhile.
        }
      }
      throw e;
    }
    if (moved) void rm(aside, { recursive: true, force: true }).catch(() => undefined);
  }

  private async attach(): Promise<void> {
    this.lawSourcesSig = await this.lawSignature();
    this.guides = await this.store.allGuides();
    this.retriever = this.index ? new IndexRetriever(this.index, this.guides, this.labelledQuestions()) : null;
  }

  private readStamp(): IndexStamp | null {
    const p = join(this.indexDir, "stamp.json");
    if (!existsSync(p)) return null;
    try {
      return JSON.parse(readFileSync(p, "utf8")) as IndexStamp;
    } catch {
      return null;
    }
  }

  /**
   * Labelled layperson questions (the STARD training set beside the project, unless
   * LAWDESK_TRAINING=off): document expansion for retrieval, and the question bank whose
   * neighbours tell whether a new question is answerable from what is held. Held-out
   * evaluation of both is in `npm run eval`.
   */
  private labelledQuestions(): BankQuestion[] {
    if (this.bank) return this.bank;
    const path = join(SHARED_DATA_DIR, "stard", "queries-train.jsonl");
    this.bank = process.env.LAWDESK_TRAINING === "off" || !existsSync(path) ? [] : readLabelledQuestions(path);
    return this.bank;
  }

  // ---- what the answering pipeline calls (Retriever) ----------------------------------

  private requireRetriever(): IndexRetriever {
    if (!this.retriever) throw new Error("the knowledge base has no index yet: call refresh()");
    return this.retriever;
  }

  searchArticles(query: string, k: number): Promise<ArticleHit[]> {
    return this.requireRetriever().searchArticles(query, k);
  }

  searchGuides(query: string, k: number): GuideSearchHit[] {
    return this.requireRetriever().searchGuides(query, k);
  }

  basisArticle(basis: GuideBasis): ArticleUnit | null {
    return this.requireRetriever().basisArticle(basis);
  }

  /** A guide by its id, or null. */
  guideById(id: string): Guide | null {
    return this.guides.find((g) => g.id === id) ?? null;
  }

  /** Every indexed version of an article, for the citation check and the console. */
  versionsOf(law: string, article: string): ArticleUnit[] {
    return this.retriever?.versionsOf(law, article) ?? [];
  }

  queryTerms(query: string): string[] {
    return this.requireRetriever().queryTerms(query);
  }

  legalTerms(query: string): string[] {
    return this.requireRetriever().legalTerms(query);
  }

  neighbours(query: string): NeighbourEvidence | null {
    return this.requireRetriever().neighbours(query);
  }

  get articleCount(): number {
    return this.index?.articles.length ?? 0;
  }

  get guideCount(): number {
    return this.guides.length;
  }

  allGuides(): Guide[] {
    return this.guides;
  }


  // ---- administration: uploads, live refresh on every process, guide previews --------

  get uploadDir(): string {
    return join(this.config.dataDir, "uploads");
  }

  /**
   * Picks up a change another process (or this one) made to the store, cheaply when it can:
   * a guide edit re-attaches the guides, a status mark patches the loaded articles; only new
   * or changed law text rebuilds the index. Calls are serialised.
   */
  refreshNow(): Promise<RefreshOutcome> {
    const run = this.refreshing.then(() => this.refreshOnce());
    this.refreshing = run.catch(() => undefined);
    return run;
  }

  private async refreshOnce(): Promise<RefreshOutcome> {
    const version = await this.store.version();
    if (version === this.loadedVersion && this.index) return "unchanged";
    const index = this.index;
    if (index && this.lawSourcesSig !== null && (await this.lawSignature()) === this.lawSourcesSig) {
      const states = await this.store.articleStates();
      if (states.length === index.articles.length && states.every((s, i) => s.id === index.articles[i].id)) {
        let patched = 0;
        states.forEach((s, i) => {
          const a = index.articles[i];
          if (a.status !== s.status || a.effective !== s.effective) {
            a.status = s.status;
            a.effective = s.effective;
            patched++;
          }
        });
        const previous = this.loadedVersion;
        this.loadedVersion = version;
        await this.attach();
        this.persistPatched(previous, version, patched > 0);
        this.log?.info({ version, patched }, "knowledge change picked up without rebuilding");
        return patched > 0 ? "statuses" : "guides";
      }
    }
    await this.refresh();
    return "rebuilt";
  }

  /** Keeps the saved index in step with a patch, so the next start need not rebuild. */
  private persistPatched(previous: number, version: number, articlesChanged: boolean): void {
    try {
      const stamp = this.readStamp();
      if (!stamp || stamp.knowledgeVersion >= version || stamp.knowledgeVersion !== previous || !this.index) return;
      const write = (name: string, data: string) => {
        const tmp = join(this.indexDir, `${name}.tmp-${process.pid}`);
        writeFileSync(tmp, data);
        renameSync(tmp, join(this.indexDir, name));
      };
      if (articlesChanged) write("articles.json", JSON.stringify(this.index.articles));
      write("stamp.json", JSON.stringify({ ...stamp, knowledgeVersion: version, builtAt: new Date().toISOString() } satisfies IndexStamp));
    } catch (e) {
      this.log?.warn({ err: (e as Error).message }, "could not update the saved index; the next start rebuilds it");
    }
  }

  private async lawSignature(): Promise<string> {
    const sources = await this.store.listSources();
    return sources
      .filter((s) => s.kind !== "guide")
      .map((s) => `${s.path}:${s.hash}`)
      .join("\n");
  }

  /**
   * Polls the store's version so every running process answers from the same knowledge
   * without a restart (an upload on one server is searchable on all of them).
   */
  watchForChanges(intervalMs = 3000): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.refreshNow()
        .catch((err) => this.log?.error({ err: (err as Error).message }, "knowledge refresh failed"))
        .finally(() => (busy = false));
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Checks an uploaded file without storing anything: what it is, and its problems with line numbers. */
  validateUpload(filename: string, content: string): UploadCheck {
    const name = basename(filename);
    if (name.endsWith(".jsonl")) {
      const { units, problems } = parseLawJsonl(content, name);
      if (units.length === 0 && problems.length === 0) problems.push({ line: 1, message: "文件中没有条文" });
      return { kind: "law_jsonl", problems, articles: units.length, laws: [...new Set(units.map((u) => u.law))] };
    }
    if (looksLikeGuide(content)) {
      try {
        const guide = parseGuide(content, name);
        return { kind: "guide", problems: [], guide, articles: 0, laws: [] };
      } catch (e) {
        const line = e instanceof GuideError ? e.line : 0;
        return { kind: "guide", problems: [{ line, message: e instanceof GuideError ? e.detail : (e as Error).message }], articles: 0, laws: [] };
      }
    }
    try {
      const law = parseLawMarkdown(content);
      if (law.articles.length === 0) return { kind: "law_markdown", problems: [{ line: 1, message: "没有找到条文（第X条）" }], articles: 0, laws: [] };
      return { kind: "law_markdown", problems: [], articles: law.articles.length, laws: [law.title] };
    } catch (e) {
      return { kind: "law_markdown", problems: [{ line: e instanceof LawParseError ? e.line : 0, message: (e as Error).message }], articles: 0, laws: [] };
    }
  }

  /**
   * An administrator's upload: validated first (nothing is stored when it has problems),
   * then kept under the data directory as the ingested source, ingested, and searchable here
   * at once; other processes pick it up through watchForChanges.
   */
  async ingestUpload(filename: string, content: string): Promise<UploadResult> {
    const check = this.validateUpload(filename, content);
    if (check.problems.length > 0) return { ...check, ok: false, path: null, summary: null };
    const folder = check.kind === "guide" ? "guides" : "laws";
    // A guide is stored by its id, so an edit replaces the earlier upload of the same guide.
    const name = check.kind === "guide" ? `${check.guide!.id}.md` : safeFileName(filename);
    const dir = join(this.uploadDir, folder);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, name);
    const tmp = `${path}.tmp-${process.pid}`;
    writeFileSync(tmp, content);
    renameSync(tmp, path);
    const summary = await ingestPaths(this.store, [path]);
    if (summary.skipped.length > 0 && !summary.changed) {
      return { ...check, ok: false, path, summary, problems: summary.skipped.map((p) => ({ line: p.line, message: p.message })) };
    }
    if (summary.changed) await this.refreshNow();
    return { ...check, ok: true, path, summary };
  }

  /**
   * The pipeline's view of the knowledge with a draft guide in place of the saved one (or
   * added), for a preview that saves nothing.
   */
  withDraftGuide(draft: Guide): Retriever {
    const index = this.index;
    if (!index) throw new Error("the knowledge base has no index yet: call refresh()");
    const guides = [...this.guides.filter((g) => g.id !== draft.id), draft];
    const guideIndex = new GuideIndex(guides, { tokenizer: index.tokenizer });
    return {
      searchArticles: (q, k) => this.searchArticles(q, k),
      searchGuides: (q, k) => guideIndex.search(q, k).map((h) => ({ ...h, score: h.normalized })),
      basisArticle: (b) => this.basisArticle(b),
      queryTerms: (q) => this.queryTerms(q),
      legalTerms: (q) => this.legalTerms(q),
      neighbours: (q) => this.neighbours(q),
    };
  }

  /** Set by openKnowledge when this knowledge base opened its own PostgreSQL pool. */
  releaseStore: (() => Promise<void>) | null = null;

  close(): Promise<void> | undefined {
    this.stopIndexBuild();
    if (this.ownsDb) this.db?.close();
    return this.releaseStore?.();
  }
}

export async function openKnowledge(config: Config, opts: OpenKnowledgeOptions = {}): Promise<KnowledgeBase> {
  let kb: KnowledgeBase;
  if (opts.store) {
    kb = new KnowledgeBase(config, null, opts.store, false, opts.log);
  } else if (config.DATABASE_URL && !opts.db) {
    // The commands (search, answer, ingest) on a PostgreSQL installation read and write there.
    const opened = await openStore(config, opts.log);
    kb = new KnowledgeBase(config, null, opened.knowledge, false, opts.log);
    kb.releaseStore = () => opened.close();
  } else {
    const db = opts.db ?? openSqlite(join(config.dataDir, "lawdesk.db"));
    kb = new KnowledgeBase(config, db, new SqlKnowledgeStore(db), !opts.db, opts.log);
  }
  if (opts.buildIndex !== false) {
    await kb.ensureSeeded();
    await kb.refresh();
    await kb.syncBundledGuides();
  }
  return kb;
}

export type RefreshOutcome = "unchanged" | "guides" | "statuses" | "rebuilt";

export interface UploadProblem {
  line: number;
  message: string;
}

export interface UploadCheck {
  kind: "guide" | "law_markdown" | "law_jsonl";
  problems: UploadProblem[];
  guide?: Guide;
  /** Articles the file holds, and the laws they belong to. */
  articles: number;
  laws: string[];
}

export interface UploadResult extends UploadCheck {
  ok: boolean;
  /** Where the file is kept (the ingested source), null when rejected before storing. */
  path: string | null;
  summary: IngestSummary | null;
}

/** The labelled questions whose articles are held as current law, by article id. */
function trainingFor(articles: ArticleUnit[], bank: BankQuestion[]): TrainingQuestion[] | undefined {
  const current = new Map<string, string>();
  for (const a of articles) if (isCurrentLaw(a)) current.set(`${a.law}|${a.article}`, a.id);
  const out = bank
    .map((q) => ({ query: q.query, relevant: q.answers.map((k) => current.get(k)).filter((id): id is string => id !== undefined) }))
    .filter((q) => q.relevant.length > 0);
  return out.length > 0 ? out : undefined;
}

/** A file name safe on any file system, keeping Chinese titles readable. */
function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, "/"));
  const ext = base.endsWith(".jsonl") ? ".jsonl" : ".md";
  const stem = base.slice(0, base.length - ext.length).replace(/[^\p{L}\p{N}()（）_.-]+/gu, "_").replace(/^\.+/, "").slice(0, 120);
  return `${stem || "upload"}${ext}`;
}
