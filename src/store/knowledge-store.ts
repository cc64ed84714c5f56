// Persistence of the knowledge base: ingested sources, their articles and guides. What the
// store takes; the one implementation, for both databases, is knowledge-sql.ts, and its
// methods are the interface.

import type { LawStatus } from "../knowledge/types.ts";
import { SqlKnowledgeStore } from "./knowledge-sql.ts";

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

/**
 * What the rest of the application may call: the public methods of the one implementation,
 * documented there (knowledge-sql.ts), as a structural type.
 */
export type KnowledgeStore = Pick<SqlKnowledgeStore, keyof SqlKnowledgeStore>;

export type { LawOverride, LawOverrideStatus, LawRow } from "./knowledge-rows.ts";

export interface LawListQuery {
  /** Part of the title. */
  q?: string;
  status?: LawStatus;
  offset?: number;
  limit?: number;
}

export { SqlKnowledgeStore };
