// The first message of an answer, shaped for a phone screen: a direct answer in two or three
// sentences, the statutes by title and article (their text folded out on the web, on request
// elsewhere), two or three next steps and where to go, then how to see the rest. At most
// about 600 characters; the full answer waits for 回复【详细】.

import type { ServiceDirectory } from "../knowledge/directory.ts";
import type { Guide } from "../knowledge/types.ts";
import { placeLine } from "./followup-places.ts";
import type { Citation, ReplyFormat } from "./types.ts";

/** The most a first message says, in characters. */
export const PHONE_CHARS = 600;
/** The last line of every answer: general information, not advice on the resident's case. */
export const DISCLAIMER = "以上是一般性法律信息，不是针对您个案的法律意见。情况复杂的，可拨打12348或回复“转人工”找值班律师。";
/** Offers the rest of the answer. */
export const DETAIL_HINT = "回复【详细】看完整内容（材料、费用、时限等）。";
/** Offers the statutes' text where it is not folded out beside the message. */
export const STATUTE_HINT = "回复【法条】看条文原文";
/** Where the statutes' text is folded out beside the message (web chat). */
export const FOLDED_HINT = "条文原文见下方";

/** What the first message is made from. */
export interface FirstMessageInput {
  guide: Guide | null;
  citations: Citation[];
  directory: ServiceDirectory;
  region: string | null;
  explanation?: string;
}

interface Budget {
  direct: number;
  steps: number;
  stepChars: number;
  places: number;
}

// From roomy to tight: the first that fits is used.
const BUDGETS: Budget[] = [
  { direct: 170, steps: 3, stepChars: 60, places: 2 },
  { direct: 140, steps: 3, stepChars: 48, places: 1 },
  { direct: 110, steps: 2, stepChars: 44, places: 1 },
  { direct: 90, steps: 2, stepChars: 36, places: 0 },
];

/** Statute references in parentheses, dropped from the short text (the 依据 line names them). */
const REF = /（[^（）]*《[^》]+》[^（）]*）|（第[^（）]{1,20}条[^（）]*）/g;

/** Text up to `max` characters, ending at a sentence (or clause) boundary. */
export function sentencesUpTo(text: string, max: number): string {
  const flat = text.replace(REF, "").replace(/\s*\n+\s*/g, "");
  const chars = [...flat];
  if (chars.length <= max) return flat;
  const cut = chars.slice(0, max).join("");
  const end = cut.lastIndexOf("。");
  if (end > max * 0.4) return cut.slice(0, end + 1);
  const clause = Math.max(cut.lastIndexOf("；"), cut.lastIndexOf("，"));
  return (clause > max * 0.4 ? cut.slice(0, clause) : cut) + "……";
}

/** 《劳动合同法》第三十条、… : how statutes are named in a short text. */
export function statuteNames(citations: Citation[]): string {
  const names = citations.map((c) => `《${c.law}》${c.article}`);
  return names.filter((n, i) => names.indexOf(n) === i).join("、");
}

function direct(input: FirstMessageInput, max: number): string {
  const source = input.explanation ?? input.guide?.body ?? "";
  if (source) return sentencesUpTo(source, max);
  const first = input.citations[0];
  if (!first) return "";
  return `和您的问题最相关的规定是《${first.law.replace(/^中华人民共和国/, "")}》${first.article}：“${sentencesUpTo(first.quote, Math.max(40, max - 30))}”`;
}

function nextSteps(input: FirstMessageInput, b: Budget): string {
  const { guide, directory, region } = input;
  if (!guide) {
    const centre = directory.placesFor("public_legal_service", region)[0];
    return `下一步怎么做：\n可以带上身份证和相关材料，到${centre ? placeLine(centre) : "当地公共法律服务中心"}当面咨询，或拨打12348。`;
  }
  const steps = guide.steps.slice(0, b.steps).map((s, i) => `${i + 1}. ${sentencesUpTo(firstSentence(s), b.stepChars)}`);
  const places = guide.where
    .map((k) => directory.placesFor(k, region)[0])
    .filter((p) => p !== undefined)
    .slice(0, b.places)
    .map((p) => `· ${p.name}${p.phone ? `（电话${p.phone}）` : ""}`);
  return [`下一步怎么做：\n${steps.join("\n")}`, places.length > 0 ? `去哪里办：\n${places.join("\n")}` : ""].filter(Boolean).join("\n");
}

function firstSentence(s: string): string {
  const end = s.search(/[。；]/);
  return end > 0 ? s.slice(0, end + 1) : s;
}

/** The first message in a format; `statutes` says how the statute text reaches the resident. */
export function firstMessage(input: FirstMessageInput, limits: ReplyFormat): string {
  const folded = limits.statutes === "folded";
  const detailHint = limits.hints?.detail ?? DETAIL_HINT;
  const statuteHint = limits.hints?.statutes ?? STATUTE_HINT;
  let last = "";
  for (const b of BUDGETS) {
    const parts: string[] = [];
    const head = input.guide ? `【${input.guide.title}】\n` : "";
    parts.push(head + direct(input, b.direct));
    if (input.citations.length > 0) parts.push(`依据：${statuteNames(input.citations)}（${folded ? FOLDED_HINT : statuteHint}）`);
    parts.push(nextSteps(input, b));
    parts.push(`${detailHint}\n${DISCLAIMER}`);
    last = parts.filter(Boolean).join("\n\n");
    if ([...last].length <= PHONE_CHARS) return last;
  }
  return last;
}
