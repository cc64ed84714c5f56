// The knowledge base a running process answers from: the store (SQLite) plus the search
// indexes built from it and persisted in the data directory. A change to the store bumps
// its version; `refresh()` notices and reloads or rebuilds, so no restart is needed.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
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
import { SqliteKnowledgeStore, type KnowledgeStore } from "../store/knowledge-store.ts";
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
}

export class KnowledgeBase {
  private index: SearchIndex | null = null;
  private retriever: IndexRetriever | null = null;
  private guides: Guide[] = [];
  private bank: BankQuestion[] | null = null;
  private loadedVersion = -1;
  /** Law files (path:hash) the loaded index was built from: tells a guide or status change from new text. */
  private lawSourcesSig: string | null = null;
  private refreshing: Promise<unknown> = Promise.resolve();
  readonly terms: TermsFile;
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

  /** Loads the persisted index when it matches the store, else rebuilds it. */
  async refresh(): Promise<boolean> {
    const version = await this.store.version();
    if (version === this.loadedVersion && this.index) return false;
    const stamp = this.readStamp();
    if (stamp?.knowledgeVersion === version) {
      try {
        this.index = SearchIndex.load(this.indexDir, this.remoteEmbeddings);
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
    const options = {
      terms: this.terms.terms,
      typos: this.terms.typos,
      aliases: this.aliases,
      training: this.trainingFor(articles),
      onProgress: opts.progress ? (stage: string) => process.stderr.write(`index: ${stage}\n`) : undefined,
    };
    // A bureau's own embedding model replaces the offline LSA vectors when configured.
    const index = this.remoteEmbeddings
      ? await SearchIndex.buildWithEmbeddings(articles, this.remoteEmbeddings, options)
      : SearchIndex.build(articles, options);
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

  searchArticles(query: string, k: number): Promise<ArticleHit[]> {
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
      write("stamp.json", JSON.stringify({ knowledgeVersion: version, builtAt: new Date().toISOString() } satisfies IndexStamp));
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
      neighbours: (q) => this.neighbours(q),
    };
  }

  close(): void {
    if (this.ownsDb) this.db?.close();
  }
}

export async function openKnowledge(config: Config, opts: OpenKnowledgeOptions = {}): Promise<KnowledgeBase> {
  let kb: KnowledgeBase;
  if (opts.store) {
    kb = new KnowledgeBase(config, null, opts.store, false, opts.log);
  } else {
    const db = opts.db ?? openSqlite(join(config.dataDir, "lawdesk.db"));
    kb = new KnowledgeBase(config, db, new SqliteKnowledgeStore(db), !opts.db, opts.log);
  }
  if (opts.buildIndex !== false) {
    await kb.ensureSeeded();
    await kb.refresh();
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

/** A file name safe on any file system, keeping Chinese titles readable. */
function safeFileName(name: string): string {
  const base = basename(name.replace(/\\/g, "/"));
  const ext = base.endsWith(".jsonl") ? ".jsonl" : ".md";
  const stem = base.slice(0, base.length - ext.length).replace(/[^\p{L}\p{N}()（）_.-]+/gu, "_").replace(/^\.+/, "").slice(0, 120);
  return `${stem || "upload"}${ext}`;
}
