// Files the admin tests upload: a guide the bundled knowledge does not cover (so an answer
// built on it can only come from the upload), a broken one, and a small law in both formats.

export const GUIDE_ID = "piglet-sale-deposit";
/** What the tests ask: written apart from the guide's own example questions below. */
export const GUIDE_QUESTION = "订猪崽付了定金，对方现在不给猪崽也不退定金，怎么办";

export const GOOD_GUIDE = `---
id: ${GUIDE_ID}
title: 买猪崽交了定金对方不履行怎么办
topics: [contract]
questions:
  - 买猪崽交了定金，卖猪的不给猪崽也不退定金咋办
  - 养猪场收了订猪崽的定金又说没货了
  - 订猪崽的定金能要回来吗
legal_basis:
  - law: 中华人民共和国劳动合同法
    article: 第三十条
steps:
  - 把定金收据、转账记录和聊天记录保存好。
  - 先书面催对方在合理期限内交付猪崽或者退还定金。
  - 协商不成，可以请村调解委员会调解，或者到人民法院起诉。
materials:
  - 定金收据或转账记录
  - 双方的聊天记录
where: [mediation, court]
fees: 调解不收费。
time_limits: 一般三年内主张权利。
---
收了定金却不交付猪崽，属于违约。交定金的一方可以要求对方双倍返还定金，也可以要求继续交付。先保存好收据和聊天记录，再去调解或起诉。
`;

/** Line 5 holds a question list that is empty: the validator names that line. */
export const BAD_GUIDE = `---
id: broken-guide
title: 坏的指南
topics: [contract]
questions: []
steps:
  - 第一步
---
这是一份缺少问题列表的指南，用来测试校验和行号提示是否正确。
`;

export const LAW_JSONL = [
  JSON.stringify({ id: "test-law-1", law: "清河县测试条例", article: "第一条", text: "为了测试上传法规，制定本条例。", level: "地方性法规", status: "现行有效", effective: "2020-01-01" }),
  JSON.stringify({ id: "test-law-2", law: "清河县测试条例", article: "第二条", text: "养蜂人应当在蜂箱周围设置警示标志。", level: "地方性法规", status: "现行有效", effective: "2020-01-01" }),
].join("\n");

export const BAD_LAW_JSONL = `${JSON.stringify({ id: "x1", law: "坏条例", article: "第一条", text: "正文。", level: "地方性法规", status: "现行有效" })}\n{not json\n`;
