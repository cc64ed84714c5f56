// Password hashing with scrypt from node:crypto (no extra dependency), a random salt per
// user and a constant-time comparison. The parameters are stored with the hash so they can
// be raised later without invalidating existing passwords.

import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { ValidationError } from "./types.ts";

const KEY_LEN = 64;
const DEFAULT_PARAMS = { N: 16384, r: 8, p: 1 };

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
export async function hashPassword(password: string, params = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize("NFKC"), salt, KEY_LEN, { ...params, maxmem: 64 * 1024 * 1024 });
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64"), key.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], "base64");
  const expected = Buffer.from(parts[5], "base64");
  const key = await scryptAsync(password.normalize("NFKC"), salt, expected.length, { N, r, p, maxmem: 64 * 1024 * 1024 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A hash of a random password, checked against when the username does not exist so that
 * an unknown user takes as long to reject as a wrong password.
 */
let dummyHash: Promise<string> | null = null;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(12).toString("hex"));
  return dummyHash;
}

/**
 * Words guessers try first (with digits and symbols around them, capitals, 0 for o …): a
 * password that is one of these once decorated is refused. Kept short on purpose; the
 * per-address login limit does the rest.
 */
const COMMON = new Set(
  `password passwd pass admin administrator root user login welcome letmein iloveyou love qwerty qwertyuiop qwer asdf asdfgh
   asdfghjkl zxcvbnm qazwsx qazwsxedc wsx abc abcd abcde abcdef abcdefg abcdefgh abcdefghi changeme secret default guest
   test tester master monkey dragon football baseball sunshine princess shadow superman trustno hello hi china beijing
   woaini wodemima mima aini lawdesk lawyer legal court justice sifa sifaju falv lvshi console system server database`
    .split(/\s+/)
    .filter(Boolean),
);
const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s", "!": "i" };
const SEQUENCES = ["0123456789", "9876543210", "abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv"];

function deLeet(s: string): string {
  return [...s].map((c) => LEET[c] ?? c).join("");
}

/** The word under the decoration: lower case, separators gone, digits and symbols stripped from both ends. */
function core(password: string): string {
  return password
    .toLowerCase()
    .replace(/[\s_\-.]+/g, "")
    .replace(/^[^a-z]+|[^a-z]+$/g, "");
}

function isCommon(password: string): boolean {
  const lower = password.toLowerCase();
  const compact = lower.replace(/[^a-z0-9]/g, "");
  const c = core(password);
  // Symbols and digits at the ends go first, then the rest is read as letters (p@ssw0rd).
  const trimmed = lower.replace(/[\s_\-.]+/g, "").replace(/^[^a-z@$]+|[^a-z]+$/g, "");
  const bare = lower.replace(/[\s_\-.]+/g, "").replace(/^[^a-z]+|[^a-z]+$/g, "");
  const candidates = [lower, compact, c, deLeet(compact), deLeet(trimmed), core(deLeet(trimmed)), deLeet(bare)];
  if (candidates.some((x) => x && COMMON.has(x))) return true;
  // A counting sequence with a letter or two: 12345678a, a1234567.
  const digits = compact.replace(/[^0-9]/g, "");
  if (compact.length - digits.length <= 2 && digits.length >= 6 && SEQUENCES.some((seq) => seq.includes(digits))) return true;
  // 12345678, abcdefgh, qwertyui, 1qaz2wsx …; and aaaaaaaa-like passwords.
  if (compact.length >= 6 && SEQUENCES.some((seq) => seq.includes(compact))) return true;
  return new Set(lower).size < 4;
}

/** The username in the password, also reversed or written with 0 for o, 1 for i …. */
function resemblesUsername(password: string, username: string): boolean {
  const u = username.toLowerCase().replace(/[^a-z0-9]/g, "");
  if (u.length < 3) return password.toLowerCase().includes(username.toLowerCase()) && username.length > 0;
  const p = password.toLowerCase().replace(/[^a-z0-9@$!]/g, "");
  const forms = new Set([u, [...u].reverse().join(""), deLeet(u)]);
  return [...forms].some((f) => p.includes(f) || deLeet(p).includes(f));
}

/** Minimum rules, stated in the message the user sees. */
export function checkPasswordPolicy(password: string, username?: string): void {
  if (password.length < 8) throw new ValidationError("密码至少需要8位");
  if (password.length > 200) throw new ValidationError("密码过长");
  const classes = [/[a-z]/, /[A-Z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  if (classes < 2) throw new ValidationError("密码需包含字母、数字、符号中的至少两类");
  if (username && resemblesUsername(password, username)) throw new ValidationError("密码不能包含用户名");
  if (isCommon(password)) throw new ValidationError("密码过于常见，容易被猜中，请换一个");
}

// No 0/O, 1/l/I: the one-time password is read off a terminal and typed by hand.
const OTP_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/** A one-time password that satisfies the policy (letters and digits). */
export function generateOneTimePassword(length = 14): string {
  for (;;) {
    let out = "";
    for (let i = 0; i < length; i++) out += OTP_ALPHABET[randomInt(OTP_ALPHABET.length)];
    if (/\d/.test(out) && /[A-Za-z]/.test(out)) return out;
  }
}
