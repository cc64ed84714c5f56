// A step the core runs for every group channel (township WeChat groups, Telegram groups):
// which matters are too personal to discuss in front of the village (they move to the
// member's private chat), the message's coarse topic, and whether a message nobody addressed
// to the assistant tells of danger now. Deliberately simple rules a bureau can read.

import { detectEmergency, safetyReply } from "../pipeline/emergency.ts";
import { isLikelyLegalQuestion } from "../pipeline/intent.ts";
import { normalizeText } from "../pipeline/normalize.ts";
import { classifyTopic, type TopicDef } from "../pipeline/topic.ts";
import type { InboundMessage } from "../channel-message.ts";
import { containsPersonalData } from "../privacy.ts";

// Topics that are about one family's or one person's affairs: discussed privately.
const PERSONAL_TOPICS = new Set(["marriage", "domestic_violence", "debt", "inheritance", "criminal", "minors", "correction"]);

// Words that put a specific person or home into the message.
const ADDRESS = /家住|住在|住址|地址是|门牌|\d+\s*(?:号楼|栋|单元|室)|[一二三四五六七八九十\d]+组\d*号/;
const OWN_NAME = /我(?:叫|的名字(?:是|叫))|本人(?:叫|姓名)|姓名[:：是]?/;
// A surname followed by a given name or 某, after a relation word or 叫: "我邻居王大牛", "叫张某".
const SURNAMES =
  "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const RELATION = "(?:邻居|老板|老公|丈夫|媳妇|妻子|老婆|前夫|前妻|儿子|女儿|儿媳|女婿|村长|书记|支书|包工头|工头|亲戚|哥哥|姐姐|弟弟|妹妹|嫂子|婆婆|公公|叔叔|舅舅|对方|叫|名叫)";
const NAMED_PERSON = new RegExp(`${RELATION}[${SURNAMES}](?:某某?|[\\u4e00-\\u9fa5]{1,2})`);

/** Why a group message is personal enough to be answered in a private chat instead. */
export type SensitiveReason = "emergency" | "personal_data" | "personal_topic" | "named_person" | "address";

/** Whether a group message is sensitive, and why. */
export interface Sensitivity {
  sensitive: boolean;
  reasons: SensitiveReason[];
  topic: string;
  emergency: boolean;
  /** The numbers to call, for the group to see at once; null when there is no emergency. */
  safetyWords: string | null;
  /** Counts toward the group's legal needs: a legal question, not a greeting or chatter. */
  legalQuestion: boolean;
}

/**
 * A group message nobody addressed to the assistant that tells of danger now: it is answered
 * all the same (safety first in the group, the rest privately).
 */
export function isUnaddressedEmergency(text: string): boolean {
  return detectEmergency(normalizeText(text).text).emergency;
}

/** Whether a group question should move to a private chat, and its coarse topic. */
export function assessGroupQuestion(text: string, topics: readonly TopicDef[]): Sensitivity {
  const topic = classifyTopic(text, topics)[0]?.topic ?? "other";
  const reasons: SensitiveReason[] = [];
  const em = detectEmergency(normalizeText(text).text);
  const emergency = em.emergency;
  if (emergency) reasons.push("emergency");
  if (containsPersonalData(text)) reasons.push("personal_data");
  if (PERSONAL_TOPICS.has(topic)) reasons.push("personal_topic");
  if (NAMED_PERSON.test(text) || OWN_NAME.test(text)) reasons.push("named_person");
  if (ADDRESS.test(text)) reasons.push("address");
  const legalQuestion = isLikelyLegalQuestion(text) || topic !== "other";
  return { sensitive: reasons.length > 0, reasons, topic, emergency, safetyWords: emergency ? safetyReply(em.kinds) : null, legalQuestion };
}

/** What the core decided about a message posted in a group. */
export interface GroupDecision {
  assessment: Sensitivity;
  /** Too personal for the group: recorded and answered in the member's private thread. */
  movedToPrivate: boolean;
}

/**
 * The core's group step: a message posted in a group is assessed; a personal matter moves to
 * the member's private thread when the channel named one (`privateThreadKey`), keeping the
 * group's region so a referral still reaches the local lawyer.
 */
export function routeGroupMessage(msg: InboundMessage, topics: readonly TopicDef[]): { msg: InboundMessage; group: GroupDecision | null } {
  const { privateThreadKey, ...message } = msg;
  if (!message.groupKey) return { msg: message, group: null };
  const assessment = assessGroupQuestion(message.text, topics);
  const movedToPrivate = assessment.sensitive && !!privateThreadKey;
  return {
    msg: movedToPrivate && privateThreadKey ? { ...message, threadKey: privateThreadKey, groupKey: null } : message,
    group: { assessment, movedToPrivate },
  };
}
