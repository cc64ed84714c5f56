// What the resident wants from this message: a rule cascade, most urgent first.
// emergency > detail request > ask_human > feedback > greeting-only > abuse > out_of_scope >
// follow_up > legal_question. Expects normalised text (normalizeText) but tolerates raw input.
import { detectEmergency } from "./emergency.ts";

import type { Intent } from "./types.ts";

export type { Intent };

export interface IntentContext {
  lastTopic?: string | null;
  lastIntent?: Intent | null;
  turnsInThread?: number;
}

export interface IntentResult {
  intent: Intent;
  feedback?: "positive" | "negative";
  emergency?: ReturnType<typeof detectEmergency>;
  detail?: "show_full" | "show_law";
}

// Everyday legal vocabulary as residents write it: enough to tell a legal question from chatter.
const LEGAL =
  /法|律师|官司|起诉|告他|告她|告状|打官司|判|赔|补偿|工资|工钱|欠|讨薪|拖欠|老板|包工头|辞退|开除|社保|养老金|退休|工伤|合同|违约|定金|押金|借条|欠条|借钱|利息|还钱|离婚|结婚|彩礼|抚养|赡养|探望|继承|遗产|遗嘱|房产|过户|宅基地|承包|土地|征地|拆迁|补偿款|房东|物业|租|车祸|事故|撞|保险|医院|医疗|骗|诈骗|退款|退货|投诉|假货|商家|家暴|拘留|派出所|警察|公安|取保|判刑|坐牢|罪|仲裁|调解|公证|鉴定|法援|援助|维权|权益|霸占|占了|侵权|纠纷|债|失信|执行|村委|村里|政府|罚款|处罚|打人|被打|受伤|伤|犯法|违法|合法|证据|矫正|户口|户籍|低保|补贴/;
const QUESTION =
  /[？?]|吗|嘛|么$|怎么|咋|如何|怎样|能不能|可不可以|可以不|有没有|是不是|该不该|谁|去哪|哪里|哪个|多少|多久|多长|几天|几年|什么|啥|办法|咋整|咋弄|咋办|怎么办|为什么|凭什么|能否|是否|请问|想问|咨询|问一下|问下|问问/;
// A grievance stated without a question mark is still a request for help.
const GRIEVANCE = /不给|不还|不退|不赔|不管|不发|不让|不认|赖账|霸占|占了|跑了|被骗|欠我|拖欠/;

const DETAIL = /^[【\[(（]?(?:详细|详情|全文|展开|看全文|查看全文|查看详细|看详细|下一页|继续)[】\])）]?$|说?(?:详细|具体)(?:点|一点|一些|些)|(?:详细|具体)(?:说说|讲讲|说一下|讲一下)/;
// 回复【法条】: the verbatim text of the statutes the last answer cited.
const LAW_TEXT = /^[【\[(（]?(?:看)?(?:法条|条文|原文|法条原文|条文原文|法律条文|看原文)(?:原文)?[】\])）]?$/;
const ASK_HUMAN =
  /^律师[?？!！]*$|转人工|人工(?:服务|客服)?|真人|找(?:个)?人|我要(?:找)?律师|找(?:个)?律师|律师在吗|(?:安排|联系|叫|请).{0,4}律师|法律顾问|值班律师|打(?:个)?电话给我|给我(?:回|打)(?:个)?电话|回(?:个)?电话|不会打字|不想跟机器|机器人|你们领导|当面(?:问|谈|说)/;
const HUMAN_NEGATED = /不(?:用|要|需要)(?:转)?(?:人工|律师)/;
// "找律师多少钱" asks about lawyers; it is not a request to be handed to one.
const ABOUT_LAWYERS = /法律援助|法援|免费|请不起|没钱请|(?:没钱|哪有钱|钱从哪|付不起|出不起|拿不出|请不起).{0,8}律师|律师.{0,6}(?:钱从哪|付不起|出不起|拿不出)|(?:要|需要|用|得)(?:请|找)?律师吗|要不要(?:请|找)?律师|多少钱|费用|收费|怎么收|贵不贵|怎么找|去哪找|哪里找|怎么请|如何/;

const NEGATIVE =
  /没用|没啥用|没什么用|有啥用|有什么用|不对|答非所问|看不懂|没看懂|看不明白|不明白|听不懂|不懂|说了等于没说|胡说|乱说|瞎说|不是这样|不一样|没回答|不是我问的|错了|不清楚|没帮助|白问/;
const POSITIVE = /谢谢|多谢|感谢|谢了|有用|明白了|懂了|知道了|清楚了|有帮助|很好|太好了|好的|好滴|好嘞|收到|辛苦|厉害|👍|🙏|点赞|讲得好|说得好|明白/;
const FILLER = /[\p{P}\p{S}\s]|你|您|老师|同志|律师|啊|呀|哦|噢|嗯|哈|啦|了|的|吧|呢|很|非常|太|真|好|多|谢|这|回答|说|讲|得|就|我|还是|根本|跟|问|也|是|都|那|个|啥|这回|挺|蛮|特别|大家|亲|哟|喔/gu;

const GREETING =
  /^(?:在[?？]?$|你好|您好|你们好|在吗|在么|在不在|在不|有人吗|有人在吗|有没有人|hi|hello|hey|哈喽|哈罗|嗨|喂|早上好|上午好|中午好|下午好|晚上好|早|早安|晚安|老师好|同志你?好|律师好|谢谢|谢谢你|谢谢您|多谢|好的|嗯|嗯嗯|哦|ok|okay)/i;
