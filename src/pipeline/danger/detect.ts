// Reads a message as a situation: which harms its cues name (cues.ts), and whether the frame
// around each cue says the danger is happening now or about to, or is a past event, a
// hypothetical, hearsay or a question about the law. Errs towards catching: a false alarm
// costs a safety message and an urgent referral, a miss can cost a life.
import { CUES, type EmergencyKind } from "./cues.ts";
import { spelled } from "./features.ts";
import { learnedVerdict, shippedModel, type DangerModel } from "./learned.ts";
import { ABOUT_LAW, ABSTRACT_QUESTION, CHILD, CLAUSE_BREAK, DANGER_SPELLINGS, ELDER, FIGURES, FIRST_PERSON, HEARSAY, HYPOTHETICAL, JOKING, NEGATED, NOW, PAST, POLICE, REPORTED, URGENT_NOW, WHAT_IF } from "./lexicon.ts";

/** Who is in danger, as far as the message tells. */
export type Victim = "self" | "child" | "elderly" | "other";

/** Whether a message tells of danger, which kinds, to whom, and whether it is happening now. */
export interface EmergencyResult {
  emergency: boolean;
  kinds: EmergencyKind[];
  /** The matched wording, for the duty lawyer and for debugging. */
  cues: string[];
  /** Who is in danger (empty when there is no danger). */
  victims: Victim[];
  /** Whether the message itself says it is happening now or about to. */
  now: boolean;
  /** Whether a cue fired that holds whatever the frame (救命, 又在打我, 喝了农药). */
  strong?: boolean;
}


const CHILD_RE = new RegExp(CHILD);
const ELDER_RE = new RegExp(ELDER);
const POLICE_RE = new RegExp(POLICE);
const TAKEN_BY_POLICE = new RegExp(`(?:${POLICE}|经侦|交警|差人|jc).{0,12}(?:带走|带起走|抓|帶走)|刑拘|拘留`);
const THIRD_PARTY = /邻居|工友|同事|朋友|隔壁|村里|有个|一个(?:男|女)|他们家|她家|人家/;
// A long absence is a legal matter (declaring someone missing), not a search tonight.
const LONG_ABSENCE = /[0-9一二三四五六七八九十两几多]+(?:年|个多?月)|多年|好几年|很多年|好久/;
// Kinds whose wording names the victim: a child there makes it a child in danger.
const CHILD_HARMS = new Set<EmergencyKind>(["violence", "sexual", "missing", "trafficking", "confinement"]);

// 砍过, 被打过, 被埋过: something that happened, not something happening.
const EXPERIENCED = /[打砍捅杀伤埋骗卖关抓拘威胁跳喝吃]过(?!来|去|头|年|分|了)/;

/** The writer's own "if …" in the sentence before idx, not a threat they report. */
function whatIf(text: string, idx: number): boolean {
  let start = idx;
  while (start > 0 && !/[。！？!?\n]/.test(text[start - 1])) start--;
  const before = text.slice(start, idx);
  const m = WHAT_IF.exec(before);
  if (!m) return false;
  return !REPORTED.test(before.slice(0, m.index + 1).slice(-6));
}

const CALL_FOR_HELP = /救命|快来|帮帮我|快报警|帮我报警/;
// Messages typed without punctuation are one long "clause": look no further than this.
const CLAUSE_REACH = 14;

function clauseAround(text: string, index: number, length: number): string {
  let a = index;
  while (a > 0 && index - a < CLAUSE_REACH && !CLAUSE_BREAK.test(text[a - 1])) a--;
  let b = index + length;
  while (b < text.length && b - index - length < CLAUSE_REACH && !CLAUSE_BREAK.test(text[b])) b++;
  return text.slice(a, b);
}

const NONE: EmergencyResult = Object.freeze({ emergency: false, kinds: [], cues: [], victims: [], now: false }) as EmergencyResult;

/**
 * Whether a message tells of a danger happening now or about to happen, and of what kind:
 * the rules first, then the learned backstop (learned.ts) for wording no cue list has.
 * Expects normalised text (normalizeText) but tolerates raw input; never throws.
 *
 * @example
 * detectEmergency("工地塌了 人还在里面 老板不让报警").kinds // ["trapped"]
 * detectEmergency("去年被人打了 能要多少赔偿").emergency // false
 */
