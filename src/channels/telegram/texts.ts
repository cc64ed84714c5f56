// What the Telegram bot says by itself (everything else comes from the conversation core).

export const START_TEXT = [
  "您好！我是县司法局12348公共法律服务的法律咨询助手。",
  "直接把遇到的事发给我就行，比如“老板欠我三个月工资不给怎么办”。我会告诉您法律怎么规定、下一步去哪里办、要带什么材料。",
  "需要律师时发 /human（转人工），值班律师会在这里回复您。",
  "遇到人身危险请立即拨打110。",
].join("\n\n");

export const HELP_TEXT = [
  "使用说明：",
  "· 直接发文字描述您的问题；在群里请@我，或回复我的消息。",
  "· 回答下面有【详细内容】【法条原文】按钮，点一下看完整回答和法律条文；【有帮助】【没帮助】【转人工】按钮，点一下告诉我们。",
  "· /human 转值班律师　/reset 重新开始　/help 查看说明",
  "· 法律咨询热线12348；遇到人身危险请拨打110。",
  "请不要在群里发身份证号、电话、住址等个人信息。",
].join("\n");

export const RESET_DONE = "好的，已重新开始。之前的对话不再作为参考，您可以直接问新的问题。";
export const RESET_NOTHING = "现在还没有对话记录，直接发问题就可以。";
export const NOT_TEXT_REPLY = "目前我只能看懂文字消息，请用文字描述您的问题；也可以拨打12348公共法律服务热线。";
export const ONLY_ASKER = "这个按钮只有提问的人可以点。";
export const RECEIVED = "收到，谢谢！";
