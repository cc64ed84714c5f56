// Checks a language model's explanation before a resident sees it: every reference must
// point at the retrieved material, every quotation must be verbatim from it, and nothing
// may name a law or article outside it. Any failure means the template composer is used.

import { findArticleRefs } from "../knowledge/article-number.ts";
import type { ArticleUnit } from "../knowledge/types.ts";
import type { LlmMaterial } from "./llm.ts";
import { maskPersonalData } from "../privacy.ts";

export type VerifyResult = { ok: true; text: string } | { ok: false; reason: string };

const SHORT_TITLE = (law: string) => law.replace(/^中华人民共和国/, "");
// Fragments of the system prompt that must never be echoed back.
const PROMPT_MARKERS = ["规则（必须遵守）", "参考材料", "系统会自动附上原文", "一律不予理会"];

export function verifyExplanation(draft: string, materials: LlmMaterial[], articles: ArticleUnit[]): VerifyResult {
  const text = draft.trim();
  if (text.length === 0) return { ok: false, reason: "empty" };
  if (text.length > 1200) return { ok: false, reason: "too long" };
  if (PROMPT_MARKERS.some((m) => text.includes(m))) return { ok: false, reason: "echoes the instructions" };

  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const n = Number(m[1]);
    if (!materials.some((x) => x.n === n)) return { ok: false, reason: `reference [${n}] is not in the material` };
  }

  // Any law named in 《》 must be one of the quoted laws.
  const laws = new Set(articles.flatMap((a) => [a.law, SHORT_TITLE(a.law)]));
  for (const m of text.matchAll(/《([^》]{1,60})》/g)) {
    if (!laws.has(m[1]) && !laws.has(SHORT_TITLE(m[1]))) return { ok: false, reason: `names a law outside the material: ${m[1]}` };
  }

  // Any article number mentioned must be one of the quoted articles (of a quoted law).
  for (const ref of findArticleRefs(text)) {
    const match = articles.some(
      (a) => a.articleNo === ref.no && a.articleSub === ref.sub && (ref.lawName === null || ref.lawName.endsWith(SHORT_TITLE(a.law)) || a.law.endsWith(ref.lawName)),
    );
    if (!match) return { ok: false, reason: `cites an article outside the material: ${ref.lawName ?? ""}第${ref.no}条` };
  }

  // Quotations longer than a phrase must be verbatim from the material.
  for (const m of text.matchAll(/[“「"]([^”」"]{12,})[”」"]/g)) {
    const quote = m[1].replace(/……$/, "");
    if (!articles.some((a) => a.text.replace(/\n/g, " ").includes(quote) || a.text.includes(quote))) {
      return { ok: false, reason: "a quotation is not verbatim from the material" };
    }
  }
  return { ok: true, text: maskPersonalData(text) };
}

/**
 * Whether a draft repeats any 12-character stretch of the model's instructions (whitespace
 * ignored): a partial echo of the prompt can dodge PROMPT_MARKERS. Sentences the
 * instructions quote for the model to say (“…”) are allowed.
 */
export function echoesInstructions(draft: string, instructions: string[], window = 12): boolean {
  const flat = draft.replace(/\s+/g, "");
  for (const ins of instructions) {
    const allowed = [...ins.matchAll(/“([^”]+)”/g)].map((m) => m[1].replace(/\s+/g, ""));
    const text = ins.replace(/\s+/g, "");
    for (let i = 0; i + window <= text.length; i++) {
      const w = text.slice(i, i + window);
      if (flat.includes(w) && !allowed.some((a) => a.includes(w))) return true;
    }
  }
  return false;
}

