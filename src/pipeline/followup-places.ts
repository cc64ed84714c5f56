// Which body a "where" follow-up asks for ("去哪里申请仲裁" → the arbitration body, "去哪里
// 起诉" → the court), as kinds of the service directory, and how a place is written.

import type { Place } from "../knowledge/directory.ts";
import type { Guide } from "../knowledge/types.ts";

/** Words naming a body, with the directory kinds that serve it (first the one a guide names). */
const BODY_WORDS: { re: RegExp; kinds: string[] }[] = [
  { re: /仲裁/, kinds: ["labour_arbitration", "arbitration", "agriculture"] },
  { re: /法院|法庭|起诉|告(?:他|她|对方|状)?|打官司|立案|上诉|执行/, kinds: ["court"] },
  { re: /援助|免费(?:的)?律师|请不起/, kinds: ["legal_aid"] },
  { re: /调解|说和/, kinds: ["mediation", "health"] },
  { re: /公证/, kinds: ["notary"] },
  { re: /鉴定/, kinds: ["appraisal"] },
  { re: /交警/, kinds: ["traffic_police"] },
  { re: /报警|报案|派出所|公安|立案侦查/, kinds: ["police"] },
  { re: /投诉|举报|监察/, kinds: ["labour_inspection", "consumer", "health", "education"] },
  { re: /妇联/, kinds: ["women_federation"] },
  { re: /民政|登记|婚姻登记|低保/, kinds: ["civil_affairs"] },
  { re: /社保|医保/, kinds: ["social_insurance"] },
  { re: /复议/, kinds: ["reconsideration"] },
  { re: /律师/, kinds: ["lawyer", "legal_aid"] },
];

/**
 * The directory kinds a question names, in the order named. Of several kinds serving the same
 * word, those the guide lists come first, and only the first is kept ("仲裁" after a wage
 * answer is labour arbitration, after a contract answer commercial arbitration).
 */
export function bodiesAsked(question: string, guide: Guide | null): string[] {
  const out: string[] = [];
  const listed = new Set(guide?.where ?? []);
  const topics = new Set(guide?.topics ?? []);
  for (const { re, kinds } of BODY_WORDS) {
    if (!re.test(question)) continue;
    const own = kinds.find((k) => listed.has(k));
    // Labour matters go to labour arbitration even when the guide does not list it; a word
    // that several bodies serve (投诉) is left to the guide's own list when it names none.
    const labour = topics.has("labour") || topics.has("work_injury");
    const fallback = kinds[0] === "labour_arbitration" ? (labour ? kinds[0] : kinds[1]) : kinds.length === 1 ? kinds[0] : guide ? undefined : kinds[0];
    const kind = own ?? fallback;
    if (!kind) continue;
    if (!out.includes(kind)) out.push(kind);
  }
  return out;
}

/** A place on one line: name, then address, phone and hours when known. */
export function placeLine(place: Place): string {
  const details = [place.address, place.phone ? `电话${place.phone}` : "", place.hours].filter(Boolean).join("，");
  return `${place.name}${details ? `（${details}）` : ""}`;
}
