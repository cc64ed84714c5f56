// What the official account says by itself (not through the answering pipeline).

export const WELCOME = [
  "您好，欢迎关注！这里是12348公共法律服务在线咨询。",
  "我可以：\n· 解答欠薪、劳动、婚姻家庭、借钱还钱、交通事故、土地房屋等常见法律问题，给出法律依据和下一步怎么办\n· 告诉您法律援助、人民调解、公证、司法鉴定等怎么申请、去哪里办、带什么材料",
  "直接用文字或语音说出您的问题就行，比如：“老板欠我三个月工资不给咋办”。",
  "需要律师帮忙，请回复“转人工”，值班律师会接手；遇到人身危险请立即拨打110。",
].join("\n\n");

const MEDIA_NAMES: Record<string, string> = {
  image: "图片",
  voice: "语音",
  video: "视频",
  shortvideo: "小视频",
  location: "位置",
  link: "链接",
  file: "文件",
  music: "音乐",
};

/** A polite reply to a message type the assistant cannot read. */
export function unsupportedReply(msgType: string): string {
  const what = MEDIA_NAMES[msgType] ?? "这类消息";
  return `抱歉，暂时还看不了${what}。请用文字（或语音）把您的问题说一下，比如“老板欠我工资不给怎么办”。需要律师帮忙请回复“转人工”。`;
}

export const VOICE_NOT_RECOGNISED = "没有听清您的语音，请再说一遍，或者用文字描述您的问题。";

export const MENU_UNKNOWN = "请直接输入您想咨询的问题；需要律师帮忙请回复“转人工”。";

/** Put before a reply that could not be delivered earlier (the 48-hour window had closed). */
export function lateDeliveryText(kind: string, text: string): string {
  return kind === "lawyer_reply" ? `您有一条律师回复之前未能送达：\n${text}` : `您有一条回复之前未能送达：\n${text}`;
}
