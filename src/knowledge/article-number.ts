// Article numbers as written in Chinese statutes (第一千零七十九条, 第十七条之一) and as
// residents type them (第30条, 1079条, 第三十条). One canonical label per article.

const DIGITS: Record<string, number> = {
  零: 0, 〇: 0, 一: 1, 壹: 1, 二: 2, 贰: 2, 两: 2, 三: 3, 叁: 3, 四: 4, 肆: 4,
  五: 5, 伍: 5, 六: 6, 陆: 6, 七: 7, 柒: 7, 八: 8, 捌: 8, 九: 9, 玖: 9,
};
const UNITS: Record<string, number> = { 十: 10, 拾: 10, 百: 100, 佰: 100, 千: 1000, 仟: 1000, 万: 10000 };

export const CHINESE_NUMERAL_CHARS = "零〇一壹二贰两三叁四肆五伍六陆七柒八捌九玖十拾百佰千仟万";

/** "一千零七十九" -> 1079, "十七" -> 17, "1079" -> 1079; null when not a number. */
export function chineseToInt(raw: string): number | null {
  const s = raw.trim();
  if (s === "") return null;
  if (/^[0-9０-９]+$/.test(s)) {
    const n = Number(s.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)));
    return Number.isSafeInteger(n) ? n : null;
  }
  if (![...s].some((ch) => ch in UNITS)) {
    // Positional notation such as 一〇七九.
    let n = 0;
    for (const ch of s) {
      if (!(ch in DIGITS)) return null;
      n = n * 10 + DIGITS[ch];
    }
    return n;
  }
  let total = 0;
  let section = 0; // value below 万
  let digit: number | null = null;
  for (const ch of s) {
    if (ch in DIGITS) {
      digit = DIGITS[ch];
    } else if (ch in UNITS) {
      const unit = UNITS[ch];
      if (unit === 10000) {
        section = (section + (digit ?? 0)) * unit;
        total += section;
        section = 0;
      } else {
        section += (digit ?? 1) * unit;
      }
      digit = null;
    } else {
      return null;
    }
  }
  const n = total + section + (digit ?? 0);
  return Number.isSafeInteger(n) ? n : null;
}

const CN_DIGITS = "零一二三四五六七八九";

/** 1079 -> "一千零七十九", 17 -> "十七" (statute style: 十 not 一十 at the start). */
export function intToChinese(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 99_999_999) throw new RangeError(`cannot spell ${n}`);
  if (n === 0) return "零";
  if (n >= 10000) {
    const high = Math.floor(n / 10000);
    const low = n % 10000;
    return intToChinese(high) + "万" + (low === 0 ? "" : (low < 1000 ? "零" : "") + spellBelow10000(low, true));
  }
  return spellBelow10000(n, false);
}

function spellBelow10000(n: number, inner: boolean): string {
  const units = ["千", "百", "十", ""];
  const parts = [Math.floor(n / 1000), Math.floor(n / 100) % 10, Math.floor(n / 10) % 10, n % 10];
  let out = "";
  let pendingZero = false;
  let started = false;
  parts.forEach((d, i) => {
    if (d === 0) {
      if (started) pendingZero = true;
      return;
    }
    if (pendingZero) out += "零";
    pendingZero = false;
    // 十七, not 一十七 — but 一百一十七 keeps its 一.
    if (!(d === 1 && i === 2 && !started && !inner)) out += CN_DIGITS[d];
    out += units[i];
    started = true;
  });
  return out;
}

export interface ArticleNumber {
  no: number;
  /** 之N suffix; 0 when absent. */
  sub: number;
}

const LABEL_RE = new RegExp(
  `^\\s*第?\\s*([0-9０-９]+|[${CHINESE_NUMERAL_CHARS}]+)\\s*条(?:\\s*之\\s*([0-9]+|[${CHINESE_NUMERAL_CHARS}]+))?\\s*$`,
);

/** "第十七条之一" / "第17条" / "17条" -> {no: 17, sub: 1}; null when not an article label. */
export function parseArticleLabel(label: string): ArticleNumber | null {
  const m = LABEL_RE.exec(label);
  if (!m) return null;
  const no = chineseToInt(m[1]);
  const sub = m[2] ? chineseToInt(m[2]) : 0;
  if (no === null || no <= 0 || no > 100_000 || sub === null || sub < 0 || sub > 100) return null;
  return { no, sub };
}

/** {no: 17, sub: 1} -> "第十七条之一": the canonical label every unit and citation uses. */
export function formatArticleLabel(no: number, sub = 0): string {
  return `第${intToChinese(no)}条${sub > 0 ? "之" + intToChinese(sub) : ""}`;
}

/** Canonicalise any accepted spelling; returns the input unchanged when it does not parse. */
export function canonicalArticleLabel(label: string): string {
  const n = parseArticleLabel(label);
  return n ? formatArticleLabel(n.no, n.sub) : label.trim();
}

export interface ArticleRef extends ArticleNumber {
  /** The law name as written just before the number (《民法典》, 劳动合同法), or null. */
  lawName: string | null;
  start: number;
  end: number;
}

// A law name: inside 《》, or a run of CJK ending in a statute word, directly before the number.
const LAW_SUFFIX = "(?:法典|法|条例|规定|解释|办法|规则|决定|细则|通则|章程)";
const REF_RE = new RegExp(
  `(?:《([^《》]{1,60})》|([\\p{Script=Han}A-Za-z（）()]{1,40}?${LAW_SUFFIX}))?\\s*(?:的)?\\s*` +
    `(第\\s*(?:[0-9０-９]+|[${CHINESE_NUMERAL_CHARS}]+)\\s*条|(?:[0-9０-９]+)\\s*条)` +
    `(?:\\s*之\\s*([0-9]+|[${CHINESE_NUMERAL_CHARS}]+))?`,
  "gu",
);

/** Every article reference in free text: "民法典第三条", "《民法典》1079条", "刑法第一百三十三条之一". */
export function findArticleRefs(text: string): ArticleRef[] {
  const refs: ArticleRef[] = [];
  for (const m of text.matchAll(REF_RE)) {
    const parsed = parseArticleLabel(m[3] + (m[4] ? "之" + m[4] : ""));
    if (!parsed) continue;
    const law = (m[1] ?? m[2] ?? "").trim();
    refs.push({ ...parsed, lawName: law === "" ? null : law, start: m.index ?? 0, end: (m.index ?? 0) + m[0].length });
  }
  return refs;
}
