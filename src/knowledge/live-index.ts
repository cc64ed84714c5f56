// The search index a running process answers from, kept in step with the knowledge store:
// built from the store and persisted in the data directory, reloaded or rebuilt when a change
// to the store bumps its version, so no restart is needed. KnowledgeBase (base.ts) adds
// seeding, uploads and the pipeline's view on top.
//
// Rebuilding the index of a running knowledge base (after a law upload, or a change another
// process made) happens in a worker thread (index-worker.js): on the national statute corpus
// a build takes about a minute of CPU, and on the main thread it would stall every webhook,
// web chat request and console page of the server meanwhile, on every process sharing the
// database at once. The old index keeps answering until the new one is swapped in. The first
// build at start-up and the one-shot commands build in-process (see rebuildIndex).

import { existsSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { ResourceLimits, Worker } from "node:worker_threads";
import type { Embeddings } from "@langchain/core/embeddings";
import type { Logger } from "pino";
import { SHARED_DATA_DIR, type Config } from "../config.ts";
import { createEmbeddings } from "../retrieval/embeddings/index.ts";
import { loadAliasesFile, loadTermsFile, type AliasEntry, type TermsFile } from "../retrieval/knowledge-files.ts";
import { readLabelledQuestions, type BankQuestion } from "../retrieval/question-bank.ts";
import { SearchIndex } from "../retrieval/search-index.ts";
import type { KnowledgeStore } from "../store/knowledge-store.ts";
import type { SqliteDb } from "../store/sqlite.ts";
import {
  buildIndexInto,
  fingerprintInputs,
  persistPatched,
  readStamp,
  swapIndexDir,
  tempIndexDir,
  type BuiltIndex,
  type IndexInputs,
} from "./index-folder.ts";
import { startIndexWorker, type IndexWorkerSource } from "./index-worker-client.ts";
import { IndexRetriever } from "./retriever.ts";
import type { Guide } from "./types.ts";

/** How {@link LiveKnowledgeIndex.rebuildIndex} builds. */
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

/**
 * What a refresh did: nothing (`unchanged`), re-attached edited guides (`guides`), patched
 * article statuses in place (`statuses`), or rebuilt the index (`rebuilt`).
 */
export type RefreshOutcome = "unchanged" | "guides" | "statuses" | "rebuilt";

/** The index life cycle of a knowledge base: load, rebuild (here or in a worker), refresh, watch. */
export class LiveKnowledgeIndex {
  protected index: SearchIndex | null = null;
  protected retriever: IndexRetriever | null = null;
  protected guides: Guide[] = [];
  private bank: BankQuestion[] | null = null;
  protected loadedVersion = -1;
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
  protected readonly remoteEmbeddings: Embeddings | null;
  readonly aliases: AliasEntry[];

  constructor(
    readonly config: Config,
    protected readonly db: SqliteDb | null,
    readonly store: KnowledgeStore,
    protected readonly ownsDb: boolean,
    protected readonly log?: Logger,
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

  /** The saved index's folder in the data directory. */
  get indexDir(): string {
    return join(this.config.dataDir, "index");
  }

  /** Whether an index has been saved (it may still be out of date: see refresh()). */
  hasIndex(): boolean {
    return existsSync(join(this.indexDir, "stamp.json"));
  }

  /** Loads the persisted index when it matches the store, else rebuilds it. */
  async refresh(): Promise<boolean> {
    const version = await this.store.version();
    if (version === this.loadedVersion && this.index) return false;
    const stamp = readStamp(this.indexDir);
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
    const dir = tempIndexDir(this.indexDir);
    try {
      const built = await this.buildIndexInto(dir, this.indexInputs(), opts.progress);
      swapIndexDir(dir, this.indexDir);
      this.log?.info({ articles: built.articles, ms: built.ms }, "search index built");
      this.index = built.index;
      this.loadedVersion = built.knowledgeVersion;
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    await this.attach();
  }

  /** Builds the index from the store into `dir` (see index-folder.ts); the index worker's work too. */
  buildIndexInto(dir: string, inputs: IndexInputs, progress = false): Promise<BuiltIndex> {
    return buildIndexInto(this.store, this.remoteEmbeddings, dir, inputs, progress);
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
    const dir = tempIndexDir(this.indexDir);
    const t = Date.now();
    try {
      const run = startIndexWorker(
        { config: this.config, source, dir, inputs: this.indexInputs(), progress: opts.progress ?? false },
        opts.resourceLimits,
      );
      this.indexWorker = run.worker;
      const built = await run.result.finally(() => (this.indexWorker = null));
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
      swapIndexDir(dir, this.indexDir);
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

  /** Ends a worker build under way (closing): its temporary folder is removed, nothing swapped in. */
  protected stopIndexBuild(): void {
    if (!this.indexWorker) return;
    this.indexWorkerStopped = true;
    void this.indexWorker.terminate();
  }

  private async attach(): Promise<void> {
    this.lawSourcesSig = await this.lawSignature();
    this.guides = await this.store.allGuides();
    this.retriever = this.index ? new IndexRetriever(this.index, this.guides, this.labelledQuestions()) : null;
  }

  /**
   * Labelled layperson questions (the STARD training set beside the project, unless
   * LAWDESK_TRAINING=off): document expansion for retrieval, and the question bank whose
   * neighbours tell whether a new question is answerable from what is held. Held-out
   * evaluation of both is in `npm run eval`.
   */
  protected labelledQuestions(): BankQuestion[] {
    if (this.bank) return this.bank;
    const path = join(SHARED_DATA_DIR, "stard", "queries-train.jsonl");
    this.bank = this.config.LAWDESK_TRAINING === "off" || !existsSync(path) ? [] : readLabelledQuestions(path);
    return this.bank;
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
        persistPatched(this.indexDir, previous, version, patched > 0 ? index.articles : null, this.log);
        this.log?.info({ version, patched }, "knowledge change picked up without rebuilding");
        return patched > 0 ? "statuses" : "guides";
      }
    }
    await this.refresh();
    return "rebuilt";
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
}
