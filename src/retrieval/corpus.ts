// Reading an article corpus in the JSONL interchange format ({id, law, article, text,
// status?, level?, effective?, region?, chapters?}) for ranking and evaluation. The parsing
// is the ingester's (src/knowledge/law-jsonl.ts), in its lenient mode: an outside corpus
// keeps every line that has an id, a law and a text. Articles without chapters can take
// them from the Markdown statutes (corpus-chapters.ts).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseLawJsonl } from "../knowledge/law-jsonl.ts";
import type { ArticleUnit } from "../knowledge/types.ts";
import { attachChapters, readChapterTable } from "./corpus-chapters.ts";

/** `chaptersFrom`: folders of Markdown statutes to read missing chapter headings from. */
export function readCorpusJsonl(path: string, opts: { chaptersFrom?: string[] } = {}): ArticleUnit[] {
  const { units, problems } = parseLawJsonl(readFileSync(path, "utf8"), basename(path), { lenient: true });
  for (const p of problems.slice(0, 20)) process.stderr.write(`${path}:${p.line}: skipped: ${p.message}\n`);
  if (problems.length > 20) process.stderr.write(`${path}: ${problems.length - 20} more lines skipped\n`);
  if (opts.chaptersFrom?.length && units.some((u) => u.chapters.length === 0)) attachChapters(units, readChapterTable(opts.chaptersFrom));
  return units;
}
