// Replies that continue the last answer without a new search: 回复【详细】 shows the full
// answer a page at a time, 回复【法条】 the verbatim text of the statutes it cited.

import type { ArticleUnit, GuideBasis } from "../knowledge/types.ts";
import { cutToFit, fits, splitToFit } from "../text-fit.ts";
import { PHONE_CHARS } from "./phone-first.ts";
import { isCurrentLaw, validityLabel } from "../knowledge/status.ts";
import type { Citation, ReplyFormat, ThreadContext } from "./types.ts";

/** After the last page of 【详细】. */
export const NO_MORE_DETAIL = "上一条回答的全部内容已经发完了。还有不清楚的，可以直接接着问，或回复“转人工”找值班律师。";
/** In place of the quoted statutes where the format shows them folded out. */
export const FOLDED_BASIS = "法律依据：条文原文见第一条回答下方，点开即可查看。";
/** 【法条】 when the last answer cited none. */
export const NO_STATUTES = "上一条回答没有引用具体法条。您可以直接说说遇到的事，我帮您查相关规定。";

/** A page of at most a phone screen or two (and never beyond the format's own limit). */
export function pageLimits(limits: ReplyFormat): ReplyFormat {
  return { ...limits, maxChars: Math.min(limits.maxChars ?? Infinity, PHONE_CHARS) };
}

/** The pages of a full answer, each fitting a phone-sized page of the format. */
export function pagesOf(full: string, limits: ReplyFormat): string[] {
  return splitToFit(full, pageLimits(limits));
}

/** The next page of the last answer (回复【详细】), with where the resident is in it. */
export function detailPage(ctx: ThreadContext, limits: ReplyFormat): { text: string; part: number } | null {
  const stored = ctx.lastFullAnswer;
  if (!stored) return null;
  // Where the statutes are folded out beside the first message, their text is not repeated.
  const full = limits.statutes === "folded" ? stored.replace(/(^|\n\n)法律依据：\n[\s\S]*?(?=\n\n|$)/, `$1${FOLDED_BASIS}`) : stored;
  const pages = pagesOf(full, limits);
  const part = (ctx.lastDetailPart ?? 0) + 1;
  if (part > pages.length) return { text: NO_MORE_DETAIL, part: ctx.lastDetailPart ?? pages.length };
  const more = part < pages.length ? `\n\n（第${part}/${pages.length}页，回复【详细】看下一页）` : pages.length > 1 ? `\n\n（第${part}/${pages.length}页，已全部发完）` : "";
  const page = pages[part - 1];
  return { text: fits(page + more, limits) ? page + more : cutToFit(page, limits), part };
}

/** What 回复【法条】 needs from the knowledge base: the current text of a cited article. */
export type ArticleLookup = (basis: GuideBasis) => ArticleUnit | null;

/**
 * The statutes the last answer cited, verbatim and current, one after another, cut to the
 * format (where statutes are folded out beside the answer, it points there instead).
 */
export function statuteTexts(ctx: ThreadContext, lookup: ArticleLookup, limits: ReplyFormat, now: Date): { text: string; citations: Citation[] } {
  const articles = (ctx.lastCitations ?? [])
    .map((c) => lookup({ law: c.law, article: c.article }))
    .filter((a): a is ArticleUnit => a !== null && isCurrentLaw(a, now));
  if (articles.length === 0) return { text: NO_STATUTES, citations: [] };
  if (limits.statutes === "folded") {
    const names = articles.map((a) => `《${a.law}》${a.article}`).join("、");
    return { text: `${names}的条文原文见下方，点开即可查看。`, citations: articles.map((a) => ({ law: a.law, article: a.article, status: validityLabel(a, now), quote: a.text, articleId: a.id })) };
  }
  const blocks = articles.map((a) => `《${a.law}》${a.article}（${validityLabel(a, now)}）\n${a.text}`);
  const citations = articles.map((a) => ({ law: a.law, article: a.article, status: validityLabel(a, now), quote: a.text, articleId: a.id }));
  let text = blocks.join("\n\n");
  // Whole articles only, as many as fit; the first is cut with "……" only when it alone is too long.
  while (!fits(text, limits) && blocks.length > 1) {
    blocks.pop();
    text = `${blocks.join("\n\n")}\n\n（其余条文较长，可拨打12348或到网页版查看）`;
  }
  return { text: cutToFit(text, limits), citations: citations.slice(0, blocks.length) };
}
