// The answer to a follow-up: a few sentences on what was asked next (where, what to bring,
// cost, time, time limit, amount, what if the other side refuses, how), drawn from the
// structured fields of the guide the last answer was built on and the service directory
// for the thread's region. Never the previous answer again.

import type { Place, ServiceDirectory } from "../knowledge/directory.ts";
import type { Guide } from "../knowledge/types.ts";
import { bodiesAsked, placeLine } from "./followup-places.ts";
import type { FollowUpAsk } from "./types.ts";

/** What a follow-up answer is drawn from. */
export interface FollowUpSource {
  /** The guide of the matter; null when the last answer rested on statutes alone. */
  guide: Guide | null;
  directory: ServiceDirectory;
  region: string | null;
  /** The follow-up as the resident wrote it (normalised). */
  question: string;
  /** Other guides close to the thread's question and this follow-up, for open questions. */
  related?: Guide[];
  /** The guide on legal aid (who qualifies, where to apply), for "请不起律师". */
  legalAid?: Guide | null;
  /** The thread's last legal question: which matter legal aid or evidence is asked about. */
  lastQuestion?: string | null;
}

/** Plain-language label of each kind of follow-up, for the closing line. */
export const ASK_LABELS: Record<FollowUpAsk, string> = {
  where: "去哪里办",
  materials: "要带什么",
  evidence: "要什么证据",
  cost: "花多少钱",
  legal_aid: "能不能申请法律援助",
  duration: "要多久",
  deadline: "有没有时间限制",
  amount: "能要多少",
  refuse: "对方不配合怎么办",
  how: "具体怎么办",
  law: "法律依据",
  detail: "其他细节",
};

const SECTION_MAX = 190;
/** What always holds when the other side will not comply, whatever the matter. */
const ENFORCEMENT = "对方不配合的，可以申请调解，调解不成的依法申请仲裁或到法院起诉；判决、裁决或经司法确认的调解协议生效后对方还不履行的，可以向法院申请强制执行。";

// Sentences of the guide that speak to each ask, when its own field is silent.
const CUES: Partial<Record<FollowUpAsk, RegExp>> = {
  amount: /倍|标准|计算|按照|百分之|%|比例|[二三四五六七八九十两]成|一半|收入|[0-9]+元|赔偿金|补偿金|赔偿|补偿|损失|违约金|[0-9一二三四五六七八九十两]+个月|金额|数额|包括|费用|多少|工资/,
  refuse: /强制执行|拒不|不履行|不执行|不配合|不同意|不服|逾期|起诉|调解不成|申请仲裁|支付令|投诉|报警/,
  materials: /材料|证据|带上|带齐|身份证|复印件|证明/,
  evidence: /证据|证明|举证|记录|录音|录像|截图|聊天|转账|证人|凭证|欠条|借条|收据|照片|病历|鉴定/,
  legal_aid: /援助/,
  cost: /费|免费|不收|减免|缓交|法律援助/,
  duration: /结案|审结|办结|出结果|当场|[日天月时](?:内|以内|之内)(?:作出|决定|答复|受理|立案|发出|指派|办理)/,
  deadline: /时效|之日起|内(?:申请|起诉|提出|上诉|主张)|期限|超过|过了/,
  how: /申请|起诉|先|再|到|带/,
  where: /所在地|住所地|履行地|户籍地|经常居住地|管辖|到.{1,12}(?:申请|起诉|投诉|办理)/,
};

/** Splits guide prose into sentences, keeping the statute references inside them. */
export function sentencesOf(text: string): string[] {
  return text
    .replace(/\n+/g, "。")
    .split(/(?<=[。；！？])/)
    .map((s) => s.replace(/^[。；\s]+/, "").trim())
    .filter((s) => [...s].length >= 6);
}

/** Character bigrams of a text, for overlap with the question. */
function bigrams(text: string): Set<string> {
  const chars = [...text.replace(/[\p{P}\s]/gu, "")];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}

/** Two sentences saying nearly the same (the body and a step often do). */
function similar(a: string, b: string): boolean {
  const x = bigrams(a);
  const y = bigrams(b);
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  return both / Math.max(1, Math.min(x.size, y.size)) > 0.6;
}

/** Bigrams that say nothing about the matter ("那我可以…吗"). */
const FUNCTION_BIGRAMS = /^(?:多少|要多|能要|给多|赔多|少钱|能赔|那我|我可|可以|以吗|能不|不能|是不|不是|要不|不要|会不|不会|有没|没有|用不|不用|行不|不行|请问|一下|怎么|这个|那个|他们|我们|的话|还能|能吗|要吗|行吗|了吗|的吗|也能|也可|吗$)/;

