// Exact citations: a question that names an article (民法典第三条, 劳动合同法第30条) gets that
// article first, in its current version.
import { findArticleRefs } from "../knowledge/article-number.ts";
import type { ArticleUnit } from "../knowledge/types.ts";
import type { LawNameResolver } from "./law-names.ts";
import { statusRank } from "./score-utils.ts";

/** Articles the query cites explicitly, current version first; `ofLaw` lists a title's articles. */
export function citedArticles(query: string, resolver: LawNameResolver, ofLaw: (title: string) => ArticleUnit[]): ArticleUnit[] {
  const out: ArticleUnit[] = [];
  for (const ref of findArticleRefs(query)) {
    if (!ref.lawName) continue;
    const res = resolver.resolve(ref.lawName);
    if (!res) continue;
    // A repealed law absorbed into a 民法典 book (婚姻法 -> 婚姻家庭编) was renumbered:
    // its 第三十二条 is not the Code's 第三十二条, so no number match is claimed.
    if (res.via === "alias" && res.alias?.book) continue;
    const cands: ArticleUnit[] = [];
    for (const title of res.titles) for (const a of ofLaw(title)) if (a.articleNo === ref.no && a.articleSub === ref.sub) cands.push(a);
    cands.sort((a, b) => statusRank(a) - statusRank(b) || (b.effective ?? "").localeCompare(a.effective ?? ""));
    for (const a of cands) if (!out.includes(a)) out.push(a);
  }
  return out;
}
