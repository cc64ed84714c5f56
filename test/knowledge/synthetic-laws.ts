// A synthetic statute corpus (JSONL interchange format) big enough that building its search
// index is seconds of CPU: what the index-worker tests measure a blocked event loop against,
// without the shared national corpus. Deterministic (a fixed-seed generator).

import { formatArticleLabel } from "../../src/knowledge/article-number.ts";

const WORDS = (
  "用人单位 劳动者 工资 报酬 合同 解除 赔偿 补偿 责任 义务 权利 法院 仲裁 申请 登记 机关 主管部门 行政 处罚 罚款 没收 " +
  "违法 所得 许可 审批 土地 房屋 承包 经营 村民 委员会 集体 财产 继承 遗嘱 婚姻 离婚 子女 抚养 赡养 老人 未成年人 " +
  "监护 侵权 损害 医疗 交通 事故 保险 社会 保障 税收 征收 安置 环境 污染 食品 安全 产品 质量 消费者 经营者 欺诈 广告 " +
  "价格 合伙 公司 股东 债权 债务 担保 抵押 质押 借款 利息 租赁 买卖 运输 仓储 委托 代理 诉讼 时效 证据 鉴定 执行 强制 " +
  "拘留 公安 检察院 律师 援助 调解 人民 政府 县级 以上 规定 应当 可以 不得 依法 国家 组织 个人 其他 有关 情形 期间 " +
  "日内 书面 通知 公告 听证 复议"
).split(" ");

/** `laws` regulations of `perLaw` articles each, one JSON line per article. */
export function syntheticLawsJsonl(laws: number, perLaw: number, seed = 42): string {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const lines: string[] = [];
  for (let l = 0; l < laws; l++) {
    const law = `合成测试条例第${l + 1}号`;
    for (let a = 1; a <= perLaw; a++) {
      const n = 40 + Math.floor(rnd() * 80);
      let text = "";
      for (let i = 0; i < n; i++) {
        text += WORDS[Math.floor(rnd() * WORDS.length)];
        // Rare characters too, so the vocabulary grows like a real corpus's.
        if (rnd() < 0.3) text += String.fromCodePoint(0x4e00 + Math.floor(rnd() * 3000));
        if (i % 12 === 11) text += "，";
      }
      lines.push(JSON.stringify({ id: `syn-${l}-${a}`, law, article: formatArticleLabel(a), text: `${text}。`, level: "地方性法规", status: "现行有效" }));
    }
  }
  return `${lines.join("\n")}\n`;
}

/** A small regulation none of the other fixtures mention: found only once it is indexed. */
export const BEE_LAW_TITLE = "清河县养蜂管理条例";
export const BEE_LAW = `# ${BEE_LAW_TITLE}

2024年3月1日 清河县人民代表大会常务委员会通过

<!-- INFO END -->

## 第一章 总则

第一条 养蜂人转地放蜂的，应当在蜂箱周围设置警示标志，并告知附近村民委员会。

第二条 蜂群因农药喷洒造成死亡的，施药单位应当依法赔偿养蜂人的损失。
`;
export const BEE_QUESTION = "蜂箱 警示标志 养蜂人";
