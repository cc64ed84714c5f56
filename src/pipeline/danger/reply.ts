// What the resident reads first in an emergency: the number to call and what to do in the
// next ten minutes, fitted to the situation, with no statute in it. The lawyer reads the
// same situation as a Chinese label in the referral's summary.
import type { EmergencyKind } from "./cues.ts";

/** Being detained is urgent (a lawyer should call back soon) but not a danger to life. */
export function urgencyFor(kinds: readonly EmergencyKind[]): "emergency" | "urgent" {
  return kinds.some((k) => k !== "detained") ? "emergency" : "urgent";
}

/** The situation in words a duty lawyer reads in the queue. */
export const KIND_LABEL: Record<EmergencyKind, string> = {
  violence: "正在遭受暴力",
  threat: "人身威胁",
  confinement: "被限制人身自由",
  sexual: "性侵害",
  trafficking: "拐卖或强迫婚姻",
  self_harm: "自伤自杀风险",
  injury: "受伤或急症",
  trapped: "事故有人被困",
  missing: "人员走失或被带走",
  child: "未成年人受侵害",
  elder: "老人受虐待或遗弃",
  detained: "家属被公安机关带走",
};

/** "正在遭受暴力、未成年人受侵害": the kinds as the lawyer should read them. */
export function kindLabels(kinds: readonly EmergencyKind[]): string {
  return ORDER.filter((k) => kinds.includes(k)).map((k) => KIND_LABEL[k]).join("、");
}

const REPLY: Record<EmergencyKind, string> = {
  self_harm: "您的安全最重要。请马上告诉身边的人，不要一个人待着。心理危机干预热线 12356、希望24热线 400-161-9995，24小时免费。已经服药、受伤或有人要轻生，请立即拨打 120 和 110。",
  violence: "有人正在动手：请马上离开到安全的地方（邻居家、人多处），立即拨打 110 报警；有人受伤拨 120。妇女儿童可拨 12338，未成年人可拨 12355。事后留好伤情照片、就医记录和报警回执；家里人动手的，可以向法院申请人身安全保护令（紧急的24小时内作出）。",
  sexual: "请马上拨打 110 报警，尽快到医院检查（受伤拨 120）。先不要洗澡、换洗衣物，保留好衣物和现场，这些是重要证据。妇女儿童可拨 12338，未成年人可拨 12355 求助。",
  confinement: "被关住或不让走：能打电话就立即拨打 110，说清所在位置（地址、附近标志、车牌号）；不方便说话可以发短信给家人代为报警，或尝试短信报警 12110（部分地区开通）。先保证自身安全，不要硬拼。妇女儿童可拨 12338，未成年人可拨 12355。",
  trafficking: "请立即拨打 110 报警，说清人在哪里、被谁带走。强迫结婚、买卖婚姻和拐卖都是违法的，不满法定婚龄（男22周岁、女20周岁）不能结婚。妇女儿童可拨 12338，未成年人可拨 12355，也可找当地妇联、村委会。",
  threat: "有人扬言要伤害您：请马上拨打 110 报警，锁好门，不要独自待着，到亲友家或人多的地方；对方泼汽油、开煤气或要放火，马上离开并拨 119。妇女儿童可拨 12338。保存好威胁的短信、微信和录音；之后可以向法院申请人身安全保护令。",
  missing: "请立即拨打 110 报警，报警不需要等“满24小时”。说清走失或被带走的时间、地点、穿着、长相，有车的记下车牌和方向；同时请亲友邻居分头找，请附近商店、村委会帮忙查监控。",
  child: "孩子有危险：请立即拨打 110；孩子受伤拨 120。青少年服务热线 12355、妇女儿童维权热线 12338 也可以求助。先让孩子离开伤害他的人，别让孩子独自待着。",
  elder: "老人有危险：请立即拨打 110，老人受伤或生病拨 120。可以先把老人接到安全的地方，同时告诉村（居）委会，请他们上门查看。",
  trapped: "有人被困：请马上拨打 119 和 120，说清地点和被困人数；不要自己冒险进去。有人阻拦报警或救人，请同时拨打 110。",
  injury: "有人受伤或身体出了危险：请立即拨打 120 急救，说清地址和伤情；不要随意搬动重伤的人。如果是被人打伤或出了事故，同时拨打 110 报警。",
  detained: "家人被公安机关带走：可以先问清是哪个派出所或公安局、什么原因、是行政拘留还是刑事拘留；不知道被带到哪里，或对方没有出示证件的，可以拨打 110 核实。刑事案件可以委托律师会见；经济困难的可以申请法律援助。法律咨询可拨 12348。",
};

