// Text normalisation for incoming resident messages: one canonical form before any
// matching (emergency cues, intent, topic, retrieval). Pure, fast, never throws.
import * as OpenCC from "opencc-js";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

export interface Typo {
  wrong: string;
  right: string;
}

export interface NormalizeOptions {
  /** Longest text kept, in code points (default 500). */
  maxChars?: number;
  /** Misspellings of legal words to fix (from knowledge/terms.yaml `typos`). */
  typos?: Typo[];
}

export interface NormalizedText {
  text: string;
  original: string;
  truncated: boolean;
  /** Nothing to act on: blank or punctuation/symbols only. */
  empty: boolean;
  /** Only emoji (or WeChat emoticon codes like [微笑]), possibly with punctuation. */
  emojiOnly: boolean;
  /** Typo fixes applied, as "wrong→right". */
  fixes: string[];
}

type Convert = (s: string) => string;
let t2s: Convert | null = null;
/** Built lazily: constructing the OpenCC dictionaries takes tens of milliseconds. */
function toSimplified(s: string): string {
  if (!t2s) {
    let convert: Convert;
    try {
      // 'hk' rather than 'tw': the Taiwan variant table maps 么 to 幺 and breaks "在么", "要钱么".
      convert = OpenCC.Converter({ from: "hk", to: "cn" });
    } catch {
      convert = (x) => x; // degrade to no conversion rather than fail the message
    }
    t2s = convert;
  }
  // Some characters convert in two steps (薴 → 苧 → 苎): repeat until stable, so normalising
  // normalised text changes nothing (a follow-up's stored text must match its re-normalised form).
  let out = t2s(s);
  for (let i = 0; i < 3; i++) {
    const again = t2s(out);
    if (again === out) break;
    out = again;
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Control chars except tab/newline/CR (they become whitespace), and format chars
// (zero-width space/joiner, BOM, bidi overrides, soft hyphen, emoji tags).
const CONTROL = /[\p{Cc}\p{Cf}]/gu;
const WS_RUN = /[\s\u3000]+/g;
const EMOJI = /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u20E3\uFE0E\uFE0F]/gu;
const HAS_EMOJI = /\p{Extended_Pictographic}/u;
const PUNCT_SYMBOL = /[\p{P}\p{S}\s]/gu;
// WeChat sends its built-in stickers as bracketed names.
const WECHAT_EMOTICON =
  /\[(?:微笑|撇嘴|色|发呆|得意|流泪|害羞|闭嘴|睡|大哭|尴尬|发怒|调皮|呲牙|惊讶|难过|囧|抓狂|吐|偷笑|愉快|白眼|傲慢|困|惊恐|憨笑|悠闲|咒骂|疑问|嘘|晕|衰|骷髅|敲打|再见|擦汗|抠鼻|鼓掌|坏笑|鄙视|委屈|快哭了|阴险|亲亲|可怜|笑脸|生病|脸红|破涕为笑|恐惧|失望|无语|嘿哈|捂脸|奸笑|机智|皱眉|耶|吃瓜|加油|汗|天啊|社会社会|旺柴|好的|打脸|哇|翻白眼|666|让我看看|叹气|苦涩|裂开|嘴唇|爱心|心碎|拥抱|强|弱|握手|胜利|抱拳|勾引|拳头|OK|合十|啤酒|咖啡|蛋糕|玫瑰|凋谢|菜刀|炸弹|便便|月亮|太阳|庆祝|礼物|红包|发|福|烟花|爆竹|猪头|跳跳|发抖|转圈)\]/g;
const SENTENCE_END = new Set(["。", "！", "？", "!", "?", "；", ";", "\n", "…"]);
const SOFT_BREAK = new Set(["，", ",", "、", " ", "："]);

/** Full-width ASCII letters/digits and the ideographic space → half-width; CJK punctuation untouched. */
function toHalfWidth(s: string): string {
  return s.replace(/[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A\u3000]/g, (c) =>
    c === "\u3000" ? " " : String.fromCharCode(c.charCodeAt(0) - 0xfee0),
  );
}

function collapseWhitespace(s: string): string {
  return s.replace(WS_RUN, (run) => (run.includes("\n") ? "\n" : " ")).trim();
}

function fixTypos(s: string, typos: Typo[] | undefined, fixes: string[]): string {
  if (!typos || typos.length === 0) return s;
  // Longest first so a longer misspelling wins over one it contains.
  const sorted = typos
    // A fix whose right word contains the wrong one would re-apply on every pass.
    .filter((t) => t && typeof t.wrong === "string" && typeof t.right === "string" && t.wrong.length > 0 && !t.right.includes(t.wrong))
    .sort((a, b) => b.wrong.length - a.wrong.length);
  let out = s;
  for (const { wrong, right } of sorted) {
    if (!out.includes(wrong)) continue;
    out = out.split(wrong).join(right);
    fixes.push(`${wrong}→${right}`);
  }
  return out;
}

/** Cut at a sentence end near maxChars (then a comma/space), else hard at maxChars. */
function truncate(s: string, maxChars: number): { text: string; truncated: boolean } {
  const cps = Array.from(s);
  if (cps.length <= maxChars) return { text: s, truncated: false };
  const floor = Math.floor(maxChars * 0.6);
  let cut = -1;
  for (const set of [SENTENCE_END, SOFT_BREAK]) {
    for (let i = maxChars - 1; i >= floor && cut < 0; i--) if (set.has(cps[i])) cut = i + 1;
    if (cut >= 0) break;
  }
  if (cut < 0) cut = maxChars;
  return { text: cps.slice(0, cut).join("").trim(), truncated: true };
}

export function normalizeText(raw: string, opts: NormalizeOptions = {}): NormalizedText {
  const original = typeof raw === "string" ? raw : String(raw ?? "");
  const maxChars = Math.max(1, Math.floor(opts.maxChars ?? 500));
  const fixes: string[] = [];
  // Pre-cut huge input so the work stays bounded; whitespace collapse can only shrink it.
  let s = original.length > maxChars * 8 + 64 ? original.slice(0, maxChars * 8 + 64) : original;
  s = s.replace(LONE_SURROGATE, "");
  s = s.replace(/[\t\r\v\f]/g, " ").replace(CONTROL, (c) => (c === "\n" ? "\n" : ""));
  s = toHalfWidth(s);
  // Whitespace first: OpenCC converts by phrase, so a trailing space that is trimmed later
  // could change how the characters before it convert, and a second pass would differ.
  s = toSimplified(collapseWhitespace(s));
  s = fixTypos(s, opts.typos, fixes);
  const { text, truncated } = truncate(s, maxChars);

  const withoutEmoticons = text.replace(WECHAT_EMOTICON, "");
  const hadEmoji = withoutEmoticons !== text || HAS_EMOJI.test(text);
  const rest = withoutEmoticons.replace(EMOJI, "").replace(PUNCT_SYMBOL, "");
  const emojiOnly = hadEmoji && rest.length === 0;
  const empty = !emojiOnly && rest.length === 0;
  return { text, original, truncated, empty, emojiOnly, fixes };
}

/** Read the `typos` list from knowledge/terms.yaml; [] when absent or malformed. */
export function loadTypos(knowledgeDir: string): Typo[] {
  const file = join(knowledgeDir, "terms.yaml");
  if (!existsSync(file)) return [];
  const data: unknown = parseYaml(readFileSync(file, "utf8"));
  const list = (data as { typos?: unknown } | null)?.typos;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (t): t is Typo => !!t && typeof t === "object" && typeof t.wrong === "string" && typeof t.right === "string",
  );
}