/**
 * The guide sentences that share the most content with an open question, when any share
 * at least two content bigrams; empty when the guide does not speak to it.
 */
export function sentencesAbout(guides: Guide[], question: string, max: number): string[] {
  const q = new Set([...bigrams(question)].filter((b) => !FUNCTION_BIGRAMS.test(b)));
  const scored = guides.flatMap((guide, g) =>
    [...guide.steps, guide.body, guide.fees, guide.timeLimits].flatMap(sentencesOf).map((s, i) => {
      let overlap = 0;
      for (const b of bigrams(s)) if (q.has(b)) overlap++;
      // The thread's own guide first when others say no more.
      return { s, i, overlap, score: overlap + (g === 0 ? 0.5 : 0) };
    }),
  );
  const best = scored.filter((x) => x.overlap >= 1).sort((a, b) => b.score - a.score || a.i - b.i);
  const out: string[] = [];
  for (const x of best) if (out.length < max && !out.some((o) => similar(o, x.s))) out.push(x.s);
  return out;
}

/** Fees for a procedure: an answer to "花多少钱", never to "能要多少". */
const PROCEDURE_FEES = /诉讼费|受理费|律师费|公证费|鉴定费|仲裁费|案件受理/;

/** The guide sentences that best speak to an ask, ranked by its cues and the question's words. */
export function relevantSentences(guide: Guide | Guide[], ask: FollowUpAsk, question: string, max: number): string[] {
  const cue = CUES[ask];
  if (!cue) return [];
  // The words of asking ("能要多少") say nothing about which sentence answers.
  const q = new Set([...bigrams(question)].filter((b) => !FUNCTION_BIGRAMS.test(b)));
  // Several guides: the first is the thread's own and wins a tie.
  const guides = (Array.isArray(guide) ? guide : [guide]).filter((g, i, all) => all.findIndex((x) => x.id === g.id) === i);
  const pool = guides.flatMap((g, n) => [...g.steps, g.body, g.fees, g.timeLimits].flatMap(sentencesOf).map((s) => ({ s, own: n === 0 })));
  const scored = pool
    .map(({ s, own }, i) => {
      // What the case costs to bring is not what it can win ("能赔多少" is not 诉讼费).
      if (ask === "amount" && PROCEDURE_FEES.test(s) && !PROCEDURE_FEES.test(question)) return { s, i, score: 0 };
      const hits = (s.match(new RegExp(cue.source, "g")) ?? []).length;
      let overlap = 0;
      for (const b of bigrams(s)) if (q.has(b)) overlap++;
      return { s, i, score: hits === 0 ? 0 : hits + 2 * overlap + (own ? 1.5 : 0) };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.i - b.i);
  const out: string[] = [];
  for (const x of scored) if (out.length < max && !out.some((o) => similar(o, x.s))) out.push(x.s);
  return out;
}

/** A case decided: what "要多久" is first about. */
const DECIDED = /结案|审结|办结|出结果/;

/** Clauses of a time-limit text that match a cue (the field mixes limits and durations), a decision's first. */
function clauses(text: string, cue: RegExp): string[] {
  const all = text.split(/(?<=[；。])/).map((s) => s.trim()).filter((s) => s && cue.test(s));
  const decided = all.filter((s) => DECIDED.test(s));
  return decided.length > 0 && cue === CUES.duration ? decided : all;
}

/** A sentence, shortened to a phone-sized length at a clause boundary. */
export function brief(text: string, max = SECTION_MAX): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max).join("");
  const stop = Math.max(cut.lastIndexOf("。"), cut.lastIndexOf("；"), cut.lastIndexOf("，"));
  return (stop > max * 0.5 ? cut.slice(0, stop) : cut) + "……";
}

function where(src: FollowUpSource): string {
  const { guide, directory, region, question } = src;
  const asked = bodiesAsked(question, guide);
  const kinds = asked.length > 0 ? asked : (guide?.where ?? ["public_legal_service"]).slice(0, 2);
  const lines = kinds
    .map((k) => ({ k, place: directory.placesFor(k, region)[0] as Place | undefined }))
    .filter((x): x is { k: string; place: Place } => !!x.place)
    .slice(0, 2)
    .map((x) => `· ${directory.kindLabel(x.k).split("/")[0]}：${placeLine(x.place)}`);
  const rule = guide ? relevantSentences(guide, "where", question, 1)[0] : undefined;
  const head = lines.length > 0 ? `可以到这里办：\n${lines.join("\n")}` : "可以到当地公共法律服务中心咨询，或拨打12348。";
  return rule ? `${head}\n${brief(rule, 110)}` : head;
}

