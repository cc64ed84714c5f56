// Persistence of the knowledge base: ingested sources, their articles and guides. The
// interface and its types; the implementation for both databases is knowledge-sql.ts.

import type { ArticleUnit, Guide, LawStatus } from "../knowledge/types.ts";
import type { LawOverride, LawOverrideStatus, LawRow } from "./knowledge-rows.ts";

export type SourceKind = "law_markdown" | "law_jsonl" | "guide";

export interface SourceRow {
  path: string;
  root: string;
  kind: SourceKind;
  hash: string;
  units: number;
  ingestedAt: string;
  lawKey?: string | null;
  lawDate?: string | null;
}

export interface KnowledgeStore {
  /**
   * Runs `fn` while no other process ingests into this store (PostgreSQL: an advisory lock;
   * two servers starting at once must not both seed the bundled knowledge). Re-entrant.
   */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  getSource(path: string): Promise<SourceRow | undefined>;
  listSources(root?: string): Promise<SourceRow[]>;
  /** Replaces everything a source contributed, atomically. */
  replaceSource(source: SourceRow, articles: ArticleUnit[], guides: Guide[]): Promise<void>;
  removeSource(path: string): Promise<void>;
  allArticles(): Promise<ArticleUnit[]>;
  allGuides(): Promise<Guide[]>;
  getArticles(ids: string[]): Promise<ArticleUnit[]>;
  /** Every version of an article, current first. */
  findArticle(law: string, no: number, sub: number): Promise<ArticleUnit[]>;
  setLawStatus(law: string, status: LawStatus, source?: string): Promise<number>;
  /** Where several versions of one law all claim to be current, keeps only the newest current. */
  resolveVersions(): Promise<number>;
  version(): Promise<number>;
  bumpVersion(): Promise<number>;
  // ---- administration (the console's knowledge pages)
  /** One row per law and source file (a version of a law), filtered by title, paginated. */
  listLaws(query?: LawListQuery): Promise<{ total: number; rows: LawRow[] }>;
  /** Marks a law of a source repealed or superseded (null lifts the mark); returns articles changed. */
  overrideLawStatus(source: string, law: string, status: LawOverrideStatus | null, by: string | null): Promise<number>;
  listLawOverrides(): Promise<LawOverride[]>;
  /** id, status and effective date of every article, in index order: tells what changed. */
  articleStates(): Promise<{ id: string; status: LawStatus; effective: string | null }[]>;
}

export type { LawOverride, LawOverrideStatus, LawRow } from "./knowledge-rows.ts";

export interface LawListQuery {
  /** Part of the title. */
  q?: string;
  status?: LawStatus;
  offset?: number;
  limit?: number;
}

export { STATUS_ORDER, toLawRow, toOverride, toSource, toUnit } from "./knowledge-rows.ts";
export { SqlKnowledgeStore } from "./knowledge-sql.ts";
