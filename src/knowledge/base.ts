// The knowledge base a running process answers from: the store (SQLite) plus the search
// indexes built from it and persisted in the data directory. A change to the store bumps
// its version; `refresh()` notices and reloads or rebuilds, so no restart is needed.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { defaultLawSources, SHARED_DATA_DIR, type Config } from "../config.ts";
import type { GuideSearchHit } from "../retrieval/guide-index.ts";
import { loadAliasesFile, loadTermsFile, type AliasEntry, type TermsFile } from "../retrieval/knowledge-files.ts";
import { readLabelledQuestions, type BankQuestion, type NeighbourEvidence } from "../retrieval/question-bank.ts";
import { SearchIndex, type TrainingQuestion } from "../retrieval/search-index.ts";
import { SqliteKnowledgeStore, type KnowledgeStore } from "../store/knowledge-store.ts";
import { openSqlite, type SqliteDb } from "../store/sqlite.ts";
import { ingestPaths, type IngestSummary } from "./ingest.ts";
import { IndexRetriever } from "./retriever.ts";
import { isCurrentLaw } from "./status.ts";
import type { ArticleHit, ArticleUnit, Guide, GuideBasis } from "./types.ts";

export interface OpenKnowledgeOptions {
  /** Build or load the search index now (false for commands that only write). */
  buildIndex?: boolean;
  log?: Logger;
  db?: SqliteDb;
}

interface IndexStamp {
  knowledgeVersion: number;
  builtAt: string;
}

export class KnowledgeBase {
  private index: SearchIndex | null = null;
  private retriever: IndexRetriever | null = null;
  private guides: Guide[] = [];
  private bank: BankQuestion[] | null = null;
  private loadedVersion = -1;
  readonly terms: TermsFile;
  readonly aliases: AliasEntry[];

  constructor(
    readonly config: Config,
    readonly db: SqliteDb,
    readonly store: KnowledgeStore,
    private readonly ownsDb: boolean,
    private readonly log?: Logger,
  ) {
    this.terms = loadTermsFile(join(config.knowledgeDir, "terms.yaml"));
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
    if ((await this.store.listSources()).length > 0) return null;
    const paths = [join(this.config.knowledgeDir, "guides"), ...defaultLawSources(this.config)];
    this.log?.info({ paths }, "first start: ingesting the bundled knowledge");
    return ingestPaths(this.store, paths);
  }

  /** Loads the persisted index when it matches the store, else rebuilds it. */
  async refresh(): Promise<boolean> {
    const version = await this.store.version();
    if (version === this.loadedVersion && this.index) return false;
    const stamp = this.readStamp();
    if (stamp?.knowledgeVersion === version) {
      try {
        this.index = SearchIndex.load(this.indexDir);
      } catch (e) {
        this.log?.warn({ err: (e as Error).message }, "saved index unreadable; rebuilding");
        await this.rebuildIndex();
        return true;
      }
    } else {
      await this.rebuildIndex();
      return true;
    }
    this.loadedVersion = version;
    await this.attach();
    return true;
  }

  async rebuildIndex(opts: { progress?: boolean } = {}): Promise<void> {
    const version = await this.store.version();
    const articles = await this.store.allArticles();
    const t = Date.now();
    const index = SearchIndex.build(articles, {
      terms: this.terms.terms,
      typos: this.terms.typos,
      aliases: this.aliases,
      training: this.trainingFor(articles),
      onProgress: opts.progress ? (stage) => process.stderr.write(`index: ${stage}\n`) : undefined,
    });
    // Write to a temporary folder and swap, so a reader never sees half an index.
    const tmp = `${this.indexDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    index.save(tmp);
    writeFileSync(join(tmp, "stamp.json"), JSON.stringify({ knowledgeVersion: version, builtAt: new Date().toISOString() } satisfies IndexStamp));
    rmSync(this.indexDir, { recursive: true, force: true });
    mkdirSync(join(this.indexDir, ".."), { recursive: true });
    renameSync(tmp, this.indexDir);
    this.log?.info({ articles: articles.length, ms: Date.now() - t }, "search index built");
    this.index = index;
    this.loadedVersion = version;
    await this.attach();
  }

  private async attach(): Promise<void> {
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

  private trainingFor(articles: ArticleUnit[]): TrainingQuestion[] | undefined {
    const current = new Map<string, string>();
    for (const a of articles) if (isCurrentLaw(a)) current.set(`${a.law}|${a.article}`, a.id);
    const out = this.labelledQuestions()
      .map((q) => ({ query: q.query, relevant: q.answers.map((k) => current.get(k)).filter((id): id is string => id !== undefined) }))
      .filter((q) => q.relevant.length > 0);
    return out.length > 0 ? out : undefined;
  }

  // ---- what the answering pipeline calls (Retriever) ----------------------------------

  private requireRetriever(): IndexRetriever {
    if (!this.retriever) throw new Error("the knowledge base has no index yet: call refresh()");
    return this.retriever;
  }

  searchArticles(query: string, k: number): ArticleHit[] {
    return this.requireRetriever().searchArticles(query, k);
  }

  searchGuides(query: string, k: number): GuideSearchHit[] {
    return this.requireRetriever().searchGuides(query, k);
  }

  basisArticle(basis: GuideBasis): ArticleUnit | null {
    return this.requireRetriever().basisArticle(basis);
  }

  /** Every indexed version of an article, for the citation check and the console. */
  versionsOf(law: string, article: string): ArticleUnit[] {
    return this.retriever?.versionsOf(law, article) ?? [];
  }

  queryTerms(query: string): string[] {
    return this.requireRetriever().queryTerms(query);
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

  close(): void {
    if (this.ownsDb) this.db.close();
  }
}

export async function openKnowledge(config: Config, opts: OpenKnowledgeOptions = {}): Promise<KnowledgeBase> {
  const db = opts.db ?? openSqlite(join(config.dataDir, "lawdesk.db"));
  const kb = new KnowledgeBase(config, db, new SqliteKnowledgeStore(db), !opts.db, opts.log);
  if (opts.buildIndex !== false) {
    await kb.ensureSeeded();
    await kb.refresh();
  }
  return kb;
}
