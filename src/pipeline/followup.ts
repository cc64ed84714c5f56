// Is this message a follow-up to the answer just given, and what does it ask about it?
// "那我应该去哪里申请仲裁" after a wage answer asks *where*, about the same matter; "对了
// 我家宅基地被邻居占了 这个咋弄" brings a matter of its own and is a new question.
// Rules over cue words, no language model: residents' follow-ups are short and formulaic.

import { classifyTopic, type TopicDef } from "./topic.ts";
import type { FollowUpAsk } from "./types.ts";

/** The cue words of each kind of follow-up, in the order answers list them. */
const ASK_CUES: { ask: FollowUpAsk; re: RegExp }[] = [
  { ask: "where", re: /去哪|(?:去|到)那(?:里|儿)?(?:申请|办|告|起诉|投诉|报案|反映)|在哪|哪里|哪儿|哪边|哪个(?:部门|单位|法院|机构|地方|窗口)|哪家|什么(?:地方|部门|单位|机构)|啥(?:地方|部门)|找谁|找哪|向谁|跟谁|归谁管|谁管|地址|电话多少|管辖|(?:找|去|上|到)(?:村里|村委会?|居委会?|社区|法院|派出所|仲裁|劳动局|司法所|镇政府|乡政府|镇上|乡里|信访)/ },
  { ask: "materials", re: /带什么|带啥|带哪些|要带|准备什么|准备啥|准备哪些|(?:什么|啥|哪些)(?:材料|证件|证据|手续|东西)|材料|证件|要啥证明|需要什么(?!时候)|要什么(?!时候)/ },
  // What proves the matter: kinds of evidence, proof the resident lacks, the other side denying it.
  { ask: "evidence", re: /证据|举证|(?:怎么|咋|如何|拿什么|用什么|谁来?|谁得)证明|证明不了|聊天记录|微信记录|(?:通话|电话)?录音|录像|视频|截图|转账记录|银行流水|监控|证人|(?:没|没有|没打|没写|没签)(?:字据|借条|欠条|收据|凭证|书面|条子)|(?:不|没)(?:认账|承认)|抵赖|口说无凭|空口无凭/ },
  // Free legal help: legal aid, a lawyer the resident cannot pay for.
  { ask: "legal_aid", re: /法律援助|法援|援助律师|免费(?:的)?律师|律师.{0,4}免费|(?:请不起|没钱请|付不起|出不起|花不起).{0,3}(?:律师|官司)|(?:没钱|没有钱|哪有钱|穷|困难|低保|一分钱(?:都)?没有|没收入).{0,12}(?:律师|打官司|官司)|打不起官司|(?:律师|官司)的?(?:钱|费用?).{0,4}(?:出不起|付不起|太贵|没钱|拿不出|从哪|哪来|没有)/ },
  { ask: "cost", re: /收费|费用|花钱|花多少|要钱|交钱|掏钱|付钱|贵不贵|贵吗|免费|(?:诉讼|律师|仲裁|鉴定|公证|受理)费|(?:申请|起诉|仲裁|打官司|请律师|告|办|公证|鉴定|立案|上诉)(?:要|得|需要)?(?:多少钱|花多少)|钱吗|多少钱/ },
  { ask: "deadline", re: /时效|过期|期限|来得及|还来得|截止|最晚|晚了|过了.{0,6}(?:年|月|天|时间)|超过.{0,6}(?:年|月|天|时间)|(?:几|多少)(?:年|个月|天)(?:之内|以内|内)|多久(?:之内|以内|内)|多长时间(?:之内|以内|内)|时间限制|有没有时间|隔了.{0,6}(?:年|月)|还能(?:告|要|申请|起诉|争|追)(?:吗|不|么)|来的及|赶趟|赶得上|赶得及|晚不晚|太晚|(?:年|个月)多了|(?:几|好几|多少)年(?:了|前)/ },
  { ask: "duration", re: /多久|批下来|多长时间|多少天|几天|几个月|多快|等多久|要等|出结果|什么时候(?:能|出|有|拿|判|办)|周期|拖多久|快不快/ },
  { ask: "amount", re: /(?:赔|拿|分|补|判|得|退|讨|要回|讨回|能要|要得|给)(?:我|来|回来)?(?:多少|几)|(?:拿|要|得|分|赔|判)(?:到|回)(?:多少|几)|(?:[几双两三十]|好几)倍|多少(?:补偿|赔偿|抚养费|赡养费|钱能|年限)|(?:哪些|什么|啥)(?:赔偿|补偿|钱)|(?:按|赔|给|补)几个月|几个月(?:的)?工资|按(?:什么|啥)(?:算|标准)|怎么算|咋算|如何算|计算|标准是|(?:赔偿|补偿)(?:标准|金额)|金额|数额|给多少/ },
  { ask: "refuse", re: /(?:要是|如果|万一|假如|还是|就是|又|仍然?).{0,6}不[^\s，。？?]{1,3}(?:呢|咋办|怎么办|咋整|咋弄)|(?:不给|不赔|不还|不认|不同意|不理|不配合|不执行|不履行|不搬|不来|不出面|不签|不退|不离|不肯|不接|不管)|耍赖|赖账|拒绝|拒不|跑了|找不到(?:人|他|她)|联系不上|躲着|还是不/ },
  { ask: "law", re: /(?:哪|什么|啥)(?:条|部)?法(?:律|规|条)?|依据|法条|哪一条|规定在哪/ },
  { ask: "how", re: /怎么(?:办|弄|做|申请|起诉|告|写|操作|走|搞|整|处理|去)|咋(?:办|弄|整|搞|申请|告|做|处理)|如何|流程|步骤|程序|第一步|具体怎么|手续怎么|怎样/ },
];