export function detectEmergency(text: string, model: DangerModel | null = shippedModel()): EmergencyResult {
  const ruled = detectWithRules(text);
  if (!model || ruled.strong) return ruled;
  const t = spelled(text);
  if (!t) return ruled;
  const v = learnedVerdict(t, model);
  // A weak cue read in a frame the scorer is sure is harmless (the story of an old fight, a
  // question about the law) is let go; a strong cue never is.
  if (ruled.emergency) return v.score < model.veto ? { ...NONE, kinds: [], cues: [], victims: [] } : ruled;
  if (!v.flagged) return ruled;
  const kinds = new Set<EmergencyKind>(v.kinds);
  if (kinds.has("detained") && !POLICE_RE.test(t)) kinds.delete("detained");
  // Taken away by the police is detention, whatever else the wording resembles.
  if (TAKEN_BY_POLICE.test(t)) {
    for (const k of ["violence", "confinement", "missing"] as const) kinds.delete(k);
    kinds.add("detained");
  }
  if (kinds.size === 0) kinds.add("violence");
  return { emergency: true, kinds: [...kinds], cues: v.evidence, victims: victimsOf(kinds, t, t), now: NOW.test(t) };
}

/**
 * The rules alone: the cue lists read in their frame (used to train and measure the backstop).
 */
export function detectWithRules(text: string): EmergencyResult {
  let t = typeof text === "string" ? text.slice(0, 2000) : "";
  for (const [re, to] of DANGER_SPELLINGS) t = t.replace(re, to);
  t = t.replace(FIGURES, "，");
  if (!t) return { ...NONE, kinds: [], cues: [], victims: [] };
  const now = NOW.test(t);
  const urgentNow = URGENT_NOW.test(t);
  const joking = JOKING.test(t) && !CALL_FOR_HELP.test(t);
  const pastStory = PAST.test(t) && !urgentNow;
  const aboutLaw = ABOUT_LAW.test(t);
  // News, films and questions about people in general tell of no one in danger here.
  const hearsay = (HEARSAY.test(t) && !CALL_FOR_HELP.test(t)) || (!now && ABSTRACT_QUESTION.test(t) && !FIRST_PERSON.test(t));
  const kinds = new Set<EmergencyKind>();
  const cues: string[] = [];
  const clauses: string[] = [];
  let strong = false;
  for (const cue of CUES) {
    const re = new RegExp(cue.re.source, "g");
    for (const m of t.matchAll(re)) {
      const idx = m.index ?? 0;
      if (NEGATED.test(t.slice(Math.max(0, idx - 3), idx))) continue;
      if (hearsay) continue;
      const after = t.slice(idx + m[0].length, idx + m[0].length + 1);
      const clause = clauseAround(t, idx, m[0].length);
      // Even a strong cue told as the past ("18年喝农药走了") is not danger now.
      if (cue.level === "strong" && !urgentNow && PAST.test(clause)) continue;
      if (EXPERIENCED.test(clause) || whatIf(t, idx) || (joking && !urgentNow)) continue;
      if ((cue.level === "now" || cue.level === "weak") && pastStory) continue;
      if (cue.level !== "strong") {
        if (after === "过") continue; // 打过, 被拘留过: experiential past
        if (PAST.test(clause) || HYPOTHETICAL.test(clause)) continue;
        if (cue.level === "weak" && !now && aboutLaw) continue;
        if (cue.level === "now" && !urgentNow && !(now && !aboutLaw)) continue;
        if (cue.kind === "missing" && !now && LONG_ABSENCE.test(t)) continue;
      }
      kinds.add(cue.kind);
      if (!cues.includes(m[0])) cues.push(m[0]);
      if (cue.level === "strong") strong = true;
      clauses.push(clause);
      if (CHILD_HARMS.has(cue.kind) && CHILD_RE.test(clause)) kinds.add("child");
      break;
    }
  }
  if (kinds.size === 0) return { ...NONE, kinds: [], cues: [], victims: [] };
  // "救命，这个判决书我看不懂": a cry with nothing dangerous in it, about a legal matter.
  if (kinds.size === 1 && cues.every((c) => CALL_FOR_HELP.test(c)) && aboutLaw && !urgentNow) return { ...NONE, kinds: [], cues: [], victims: [] };
  // Police taking someone away is detention, not kidnapping or a fight.
  if (kinds.has("detained") && POLICE_RE.test(t)) {
    for (const k of ["confinement", "missing"] as const) kinds.delete(k);
  }
  return { emergency: kinds.size > 0, kinds: [...kinds], cues, victims: victimsOf(kinds, clauses.join(" "), t), now, strong };
}

function victimsOf(kinds: Set<EmergencyKind>, clauses: string, text: string): Victim[] {
  const v = new Set<Victim>();
  if (kinds.has("child")) v.add("child");
  if (kinds.has("elder") || (kinds.has("missing") && ELDER_RE.test(clauses))) v.add("elderly");
  if (THIRD_PARTY.test(text)) v.add("other");
  if (v.size === 0 || /我|俺/.test(clauses)) v.add("self");
  return [...v];
}
