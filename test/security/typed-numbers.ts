// A phone number, ID numbers and a bank card, each the ways residents type them, and the
// log scan that finds them however they were written (full-width digits folded, separators
// between digits dropped): shared by the done-when tests of issue 14.

export const PHONE = "13912873465";
const ID18 = "110101199003071234";
const ID15 = "110101900307123";
const CARD = "6222021234567890123";
export const NUMBERS = [PHONE, ID18, ID15, CARD];

const full = (s: string) => s.replace(/[0-9X]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
const group = (s: string, sizes: number[], sep: string) => {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) out.push(s.slice(i, (i += n)));
  if (i < s.length) out.push(s.slice(i));
  return out.join(sep);
};

/** Each number the ways residents type it. */
export const VARIANTS = [
  PHONE,
  full(PHONE),
  group(PHONE, [3, 4, 4], " "),
  group(PHONE, [3, 4, 4], "-"),
  group(PHONE, [3, 4, 4], "."),
  `+86 ${group(PHONE, [3, 4, 4], " ")}`,
  `+86${PHONE}`,
  `0086-${group(PHONE, [3, 4, 4], "-")}`,
  full(group(PHONE, [3, 4, 4], "－")),
  ID18,
  group(ID18, [6, 8, 4], " "),
  group(ID18, [6, 8, 4], "-"),
  full(ID18),
  group(full(ID18), [6, 8, 4], "　"),
  ID15,
  group(ID15, [6, 6, 3], " "),
  CARD,
  group(CARD, [4, 4, 4, 4], " "),
  group(CARD, [4, 4, 4, 4], "-"),
  full(group(CARD, [4, 4, 4, 4], " ")),
  group(CARD, [6, 13], " "),
];

/** Messages carrying the variants, as a resident would write them. */
export const MESSAGES = VARIANTS.map((v, i) => [`我的电话是${v}，老板欠我工资`, `身份证号 ${v} 怎么办`, `卡号${v}工资没到账`][i % 3]);

/** Every run of digits in the log once full-width digits are folded and separators between digits dropped. */
export function digitRuns(log: string): string[] {
  const folded = log.replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  return folded.match(/[0-9](?:[\s\-.·—－．　+]*[0-9])*/g)?.map((r) => r.replace(/[^0-9]/g, "")) ?? [];
}

/** The numbers found in `log`, however written; [] when none. */
export function leakedNumbers(log: string): string[] {
  const runs = digitRuns(log);
  return NUMBERS.filter((n) => runs.some((r) => r.includes(n)));
}
