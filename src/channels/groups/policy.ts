// How the assistant behaves in a group (a township WeChat group, a Telegram group), as pure
// functions: when a message is addressed to it, which matters are too personal to discuss in
// front of the village, and what it says in the group instead. Deliberately simple rules a
// bureau can read.

import { detectEmergency, safetyReply, type EmergencyKind } from "../../pipeline/emergency.ts";
import { normalizeText } from "../../pipeline/normalize.ts";
import { isLikelyLegalQuestion } from "../../pipeline/intent.ts";
import { classifyTopic, type TopicDef } from "../../pipeline/topic.ts";
import { containsPersonalData, maskPersonalData } from "../../privacy.ts";

export interface Addressing {
  /** The message is for the assistant (an @-mention or a leading trigger word). */
  addressed: boolean;
  /** The question without the mention or trigger. */
  text: string;
  via: "mention" | "trigger" | null;
}

/**
 * `mentionText` is the text with @-mentions removed (Wechaty's msg.mentionText()). A trigger
 * counts only at the start, so "我也想问：…" in passing chatter is not picked up.
 */
export function addressing(rawText: string, opts: { mentioned: boolean; mentionText: string; triggers: readonly string[] }): Addressing {
  if (opts.mentioned) return { addressed: true, text: stripTrigger(opts.mentionText.trim(), opts.triggers), via: "mention" };
  const text = rawText.trim();
  for (const t of opts.triggers) {
    if (t && text.startsWith(t)) return { addressed: true, text: text.slice(t.length).replace(/^[\s:：,，]+/, "").trim(), via: "trigger" };
  }
  return { addressed: false, text, via: null };
}

function stripTrigger(text: string, triggers: readonly string[]): string {
  for (const t of triggers) if (t && text.startsWith(t)) return text.slice(t.length).replace(/^[\s:：,，]+/, "").trim();
  return text;
}

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

export type SensitiveReason = "emergency" | "personal_data" | "personal_topic" | "named_person" | "address";

export interface Sensitivity {
  sensitive: boolean;
  reasons: SensitiveReason[];
  topic: string;
  emergency: boolean;
  /** The emergency's situations, for the safety words the group sees. */
  emergencyKinds: EmergencyKind[];
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
  return { sensitive: reasons.length > 0, reasons, topic, emergency, emergencyKinds: em.kinds };
}

/** Counts toward the group's legal needs: a legal question, not a greeting or chatter. */
export function isGroupLegalQuestion(text: string, topic: string): boolean {
  return isLikelyLegalQuestion(text) || topic !== "other";
}

// General words per personal topic: enough to be useful to everyone reading the group.
const GENERAL_WORDS: Record<string, string> = {
  marriage: "婚姻家庭方面的问题，一般可以先协商，也可以申请人民调解；协商不成的，可以向人民法院起诉。",
  domestic_violence: "遭受家庭暴力，可以立即拨打110报警，向妇联、村（居）委会求助，也可以向人民法院申请人身安全保护令。",
  debt: "借款、欠款纠纷，一般先保存好借条、转账记录、聊天记录等证据，可以协商、申请人民调解，或者向人民法院起诉。",
  inheritance: "继承方面的问题，一般先看有没有遗嘱；没有遗嘱的按法定继承处理，可以协商、调解或者起诉。",
  criminal: "涉及刑事案件的，可以向办案的公安机关、检察院了解情况，符合条件的可以申请法律援助。",
  minors: "涉及未成年人的问题，可以向学校、村（居）委会、公安机关求助，也可以拨打12355青少年服务热线。",
  correction: "社区矫正、安置帮教方面的问题，可以向当地司法所咨询。",
};
const GENERAL_FALLBACK = "这类问题和个人具体情况关系很大，需要了解细节才能说清楚。";

/** What the group sees for a personal matter: general words and an invitation to a private chat. */
export function privateInvitation(s: Sensitivity): string {
  // Danger now: the numbers to call come first, in the group, where someone nearby may act.
  if (s.emergency) return [safetyReply(s.emergencyKinds), "具体情况请看我发给您的私聊消息。"].join("\n");
  const lines = [GENERAL_WORDS[s.topic] ?? GENERAL_FALLBACK];
  lines.push("为保护您的隐私，具体情况我已通过私聊回复您，请查看和我的私聊（如果没有收到，请先加我为好友再发一遍问题）。");
  if (s.reasons.includes("personal_data") || s.reasons.includes("address")) lines.push("请不要在群里发身份证号、电话、住址等个人信息。");
  if (s.emergency || s.topic === "domestic_violence") lines.push("如遇人身危险，请立即拨打110。");
  return lines.join("\n");
}

/** Anything posted to a group: ID, phone and bank-card numbers masked. */
export function forGroup(text: string): string {
  return maskPersonalData(text);
}
