// What the assistant says in WeChat groups and private chats on its own account (not answers).

export const BOT_JOINED_TEXT =
  "大家好，我是公共法律服务法律咨询助手。有法律问题可以@我，或者用“问：”开头发消息；涉及个人隐私的问题我会私聊回复。法律咨询热线12348；遇到人身危险请拨打110。";
export const MEMBER_WELCOME_TEXT = "欢迎新朋友！有法律问题可以@我，或者用“问：”开头提问。请不要在群里发身份证号、电话、住址等个人信息。";
export const EMPTY_MENTION_TEXT = "您好，请在@我的后面直接写您的问题，比如：“@我 老板拖欠工资怎么办？”";
export const NOT_TEXT_REPLY = "目前我只能看懂文字消息，请用文字描述您的问题；也可以拨打12348公共法律服务热线。";