/** Words that refer back to the matter already discussed, or open a dependent question. */
const ANAPHORA = /^(?:那|那么|那我|那他|那她|那要|那如果|那还|那这|这个|这种|这样|这事|要是|如果|万一|假如|还有|然后|所以|请问那|他要是|她要是|对方要是|那边)/;
/** Words inside a longer message that point back at the matter ("我们几个都是这情况"). */
const REFERS_BACK = /这(?:种|个|样|事|些)?情况|这样|那样|这(?:种|样的?)事|这个|这部分|这些|这事儿?|像这样|这么(?:做|说|干)|的话|刚才|你说的|上面说|人家|对方|他们|她们/;
/** A yes/no or open question about a detail of the matter. */
const YES_NO = /真的假的|是真的吗|是不是真的|对不对|靠谱吗|管用(?:吗|不)|有用(?:吗|不)|(?:能|可以|行|要|算|会|是|用|该|有).{0,8}不[？?]?$|[吗嘛么][？?。！!]*$|能不能|可不可以|可以不|行不行|是不是|要不要|会不会|算不算|有没有|用不用|该不该|[？?]$/;
/** Words that announce a new matter in the same thread. */
const NEW_MATTER = /对了|另外|还想问|再问|另一个|另外一件|还有个事|还有一个(?:事|问题)|换个问题|问个别的|顺便问/;
/** Topics that name a service or a procedure rather than a matter (仲裁, 律师, 调解 ...). */
const PROCEDURAL_TOPICS = new Set(["legal_aid", "mediation", "notary", "appraisal", "arbitration", "lawyer", "other", "criminal", "administrative"]);

/** A follow-up is short; a longer message must point back at the answer to count as one. */
const SHORT_CHARS = 24;
const MAX_CHARS = 48;

/** What the thread knows about the answer a follow-up would refer to. */
export interface FollowUpThread {
  lastTopic: string | null;
  lastGuideId?: string | null;
  /** The thread's last legal question, when there was one. */
  lastQuestion?: string | null;
  /** Topics of the last answer's guide, when known. */
  guideTopics?: readonly string[];
  /**
   * The words of the thread's matter (its guide and the guides on its topic), asked for only
   * when a message seems to bring another topic: it costs a guide search.
   */
  matterText?: () => string | undefined;
}

/** The reading of a message sent after an answer. */
export type FollowUpReading =
  | { kind: "follow_up"; asks: FollowUpAsk[] }
  | { kind: "new_topic"; topic: string }
  | { kind: "none" };

/** A new question without the words that announced it ("对了，", "另外问一下"), for retrieval. */
export function withoutOpener(text: string): string {
  const stripped = text.replace(/^[\s，,。.！!]*(?:对了|另外|还想问|再问|顺便问)(?:一?下|个(?:事|问题)|一个问题)?[\s，,。.：:！!]*/, "").trim();
  return stripped.length >= 4 ? stripped : text;
}

