// What the core itself says when the pipeline does not answer. Plain words; every one
// keeps a way out for an emergency.

import type { PipelineResult } from "../pipeline/types.ts";

export { RATE_LIMITED } from "../pipeline/replies.ts";

export const OWNED_NOTICE = "您的问题已由值班律师跟进，新消息已转给律师，请耐心等待律师回复。如遇人身危险，请立即拨打110。";

export const PIPELINE_FAILED =
  "抱歉，系统暂时出了点问题，没能自动回答。您的问题已转给值班律师，律师会通过这里回复您；您也可以拨打12348公共法律服务热线。如遇人身危险，请立即拨打110。";

export const RATING_THANKS = "感谢您的评价！您的意见会帮助我们改进服务。还有其他法律问题，随时可以再问。";

/** History note when a resident starts over (/reset). */
export const CONTEXT_RESET_NOTE = "（居民重新开始对话，之前的上下文已清空）";

/**
 * A result the core made without the pipeline. The core does no language work, so the
 * intent is a placeholder ("follow_up": one more message in a thread); `reason` on the
 * inbound row says what really happened.
 */
export function coreResult(text: string | null): PipelineResult {
  return {
    kind: text ? "reply" : "silence",
    text: text ?? "",
    fullText: text ?? "",
    intent: "follow_up",
    topic: null,
    confidence: null,
    citations: [],
    guideId: null,
    escalation: null,
    composer: "none",
  };
}