const GREETING_WORDS =
  /你好|您好|你们好|在吗|在么|在不在|在不|有人吗|有人在吗|有没有人|hi|hello|hey|哈喽|哈罗|嗨|喂|早上好|上午好|中午好|下午好|晚上好|早安|晚安|早|老师好|同志|律师好|谢谢|多谢|好的|嗯|哦|ok|okay|啊|呀|你|您|老师|请问|在/gi;

// Clear insults only: a few unmistakable words, not anything merely rude.
const ABUSE = /傻[逼比b屄]|煞笔|沙比|\bs\s*b\b|操你|草你|肏|日你|艹你|草泥马|你妈的|你妈逼|妈了个|他妈的|去死吧|滚你|滚蛋|^滚+[!！。]*$|智障|脑残|狗东西|贱人|婊子|王八蛋|废物|垃圾(?:机器|东西|玩意)?|fuck|shit/i;

const OUT_OF_SCOPE =
  /天气|下雨|下雪|气温|刮风|彩票|双色球|大乐透|中大奖|股票|股市|炒股|基金|涨停|怎么做(?:菜|饭)?$|菜谱|做菜|红烧|饺子|馅|炖|炒菜|好吃|减肥|作业|作文|数学题|题怎么做|考试答案|笑话|唱(?:首|个)?歌|星座|电视剧|电影|小说|游戏攻略|你几岁|你是谁|你叫什么|聊聊天?|陪我聊|火车|高铁|航班|几点开|哪个牌子|牌子好|多少钱一斤|价格会涨|会涨吗|施肥|种植技术|怎么种|养猪|翻译|写首诗|写诗|算命|风水|运势/;

const FOLLOW_UP_START = /^(?:那|那么|那我|那他|那要|那如果|如果|要是|假如|万一|还有|另外那|还能|还要|还可以|这个|这样|然后|所以|那还|他要是|对方要是|没有.{0,6}(?:呢|咋办|怎么办))/;
const FOLLOW_UP_ASK =
  /多少钱|赔多少|要多少|多久|多长时间|要带|带什么|需要什么|要什么材料|去哪|在哪|哪里办|找谁|哪个部门|怎么办|咋办|咋整|要花钱|收费|费用|要钱吗|能拿到|能赔|能要回|还能|怎么算|怎么弄|要去法院|鉴定|律师费|时效|呢[？?]?$/;
const NEW_TOPIC_OPENER = /还想问|再问|另外问|问个别的|换个问题|另一个问题|另外一件事|还有个事|还有一个问题/;

function stripAll(text: string, re: RegExp): string {
  return text.replace(new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g"), "");
}

/** Count distinct legal-vocabulary hits: 2+ means the message carries its own topic. */
function legalHits(text: string): number {
  return new Set(text.match(new RegExp(LEGAL.source, "g")) ?? []).size;
}

export function isLikelyLegalQuestion(text: string): boolean {
  const t = typeof text === "string" ? text.slice(0, 1000) : "";
  if (t.length < 4 || OUT_OF_SCOPE.test(t) && legalHits(t) === 0) return false;
  return LEGAL.test(t) && (QUESTION.test(t) || GRIEVANCE.test(t));
}

export function classifyIntent(text: string, ctx: IntentContext = {}): IntentResult {
  const t = (typeof text === "string" ? text.slice(0, 2000) : "").trim();
  const hadAnswer = !!ctx.lastTopic || ctx.lastIntent === "legal_question" || ctx.lastIntent === "follow_up";
  const lower = t.toLowerCase();

  const emergency = detectEmergency(t);
  if (emergency.emergency) return { intent: "emergency", emergency };

  if (t.length <= 12 && LAW_TEXT.test(t)) return { intent: "follow_up", detail: "show_law" };
  if (t.length <= 12 && DETAIL.test(t)) return { intent: "follow_up", detail: "show_full" };

  if (ASK_HUMAN.test(t) && !HUMAN_NEGATED.test(t) && !ABOUT_LAWYERS.test(t) && t.length <= 40) return { intent: "ask_human" };

  // Feedback is short and about the last answer; a new question after 谢谢 is not feedback.
  const core = stripAll(t, FILLER);
  if (hadAnswer && t.length <= 20) {
    const neg = NEGATIVE.test(t);
    const pos = POSITIVE.test(t);
    const rest = stripAll(stripAll(core, NEGATIVE), POSITIVE);
    if ((neg || pos) && rest.length <= 3 && !QUESTION.test(rest)) return { intent: "feedback", feedback: neg ? "negative" : "positive" };
  }

  // Greeting only when nothing but greeting words remain ("你好，老板欠我工资" is a question).
  if (core.length === 0 && !/[\p{L}\p{N}]/u.test(t) || (GREETING.test(lower) && stripAll(stripAll(lower, GREETING_WORDS), FILLER).length === 0))
    return { intent: "greeting" };

  if (ABUSE.test(t) && legalHits(t) === 0) return { intent: "abuse" };

  if (OUT_OF_SCOPE.test(t) && !isLikelyLegalQuestion(t)) return { intent: "out_of_scope" };

  if (ctx.lastTopic && !NEW_TOPIC_OPENER.test(t)) {
    const short = t.length <= 12;
    const dependent = FOLLOW_UP_START.test(t) || FOLLOW_UP_ASK.test(t);
    // A longer message with its own legal vocabulary starts a new question.
    if ((short && (dependent || legalHits(t) <= 1)) || (FOLLOW_UP_START.test(t) && t.length <= 24))
      return { intent: "follow_up" };
  }

  return { intent: "legal_question" };
}
