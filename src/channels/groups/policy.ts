// How the assistant behaves in a group (a township WeChat group, a Telegram group), as pure
// functions: when a message is addressed to it, and what it says in the group instead of a
// personal matter's answer (the core decides which matters those are: group-privacy.ts).

import type { Sensitivity } from "../../conversation/index.ts";
import { maskPersonalData } from "../../privacy.ts";

/** Whether a group message is meant for the assistant, and the text without the mention or trigger word. */
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
  if (s.safetyWords) return [s.safetyWords, "具体情况请看我发给您的私聊消息。"].join("\n");
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
