// Parser for statutes in the Markdown layout of the LawRefBook collection:
//   # title / # subtitle, dated history lines, <!-- INFO END -->,
//   ## / ### / #### headings (编, 章, 节), and one article per line starting "第X条 ".
// Paragraphs after an article line belong to that article until the next article or heading.

import { CHINESE_NUMERAL_CHARS, chineseToInt, formatArticleLabel } from "./article-number.ts";

export interface ParsedArticle {
  no: number;
  sub: number;
  label: string;
  text: string;
  chapters: string[];
  line: number;
}

export interface ParsedLaw {
  title: string;
  subtitle: string | null;
  /** Dated lines from the header: "2007年6月29日 …通过". */
  history: { date: string | null; event: string }[];
  articles: ParsedArticle[];
  /** Problems that did not stop parsing (duplicate numbers, text before the first article). */
  warnings: { line: number; message: string }[];
}

export class LawParseError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

// "－" appears in a few local regulations where 一 was meant (第三十－条).
const NUMERAL = `[${CHINESE_NUMERAL_CHARS}－0-9]+`;
const ARTICLE_RE = new RegExp(`^第(${NUMERAL})条(?:之(${NUMERAL}))?(?:[ \\u3000\\t]+|$)(.*)$`);
const HEADING_RE = /^(#{2,6})\s+(.+?)\s*$/;
const DATE_RE = /^(\d{4})年(\d{1,2})月(\d{1,2})日/;

function numeral(s: string): number | null {
  return chineseToInt(s.replace(/－/g, "一"));
}

export function parseLawMarkdown(source: string): ParsedLaw {
  const lines = source.replace(/^\uFEFF/, "").split(/\r?\n/);
  const warnings: ParsedLaw["warnings"] = [];
  const titles: string[] = [];
  const history: ParsedLaw["history"] = [];

  // Header: '# ' titles and history lines, up to <!-- INFO END --> or, when that marker is
  // missing, up to the first heading or article.
  const hasInfoEnd = lines.some((l) => l.trim() === "<!-- INFO END -->");
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "<!-- INFO END -->") {
      i++;
      break;
    }
    if (!hasInfoEnd && (HEADING_RE.test(line) || ARTICLE_RE.test(line))) break;
    if (line === "") continue;
    const t = /^#\s+(.+?)\s*$/.exec(line);
    if (t) {
      titles.push(t[1]);
      continue;
    }
    const d = DATE_RE.exec(line);
    history.push({
      date: d ? `${d[1]}-${d[2].padStart(2, "0")}-${d[3].padStart(2, "0")}` : null,
      event: line,
    });
  }
  if (titles.length === 0) throw new LawParseError("no '# title' line in the header", 1);

  const articles: ParsedArticle[] = [];
  const headingStack: { depth: number; text: string }[] = [];
  let current: ParsedArticle | null = null;
  const seen = new Set<string>();

  for (; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    if (line === "" || line === "<!-- INFO END -->") continue;
    const h = HEADING_RE.exec(line);
    if (h) {
      const depth = h[1].length;
      while (headingStack.length > 0 && headingStack[headingStack.length - 1].depth >= depth) headingStack.pop();
      headingStack.push({ depth, text: h[2].replace(/\s+/g, " ") });
      current = null;
      continue;
    }
    const a = ARTICLE_RE.exec(line);
    if (a) {
      const no = numeral(a[1]);
      const sub = a[2] ? numeral(a[2]) : 0;
      if (no === null || no <= 0 || sub === null) {
        throw new LawParseError(`unreadable article number in "${line.slice(0, 20)}"`, i + 1);
      }
      const label = formatArticleLabel(no, sub);
      if (seen.has(label)) warnings.push({ line: i + 1, message: `duplicate article ${label}` });
      seen.add(label);
      current = { no, sub, label, text: a[3].trim(), chapters: headingStack.map((s) => s.text), line: i + 1 };
      articles.push(current);
      continue;
    }
    if (current) {
      current.text = current.text === "" ? line : `${current.text}\n${line}`;
    } else if (!line.startsWith("<!--") && !line.startsWith("---")) {
      warnings.push({ line: i + 1, message: "text outside any article" });
    }
  }
  return { title: titles[0], subtitle: titles[1] ?? null, history, articles, warnings };
}