// Most pressing first; a reply carries at most three situations.
const ORDER: EmergencyKind[] = ["self_harm", "trapped", "violence", "sexual", "confinement", "trafficking", "missing", "threat", "child", "elder", "injury", "detained"];

/** The advice fitted to the situation: what to do now and whom to call, most pressing first. */
export function situationAdvice(kinds: readonly EmergencyKind[]): string[] {
  const picked = ORDER.filter((k) => kinds.includes(k)).slice(0, 3);
  const parts = picked.length > 0 ? picked.map((k) => REPLY[k]) : ["如有危险，请立即拨打 110 报警，需要急救请拨 120。"];
  // An injury beside another danger still needs the ambulance number said.
  if (kinds.includes("injury") && !picked.includes("injury") && !parts.some((p) => p.includes("120"))) parts.push("有人受伤请立即拨打 120。");
  return parts;
}

// A message read as one danger is often another too (a threat that is also a suicide, a beating
// with someone hurt): every emergency reply ends with the numbers its advice did not name.
const HOTLINES: Array<[string, string]> = [
  ["110", "报警 110"],
  ["120", "急救 120"],
  ["119", "火警 119"],
  ["12338", "妇女儿童 12338"],
  ["12356", "心理援助 12356"],
];

/** The immediate reply: the fitted advice, the other emergency numbers, then the referral (< 600 chars). */
export function safetyReply(kinds: readonly EmergencyKind[]): string {
  const parts = situationAdvice(kinds);
  const picked = ORDER.filter((k) => kinds.includes(k));
  const emergency = urgencyFor(picked.length > 0 ? picked : ["violence"]) === "emergency";
  if (emergency) {
    const said = parts.join("");
    const rest = HOTLINES.filter(([n]) => !said.includes(n)).map(([, label]) => label);
    if (rest.length > 0) parts.push(`其他求助电话：${rest.join("，")}。`);
  }
  const tail = emergency
    ? "我们已通知值班律师，会尽快联系您。情况紧急请先打电话求助，不要等回复。"
    : "我们已通知值班律师，会尽快联系您。";
  return [...parts, tail].join("\n");
}

const FAMILY_WORDS = /老公|丈夫|老婆|媳妇|前夫|前妻|对象|男朋友|家暴|婆婆|公公|继父|后爸|后妈|儿子|女婿|儿媳/;

/** The referral topic an emergency is filed under, or null to let the topic classifier decide. */
export function emergencyTopic(kinds: readonly EmergencyKind[], text: string): string | null {
  if (kinds.includes("child") || (kinds.includes("missing") && /孩子|娃|儿子|女儿|闺女|小孩/.test(text))) return "minors";
  if (kinds.includes("elder")) return "elderly";
  if ((kinds.includes("violence") || kinds.includes("threat")) && FAMILY_WORDS.test(text)) return "domestic_violence";
  if (kinds.some((k) => k === "detained" || k === "sexual" || k === "trafficking" || k === "confinement")) return "criminal";
  if (kinds.includes("violence") || kinds.includes("threat") || kinds.includes("injury") || kinds.includes("trapped")) return "personal_injury";
  return null;
}
