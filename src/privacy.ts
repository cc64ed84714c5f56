// Personal information patterns: mainland ID-card numbers, mobile and landline numbers,
// bank-card numbers, written the way people type them: full-width digits (１３８…), groups
// split by spaces, dashes or dots (110101 19900307 1234, 138-1234-5678, 138.1234.5678,
// +86 138 1234 5678, 6222 0212 3456 7890). Used to keep them out of logs, language-model
// prompts, group chats, Telegram and exports.
//
// The text is scanned on a normalised copy of the same length (full-width digits and X as
// ASCII, every separator a space), so a number found there is masked at the same place in
// the original. Within a run of digit groups the longest group sequence that forms a number
// is masked first: "13812345678 13987654321" is two phones, "6222 0212 3456 7890" one card.

const ID_18 = /^[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]$/;
const ID_15 = /^[1-9]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}$/;
const MOBILE = /^(?:0{0,2}86)?1[3-9]\d{9}$/;
// Area code (3-4 digits with its 0) and a 7-8 digit number.
const LANDLINE = /^0\d{9,11}$/;
const BANK_CARD = /^\d{16,19}$/;

/** Separators people put between digit groups: spaces (also full-width and thin), dashes, dots. */
const SEPARATOR = /[\s\u00a0\u2000-\u200b\u3000\-\u2010-\u2015\u2212\uff0d.\uff0e\u00b7\u30fb\u2027]/;
/** Up to three separator characters between two groups (" - ", "  "). */
const RUN = /[0-9]+(?: {1,3}[0-9]+)*(?:X(?![0-9A-Za-z]))?/g;
const MAX_GROUPS = 8;
const MAX_DIGITS = 24;

function scanCopy(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xff10 && c <= 0xff19) out += String.fromCharCode(c - 0xff10 + 48);
    else if (c === 0xff38 || c === 0xff58 || c === 0x78) out += "X"; // Ｘ ｘ x
    else if (c === 0xff0b) out += "+";
    else if (SEPARATOR.test(text[i])) out += " ";
    else out += text[i];
  }
  return out;
}

function classify(digits: string): string | null {
  if (ID_18.test(digits) || ID_15.test(digits)) return "[身份证号]";
  if (MOBILE.test(digits)) return "[手机号]";
  if (LANDLINE.test(digits)) return "[电话]";
  if (BANK_CARD.test(digits)) return "[银行卡号]";
  return null;
}

interface Found {
  start: number;
  end: number;
  label: string;
}

function find(text: string): Found[] {
  if (!/[0-9\uff10-\uff19]/.test(text)) return [];
  const scan = scanCopy(text);
  const found: Found[] = [];
  for (const run of scan.matchAll(RUN)) {
    const groups: { start: number; end: number; digits: string }[] = [];
    for (const g of run[0].matchAll(/[0-9]+X?/g)) groups.push({ start: run.index + g.index, end: run.index + g.index + g[0].length, digits: g[0] });
    // The choice of segments that masks the most digits (then the fewest segments), so
    // that "010-2000000 10 0000 193001010000" is a landline and an ID, not a card and a rest.
    const n = groups.length;
    const best: { covered: number; count: number; next: number; label: string | null }[] = new Array(n + 1);
    best[n] = { covered: 0, count: 0, next: n, label: null };
    for (let i = n - 1; i >= 0; i--) {
      best[i] = { ...best[i + 1], next: i + 1, label: null };
      for (let j = i; j < Math.min(n, i + MAX_GROUPS); j++) {
        const digits = groups.slice(i, j + 1).map((g) => g.digits).join("");
        if (digits.length > MAX_DIGITS) break;
        if (digits.includes("X") && !digits.endsWith("X")) break;
        const label = classify(digits);
        if (!label) continue;
        const covered = digits.length + best[j + 1].covered;
        const count = 1 + best[j + 1].count;
        if (covered > best[i].covered || (covered === best[i].covered && count < best[i].count)) best[i] = { covered, count, next: j + 1, label };
      }
    }
    for (let i = 0; i < n; ) {
      const b = best[i];
      if (b.label) {
        let start = groups[i].start;
        // "+86 138…": the plus sign goes with the number.
        const digits = groups.slice(i, b.next).map((g) => g.digits).join("");
        if (b.label === "[手机号]" && /^0{0,2}86/.test(digits) && scan[start - 1] === "+") start--;
        found.push({ start, end: groups[b.next - 1].end, label: b.label });
      }
      i = b.next;
    }
  }
  return found;
}

export function maskPersonalData(text: string): string {
  const found = find(text);
  if (found.length === 0) return text;
  let out = "";
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.start) + f.label;
    at = f.end;
  }
  return out + text.slice(at);
}

export function containsPersonalData(text: string): boolean {
  return find(text).length > 0;
}
