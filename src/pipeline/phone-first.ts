// The first message of an answer, shaped for a phone screen: a direct answer in two or three
// sentences, the statutes by title and article (their text folded out on the web, on request
// elsewhere), two or three next steps and where to go, then how to see the rest. At most
// about 600 characters; the full answer waits for 回复【详细】. This picks the parts that fit;
// render.ts lays them out.

import type { ServiceDirectory } from "../knowledge/directory.ts";
import type { Guide } from "../knowledge/types.ts";
import { focusedBody, type AnswerFocus } from "./focus.ts";
import { placeLine } from "./followup-places.ts";
import { firstMessageText } from "./render.ts";
import type { AnswerParts, Citation, ReplyFormat } from "./types.ts";

/** The most a first message says, in characters. */
export const PHONE_CHARS = 600;

/** What the first message is made from. */
export interface FirstMessageInput {
  guide: Guide | null;
  citations: Citation[];
  directory: ServiceDirectory;
  region: string | null;
  explanation?: string;
  /** The question and what was retrieved for it: which of the guide's paragraphs it asks about. */
  focus?: AnswerFocus;
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

/** The direct answer from `source` (the explanation or the guide's body, focused), else the first statute. */
function direct(input: FirstMessageInput, source: string, max: number): string {
  if (source) return sentencesUpTo(source, max);
  const first = input.citations[0];
  if (!first) return "";
  return `和您的问题最相关的规定是《${first.law.replace(/^中华人民共和国/, "")}》${first.article}：“${sentencesUpTo(first.quote, Math.max(40, max - 30))}”`;
}

/** The next steps and where to go, within a budget. */
function nextSteps(input: FirstMessageInput, b: Budget): Pick<AnswerParts, "steps" | "places"> {
  const { guide, directory, region } = input;
  if (!guide) {
    const centre = directory.placesFor("public_legal_service", region)[0];
    return { steps: [`可以带上身份证和相关材料，到${centre ? placeLine(centre) : "当地公共法律服务中心"}当面咨询，或拨打12348。`], places: [] };
  }
  const steps = guide.steps.slice(0, b.steps).map((s) => sentencesUpTo(firstSentence(s), b.stepChars));
  const places = guide.where
    .map((k) => directory.placesFor(k, region)[0])
    .filter((p) => p !== undefined)
    .slice(0, b.places)
    .map((p) => `· ${p.name}${p.phone ? `（电话${p.phone}）` : ""}`);
  return { steps, places };
}

function firstSentence(s: string): string {
  const end = s.search(/[。；]/);
  return end > 0 ? s.slice(0, end + 1) : s;
}

/**
 * The first message's parts, at the roomiest budget whose rendering fits a phone screen
 * (else the tightest); `lead` and `fullText` are left for the caller.
 */
export function firstMessageParts(input: FirstMessageInput, format: ReplyFormat): AnswerParts {
  let parts: AnswerParts | null = null;
  const source = input.explanation ?? (input.guide ? focusedBody(input.guide, input.focus) : "");
  for (const b of BUDGETS) {
    parts = { lead: "", title: input.guide?.title ?? null, direct: direct(input, source, b.direct), ...nextSteps(input, b), citations: input.citations, fullText: "" };
    if ([...firstMessageText(parts, format)].length <= PHONE_CHARS) return parts;
  }
  return parts!;
}