function materials(src: FollowUpSource): string {
  const list = src.guide?.materials ?? [];
  if (list.length > 0) return `要带的材料：${list.slice(0, 6).join("；")}。原件和复印件都带上，复印件按对方人数多备一份。`;
  return "一般要带身份证，以及能证明事情经过的材料（合同、借条、聊天记录、票据、照片等），原件和复印件都带上。";
}

function cost(src: FollowUpSource): string {
  const fees = src.guide?.fees;
  const aid = fees && /法律援助/.test(fees) ? "" : "经济困难的，可以申请法律援助，免费请律师。";
  return fees ? `费用：${brief(fees)}${aid}` : `到公共法律服务中心咨询不收费。${aid}`;
}

function timeAnswer(src: FollowUpSource, ask: "duration" | "deadline"): string {
  const limits = src.guide?.timeLimits ?? "";
  const label = ask === "deadline" ? "时间限制" : "办理时间";
  const picked = clauses(limits, CUES[ask]!);
  if (picked.length > 0) return `${label}：${brief(picked.join(""))}`;
  // The matter's guide is silent on it: the procedure it leads to may say (劳动仲裁四十五日结案).
  for (const g of src.related ?? []) {
    const found = clauses(g.timeLimits, CUES[ask]!);
    if (found.length > 0 && g.id !== src.guide?.id) return `${label}（${src.directory.kindLabel(g.where[0] ?? "").split("/")[0]}）：${brief(found.join(""))}`;
  }
  const said = src.guide ? relevantSentences(src.guide, ask, src.question, 2).join("") : "";
  if (said) return `${label}：${brief(said)}`;
  if (limits) return `时限：${brief(limits)}`;
  return ask === "deadline"
    ? "民事权利一般要在三年内主张（从知道权利受损和对方是谁之日起算），过了时效对方可以拒绝；具体算法建议带材料当面问。"
    : "办理时间要看具体情况，可以打12348或到公共法律服务中心问清楚。";
}

function prose(src: FollowUpSource, ask: "amount" | "refuse" | "how"): string {
  const { guide, question } = src;
  if (ask === "how" && guide) {
    const place = guide.where.map((k) => src.directory.placesFor(k, src.region)[0]).find((p) => p !== undefined);
    const steps = guide.steps.slice(0, 3).map((s, i) => `${i + 1}. ${brief(s, 70)}`).join("\n");
    return `具体这样办：\n${steps}${place ? `\n办理地点：${place.name}${place.phone ? `（电话${place.phone}）` : ""}` : ""}`;
  }
  // An amount may be set out in a guide beside the thread's (赔偿项目 after 车祸现场怎么办).
  // Only guides on the same matter: a procedure's guide (how to sue) lists its fees, not what can be won.
  const sameMatter = (g: Guide) => guide !== null && g.topics.some((t) => guide.topics.includes(t));
  const pool = guide ? [guide, ...(ask === "amount" ? (src.related ?? []).filter(sameMatter) : [])] : [];
  const found = pool.length > 0 ? relevantSentences(pool, ask, question, 2) : [];
  if (ask === "refuse") {
    const said = brief(found.join(""), SECTION_MAX);
    return /强制执行/.test(said) ? said : `${said}${said ? "\n" : ""}${ENFORCEMENT}`;
  }
  if (found.length > 0) return brief(found.join(""), SECTION_MAX + 40);
  if (ask === "amount") return "具体能要多少，要看损失、约定和证据，建议把票据、合同、收入证明带齐，到公共法律服务中心或法律援助中心帮您核算。";
  return "可以带上身份证和相关材料，到当地公共法律服务中心当面咨询，或拨打12348。";
}

function law(src: FollowUpSource): string {
  const basis = src.guide?.legalBasis ?? [];
  if (basis.length === 0) return "回复【法条】可以看上一条回答引用的条文原文。";
  const names = basis.slice(0, 3).map((b) => `《${b.law.replace(/^中华人民共和国/, "")}》${b.article}`);
  return `主要依据：${names.join("、")}。回复【法条】可以看条文原文。`;
}

/** What always holds about proof, whatever the matter. */
const EVIDENCE_RULES =
  "聊天记录、转账记录、录音录像都可以作为证据（电子数据、视听资料），手机里的原始记录不要删，截图要能看出对方是谁；自己主张的事要拿证据证明，证据在对方手里、自己收集不到的，可以申请法院调查收集（《民事诉讼法》第六十六条、第六十七条）。";
