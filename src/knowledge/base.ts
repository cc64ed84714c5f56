// The knowledge base a running process answers from: the store (SQLite) plus the search
// indexes built from it and persisted in the data directory. A change to the store bumps
// its version; `refresh()` notices and reloads or rebuilds, so no restart is needed.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { defaultLawSources, SHARED_DATA_DIR, type Config } from "../config.ts";
import { GuideIndex, type GuideSearchHit } from "../retrieval/guide-index.ts";
import { loadAliasesFile, loadTermsFile, type AliasEntry, type TermsFile } from "../retrieval/knowledge-files.ts";
import { SearchIndex, type TrainingQuestion } from "../retrieval/search-index.ts";
import { SqliteKnowledgeStore, type KnowledgeStore } from "../store/knowledge-store.ts";
import { openSqlite, type SqliteDb } from "../store/sqlite.ts";
import { parseArticleLabel } from "./article-number.ts";
import { ingestPaths, type IngestSummary } from "./ingest.ts";
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
  private guideIndex: GuideIndex | null = null;
  private guides: Guide[] = [];
  private loadedVersion = -1;
  private readonly byLawArticle = new Map<string, ArticleUnit[]>();
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
    await this.loadGuides();
    this.loadedVersion = version;
    this.indexArticles();
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
    await this.loadGuides();
    this.indexArticles();
  }

  private async loadGuides(): Promise<void> {
    this.guides = await this.store.allGuides();
    this.guideIndex = new GuideIndex(this.guides, { tokenizer: this.index?.tokenizer });
  }

  private indexArticles(): void {
    this.byLawArticle.clear();
    for (const a of this.index?.articles ?? []) {
      const key = `${a.law}|${a.article}`;
      const list = this.byLawArticle.get(key);
      if (list) list.push(a);
      else this.byLawArticle.set(key, [a]);
    }
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
   * Labelled layperson questions (STARD training set) mapped onto this knowledge base by
   * law title and article number, for document expansion. Held-out evaluation of this
   * learning is in `npm run eval`.
   */
  private trainingFor(articles: ArticleUnit[]): TrainingQuestion[] | undefined {
    const path = join(SHARED_DATA_DIR, "stard", "queries-train.jsonl");
    if (process.env.LAWDESK_TRAINING === "off" || !existsSync(path)) return undefined;
    const current = new Map<string, string>();
    for (const a of articles) if (isCurrentLaw(a)) current.set(`${a.law}|${a.article}`, a.id);
    const out: TrainingQuestion[] = [];
    for (const line of readFileSync(path, "utf8").split("\n")) {
      if (!line.trim()) continue;
      const q = JSON.parse(line) as { query: string; relevant_names?: string[] };
      const relevant = (q.relevant_names ?? [])
        .map((name) => {
          const m = /^(.*?)(第[^第]+条(?:之[^条]+)?)$/.exec(name);
          const label = m ? parseArticleLabel(m[2]) : null;
          return m && label ? current.get(`${m[1]}|${m[2]}`) : undefined;
        })
        .filter((id): id is string => id !== undefined);
      if (relevant.length > 0) out.push({ query: q.query, relevant });
    }
    return out.length > 0 ? out : undefined;
  }

  // ---- what the answering pipeline calls (Retriever) ----------------------------------

  private requireIndex(): SearchIndex {
    if (!this.index) throw new Error("the knowledge base has no index yet: call refresh()");
    return this.index;
  }

  searchArticles(query: string, k: number): ArticleHit[] {
    return this.requireIndex().search(query, k);
  }

  searchGuides(query: string, k: number): GuideSearchHit[] {
    // Scores comparable across questions: the normalised score, not raw BM25.
    return (this.guideIndex?.search(query, k) ?? []).map((h) => ({ ...h, score: h.normalized }));
  }

  basisArticle(basis: GuideBasis): ArticleUnit | null {
    const versions = this.byLawArticle.get(`${basis.law}|${basis.article}`) ?? [];
    return versions.find((a) => isCurrentLaw(a)) ?? null;
  }

  /** Every indexed version of an article, for the citation check and the console. */
  versionsOf(law: string, article: string): ArticleUnit[] {
    return this.byLawArticle.get(`${law}|${article}`) ?? [];
  }

  queryTerms(query: string): string[] {
    return this.requireIndex().tokenizer.words(query);
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
