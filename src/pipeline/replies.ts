// Fixed replies the pipeline gives when no retrieval is involved. Plain words, no jargon.

export const WELCOME =
  "您好，我是县司法局12348公共法律服务的智能咨询助手。您可以直接说遇到的事，例如“老板欠我三个月工资不给怎么办”。我会告诉您法律怎么规定、下一步去哪里办、要带什么。需要找律师请回复“转人工”。";

export const EMPTY_TEXT = "没有看到文字内容。请用文字简单说一下您遇到的事情，比如“邻居占了我家宅基地怎么办”。";

export const THANKS = "不客气！还有其他问题随时问我。需要律师帮忙可以回复“转人工”。";

export const OUT_OF_SCOPE =
  "我是法律咨询助手，只能回答法律方面的问题，比如欠薪、离婚、借钱不还、交通事故、土地纠纷、法律援助等。您可以换个方式说说遇到的法律问题。";

export const ABUSE = "理解您可能很着急。我在这里帮您解决法律问题，请文明交流，说说遇到了什么事，我尽力帮您。";

export const RATE_LIMITED = "您发送得太快了，请稍等一分钟再问；紧急情况请拨打110。";

export const NEGATIVE_FEEDBACK =
  "抱歉没能帮到您。可以再具体说说情况吗（比如发生了什么、对方是谁、过了多久）？如果想直接找律师，回复“转人工”即可。";

export const UNCLEAR =
  "抱歉，没看明白您的意思。请用几句话说说您遇到了什么事，比如“老板欠我三个月工资不给怎么办”“邻居占了我家宅基地怎么办”。需要找律师请回复“转人工”。";

/** The same message again, after it was referred to a lawyer. */
export const REPEATED_REFERRED = "已收到。您的问题已经转给值班律师，律师会通过这里回复您，请耐心等待，不用重复发送。如遇人身危险，请立即拨打110。";

export const NO_PREVIOUS_ANSWER = "暂时没有可以展开的内容。请直接说说您的问题。";

export function escalatedNotice(hours: string, reasonLine: string): string {
  return `${reasonLine}已转给值班律师，律师会在${hours}内通过这里回复您（首问负责，专人跟进）。等待期间您也可以拨打12348公共法律服务热线。如遇人身危险，请立即拨打110。`;
}

export const FIRST_RESPONSE_HOURS: Record<"normal" | "urgent" | "emergency", string> = {
  normal: "24小时",
  urgent: "2小时",
  emergency: "15分钟",
};
