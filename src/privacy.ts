// Personal information patterns: mainland ID-card numbers, mobile and landline numbers,
// bank-card numbers. Used to keep them out of logs, group chats and exports.

const ID_CARD = /(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])/g;
const MOBILE = /(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)/g;
const LANDLINE = /(?<!\d)0\d{2,3}-\d{7,8}(?!\d)/g;
// 16-19 digits, optionally grouped by spaces or dashes in fours.
const BANK_CARD = /(?<!\d)(?:\d{4}[- ]?){3}\d{4,7}(?!\d)/g;

export function maskPersonalData(text: string): string {
  return text
    .replace(ID_CARD, "[身份证号]")
    .replace(BANK_CARD, "[银行卡号]")
    .replace(MOBILE, "[手机号]")
    .replace(LANDLINE, "[电话]");
}

export function containsPersonalData(text: string): boolean {
  return maskPersonalData(text) !== text;
}
