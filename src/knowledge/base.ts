// The knowledge base a running process answers from: the live search index (live-index.ts,
// kept in step with the store without a restart) plus what runs around it: seeding on the
// first start, a release's bundled guides, administrators' uploads (uploads.ts) and the
// answering pipeline's view (Retriever). This is the knowledge folder's entry file.

import { existsSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import type { Logger } from "pino";
import { defaultLawSources, type Config } from "../config.ts";
import type { Retriever } from "../pipeline/answer.ts";
import { GuideIndex, type GuideSearchHit } from "../retrieval/guide-index.ts";
import type { NeighbourEvidence } from "../retrieval/question-bank.ts";
import { SqlKnowledgeStore, type KnowledgeStore } from "../store/knowledge-store.ts";
import { openStore } from "../store/open.ts";
import { openSqlite, type SqliteDb } from "../store/sqlite.ts";
import { ingestPaths, type IngestSummary } from "./ingest.ts";
import { LiveKnowledgeIndex } from "./live-index.ts";
import type { IndexRetriever } from "./retriever.ts";
import type { ArticleHit, ArticleUnit, Guide, GuideBasis } from "./types.ts";
import { saveUpload, validateUpload, type UploadCheck, type UploadResult } from "./uploads.ts";

export { fingerprintInputs, type IndexInputs } from "./index-folder.ts";
export type { IndexWorkerInput, IndexWorkerResult, IndexWorkerSource } from "./index-worker-client.ts";
export { LiveKnowledgeIndex, type RebuildOptions, type RefreshOutcome } from "./live-index.ts";
export type { UploadCheck, UploadProblem, UploadResult } from "./uploads.ts";

/** How {@link openKnowledge} opens the knowledge base. */
export interface OpenKnowledgeOptions {
  /** Build or load the search index now (false for commands that only write). */
  buildIndex?: boolean;
  /** Where seeding, rebuilds and refresh failures are logged. */
  log?: Logger;
  /** An open SQLite database to use (kept open on close); without it, the data directory's file. */
  db?: SqliteDb;
  /** The knowledge store to use (PostgreSQL); without it, the SQLite file in the data directory. */
  store?: KnowledgeStore;
}

/**
 * The knowledge a process answers from: the live index (live-index.ts) plus first-start
 * seeding, the bundled guides of a release, administrators' uploads and the pipeline's view.
 */
export class KnowledgeBase extends LiveKnowledgeIndex {
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

  // ---- what the answering pipeline calls (Retriever) ----------------------------------

  private requireRetriever(): IndexRetriever {
    if (!this.retriever) throw new Error("the knowledge base has no index yet: call refresh()");
    return this.retriever;
  }

  /** The `k` best-matching articles for a resident's question (sparse and dense search fused). */
  searchArticles(query: string, k: number): Promise<ArticleHit[]> {
    return this.requireRetriever().searchArticles(query, k);
  }

  /** The `k` best-matching service guides, with their normalised scores and margins. */
  searchGuides(query: string, k: number): GuideSearchHit[] {
    return this.requireRetriever().searchGuides(query, k);
  }

  /** The indexed article a guide's legal basis names (current version first), or null. */
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

  /** The question's search terms after lay-word expansion, as the index tokenises them. */
  queryTerms(query: string): string[] {
    return this.requireRetriever().queryTerms(query);
  }

  /** The legal terms (terms.yaml) the question mentions or implies. */
  legalTerms(query: string): string[] {
    return this.requireRetriever().legalTerms(query);
  }

  /**
   * The labelled questions nearest to this one and whether their articles are held: evidence
   * that the question is answerable. Null when training is off (LAWDESK_TRAINING=off).
   */
  neighbours(query: string): NeighbourEvidence | null {
    return this.requireRetriever().neighbours(query);
  }

  /** Articles in the loaded index (0 before the first refresh). */
  get articleCount(): number {
    return this.index?.articles.length ?? 0;
  }

  /** Service guides attached to the loaded index. */
  get guideCount(): number {
    return this.guides.length;
  }

  /** Every service guide attached to the loaded index. */
  allGuides(): Guide[] {
    return this.guides;
  }


  // ---- administration: uploads and guide previews -------------------------------------

  /** Where accepted uploads are kept as ingested sources (guides/ and laws/ under the data directory). */
  get uploadDir(): string {
    return join(this.config.dataDir, "uploads");
  }

  /** Checks an uploaded file without storing anything: what it is, and its problems with line numbers. */
  validateUpload(filename: string, content: string): UploadCheck {
    return validateUpload(filename, content);
  }

  /**
   * An administrator's upload: validated first (nothing is stored when it has problems),
   * then kept under the data directory as the ingested source, ingested, and searchable here
   * at once; other processes pick it up through watchForChanges.
   */
  async ingestUpload(filename: string, content: string): Promise<UploadResult> {
    const check = this.validateUpload(filename, content);
    if (check.problems.length > 0) return { ...check, ok: false, path: null, summary: null };
    const path = saveUpload(this.uploadDir, check, filename, content);
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

  /** Stops a worker build under way and closes what this knowledge base opened itself. */
  close(): Promise<void> | undefined {
    this.stopIndexBuild();
    if (this.ownsDb) this.db?.close();
    return this.releaseStore?.();
  }
}

/**
 * Opens the knowledge base of an installation: its store (the data directory's SQLite file,
 * DATABASE_URL, or the one given), then, unless `buildIndex` is false, seeds the bundled
 * knowledge on the first start, loads or builds the search index and applies the release's
 * changed guides.
 *
 * @example
 * ```ts
 * const kb = await openKnowledge(loadConfig());
 * const [best] = await kb.searchArticles("老板拖欠工资不给怎么办", 5);
 * console.log(best.article.law, best.article.article);
 * const stop = kb.watchForChanges(); // a running server: pick up other processes' uploads
 * ```
 */
export async function openKnowledge(config: Config, opts: OpenKnowledgeOptions = {}): Promise<KnowledgeBase> {
  let kb: KnowledgeBase;
  if (opts.store) {
    kb = new KnowledgeBase(config, null, opts.store, false, opts.log);
  } else if (config.DATABASE_URL && !opts.db) {
    // The commands (search, answer, ingest) on a PostgreSQL installation read and write there.
    const opened = await openStore(config, { log: opts.log });
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
