// Chapter headings for a corpus that has none. STARD's JSONL gives law, article and text
// only, while the statutes the assistant ingests carry their 编/章/节 path, which search
// indexes with the text (BM25, the dense space, and so the reranker's coverage features):
// "租赁合同" over 买卖不破租赁, "违约责任" over the general rule. Joining them from the same
// Markdown statutes makes a corpus rank as the ingested law does. A match needs the law's
// title, the article's label and the start of its text to agree, so an article of another
// version of the law is left without chapters.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseLawMarkdown } from "../knowledge/law-markdown.ts";
import type { ArticleUnit } from "../knowledge/types.ts";

/** Chapter paths by law title and article label, with each version's opening text. */
export type ChapterTable = Map<string, Array<{ opening: string; chapters: string[] }>>;

const PRC = /中华人民共和国/g;

/** Law titles are written with and without 中华人民共和国 (also inside 《》 of interpretations). */
function lawKey(title: string, label: string): string {
  return `${title.replace(PRC, "").replace(/\s+/g, "")}|${label}`;
}

/** The text's first 40 characters without spaces or punctuation (layouts differ, words do not). */
function opening(text: string): string {
  return text.replace(/[\s\p{P}]/gu, "").slice(0, 40);
}

/** The .md files under `path` (a folder or one file); a path that does not exist gives none. */
function* markdownFiles(path: string): Generator<string> {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isDirectory()) {
    if (path.endsWith(".md")) yield path;
    return;
  }
  for (const name of readdirSync(path).sort()) if (!name.startsWith(".")) yield* markdownFiles(join(path, name));
}

/**
 * The chapter paths of every article in the Markdown statutes under `folders` (folders or
 * single files; a path that is not there gives none), as ingestion gives them: a file's
 * subtitle (the Civil Code's 合同编 …) first, then its headings. Files that are not
 * statutes are skipped.
 */
export function readChapterTable(folders: string[]): ChapterTable {
  const table: ChapterTable = new Map();
  for (const folder of folders)
    for (const file of markdownFiles(folder)) {
      let law;
      try {
        law = parseLawMarkdown(readFileSync(file, "utf8"));
      } catch {
        continue;
      }
      for (const a of law.articles) {
        const key = lawKey(law.title, a.label);
        const list = table.get(key) ?? [];
        list.push({ opening: opening(a.text), chapters: law.subtitle ? [law.subtitle, ...a.chapters] : a.chapters });
        table.set(key, list);
      }
    }
  return table;
}

/** A cheap fingerprint of the statutes under `folders` (names, sizes, times), for cache keys. */
export function chapterSourcesStamp(folders: string[]): string {
  const h = createHash("sha256");
  for (const folder of folders)
    for (const file of markdownFiles(folder)) {
      const st = statSync(file);
      h.update(`${file}\0${st.size}\0${st.mtimeMs}\n`);
    }
  return h.digest("hex").slice(0, 16);
}

/**
 * Gives each article without chapters the path of its match in `table` (same law, label and
 * opening text). Returns how many articles got one.
 */
export function attachChapters(units: ArticleUnit[], table: ChapterTable): number {
  let attached = 0;
  for (const u of units) {
    if (u.chapters.length > 0) continue;
    const start = opening(u.text);
    const match = table.get(lawKey(u.law, u.article))?.find((v) => v.opening === start);
    if (match && match.chapters.length > 0) {
      u.chapters = match.chapters;
      attached++;
    }
  }
  return attached;
}