/** The kinds of question a text asks, most specific first; "how" only when nothing else is asked. */
export function asksOf(text: string): FollowUpAsk[] {
  const found = ASK_CUES.filter((c) => c.re.test(text)).map((c) => c.ask);
  // "多久之内" is a time limit, not how long the procedure takes.
  // "按几个月工资算" is an amount.
  let asks = found.includes("deadline") || found.includes("amount") ? found.filter((a) => a !== "duration") : found;
  // "要准备哪些证据" asks for evidence, not the filing papers; legal aid answers what it costs.
  if (asks.includes("evidence") && asks.includes("materials") && !/材料|证件|手续|带/.test(text)) asks = asks.filter((a) => a !== "materials");
  if (asks.includes("legal_aid")) asks = asks.filter((a) => a !== "cost" && a !== "refuse" && a !== "law");
  // "要多少钱" after "能要回" is an amount; after "申请/起诉" a cost.
  if (asks.includes("amount") && asks.includes("cost") && !/费|收费|花|免费|(?:申请|起诉|仲裁|打官司|请律师|立案|办)(?:要|得)?多少钱/.test(text))
    asks = asks.filter((a) => a !== "cost");
  if (asks.length > 1) asks = asks.filter((a) => a !== "how");
  // Any other question about the matter ("那要请律师吗", "没签合同也行吗"): answered from the guide's own words.
  if (asks.length === 0 && YES_NO.test(text)) return ["detail"];
  return asks.slice(0, 2);
}

/** The matter topic a message brings of its own, when it is not the thread's. */
function newMatterTopic(text: string, thread: FollowUpThread, topics: readonly TopicDef[]): { topic: string; score: number } | null {
  const known = new Set([thread.lastTopic, ...(thread.guideTopics ?? [])].filter((t): t is string => !!t));
  const scored = classifyTopic(text, topics).filter((t) => t.score > 0 && !PROCEDURAL_TOPICS.has(t.topic));
  // The message still speaks of the thread's matter: not a new one.
  if (scored.some((t) => known.has(t.topic) && t.score >= (scored[0]?.score ?? 0))) return null;
  const best = scored.find((t) => !known.has(t.topic));
  if (!best) return null;
  // "误工费咋算" after a traffic accident: words of another topic that the matter's own guide
  // speaks of are a side of the same matter, not a new one.
  const words = topics.find((d) => d.id === best.topic)?.keywords.filter((k) => k && text.toLowerCase().includes(k.toLowerCase())) ?? [];
  const matterText = words.length > 0 ? thread.matterText?.() : undefined;
  if (matterText && words.every((k) => matterText.includes(k))) return null;
  return { topic: best.topic, score: best.score };
}

/**
 * Reads a message sent in a thread that already has an answer. A follow-up asks something
 * (where, what to bring, cost, time ...) about the same matter, in a short message or one
 * that points back ("那我…", "这个…"); a message that brings a matter of its own is a new
 * question; anything else is left to the intent rules.
 */
export function readFollowUp(text: string, thread: FollowUpThread, topics: readonly TopicDef[]): FollowUpReading {
  if (!thread.lastTopic && !thread.lastGuideId) return { kind: "none" };
  // Nothing to follow up on either after a bare hand-over ("转人工" first, then the question itself).
  if (!thread.lastGuideId && !thread.lastQuestion && thread.lastTopic === "other") return { kind: "none" };
  const t = text.trim();
  const opener = NEW_MATTER.test(t);
  const matter = newMatterTopic(t, thread, topics);
  const asks = asksOf(t);
  // "我这种交通事故能申请法律援助吗": legal aid is asked about the matter already told.
  const aboutThis = !opener && asks.includes("legal_aid");
  // A matter of its own, announced or clearly named (a specific term, or two), is a new question.
  if (matter && !aboutThis && (opener || matter.score >= 0.4 || [...t].length > SHORT_CHARS)) return { kind: "new_topic", topic: matter.topic };
  // "另外问一下，借给朋友的钱不还怎么办": announced and told in a sentence of its own.
  if (opener && [...withoutOpener(t)].length >= 8 && withoutOpener(t) !== t) return { kind: "new_topic", topic: matter?.topic ?? "other" };
  if (asks.length === 0) return { kind: "none" };
  const length = [...t].length;
  if (length <= SHORT_CHARS || ((ANAPHORA.test(t) || REFERS_BACK.test(t) || asks.includes("legal_aid")) && length <= MAX_CHARS)) return { kind: "follow_up", asks };
  return { kind: "none" };
}