/** Labour disputes: the employer must produce what it keeps. */
const LABOUR_EVIDENCE = "劳动争议里，考勤、工资发放记录等在单位手里的证据，单位应当提供，不提供的承担不利后果（《劳动争议调解仲裁法》第六条）。";
const LABOUR = /工资|工钱|加班|辞退|开除|劳动|社保|工伤|老板|单位|公司|厂里|工地|包工头/;

function evidence(src: FollowUpSource): string {
  const { guide, question } = src;
  const matter = `${src.lastQuestion ?? ""} ${question}`;
  const proofs = (guide?.materials ?? []).filter((m) => !/身份证|申请(?:书|表)|户口|营业执照|授权|委托/.test(m)).slice(0, 5);
  // A guide sentence on proof that does more than list the same papers again.
  const said = (guide ? relevantSentences(guide, "evidence", question, 2) : []).filter((s) => !similar(s, proofs.join("；"))).slice(0, 1);
  const lines = [
    proofs.length > 0 ? `能证明这件事的材料：${proofs.join("；")}。` : "",
    said.length > 0 ? brief(said[0], 110) : "",
    EVIDENCE_RULES,
    LABOUR.test(matter) || guide?.topics.includes("labour") ? LABOUR_EVIDENCE : "",
  ];
  return lines.filter((l) => l.length > 0).join("\n");
}

function legalAid(src: FollowUpSource): string {
  const { directory, region } = src;
  const guide = src.guide !== src.legalAid ? src.guide : null;
  // The guide's title names the matter in the law's words ("家暴" for "老公打我").
  const matter = `${src.lastQuestion ?? ""} ${src.question} ${guide?.title ?? ""}`;
  const place = directory.placesFor("legal_aid", region)[0] as Place | undefined;
  const head = `经济困难的，可以申请法律援助，援助律师不收律师费${place ? `。申请地点：${placeLine(place)}` : "，向当地法律援助中心申请，或先打12348问"}。`;
  // What the matter's own guide says about legal aid (a suspect's right to a lawyer, a worker's claim) ...
  const own = guide ? relevantSentences(guide, "legal_aid", matter, 1) : [];
  // ... and which of the legal-aid rules bears on it (讨薪、工伤免于核查，家暴不受经济条件限制).
  // Only when the matter's guide is silent: the decision-time rule is in the closing line anyway.
  const rules = src.legalAid && own.length === 0 ? sentencesAbout([src.legalAid], matter, 2).filter((s) => !/日内/.test(s)).slice(0, 1) : [];
  const materials = "带上身份证、经济困难的承诺书（低保证、特困证明更好）和案件材料；援助中心收到申请后7日内决定给不给援助（《法律援助法》第四十三条）。";
  return [head, ...own.map((s) => brief(s, 110)), ...rules.map((s) => brief(s, 150)), materials].join("\n");
}

/** One section per ask, each a few sentences. */
export function sectionFor(ask: FollowUpAsk, src: FollowUpSource): string {
  switch (ask) {
    case "where":
      return where(src);
    case "materials":
      return materials(src);
    case "evidence":
      return evidence(src);
    case "legal_aid":
      return legalAid(src);
    case "cost":
      return cost(src);
    case "duration":
    case "deadline":
      return timeAnswer(src, ask);
    case "amount":
    case "refuse":
    case "how":
      return prose(src, ask);
    case "law":
      return law(src);
    case "detail": {
      const guides = [src.guide, ...(src.related ?? [])].filter((g): g is Guide => g !== null);
      const found = sentencesAbout(guides.filter((g, i) => guides.findIndex((x) => x.id === g.id) === i), src.question, 2);
      return brief(found.join(""), SECTION_MAX + 40);
    }
  }
}

/**
 * The follow-up answer: what was asked, then what else the resident may ask next; null when
 * an open question finds nothing in the guide (the caller answers it as a question instead).
 */
export function composeFollowUp(asks: FollowUpAsk[], src: FollowUpSource): string | null {
  const sections = asks.map((a) => sectionFor(a, src)).filter((s) => s.length > 0);
  if (sections.length === 0) return null;
  const others = (["where", "materials", "cost", "deadline"] as FollowUpAsk[]).filter((a) => !asks.includes(a) && !(a === "cost" && asks.includes("legal_aid"))).slice(0, 3);
  const lead = src.guide ? `关于“${src.guide.title}”：` : "";
  const tail = `还想知道${others.map((a) => ASK_LABELS[a]).join("、")}，直接问我；需要律师请回复“转人工”。`;
  return [lead + sections[0], ...sections.slice(1), tail].join("\n\n");
}
