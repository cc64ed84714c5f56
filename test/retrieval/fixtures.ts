// A small corpus for retrieval tests: real statute wording, a few laws, one repealed.
import type { ArticleUnit, LawStatus } from "../../src/knowledge/types.ts";
import { formatArticleLabel } from "../../src/knowledge/article-number.ts";

let n = 0;
function art(law: string, no: number, text: string, extra: Partial<ArticleUnit> = {}, sub = 0): ArticleUnit {
  n++;
  return {
    id: `t${String(n).padStart(3, "0")}`,
    law,
    article: formatArticleLabel(no, sub),
    articleNo: no,
    articleSub: sub,
    text,
    chapters: [],
    level: "法律",
    status: "现行有效" as LawStatus,
    promulgated: null,
    effective: null,
    region: null,
    source: "test",
    line: n,
    ...extra,
  };
}

export const MFD = "中华人民共和国民法典";
export const LDHT = "中华人民共和国劳动合同法";
export const XF = "中华人民共和国刑法";
export const HYF = "中华人民共和国婚姻法";

export const ARTICLES: ArticleUnit[] = [
  art(MFD, 3, "民事主体的人身权利、财产权利以及其他合法权益受法律保护，任何组织或者个人不得侵犯。", { chapters: ["总则"] }),
  art(MFD, 32, "没有依法具有监护资格的人的，监护人由民政部门担任，也可以由具备履行监护职责条件的被监护人住所地的居民委员会、村民委员会担任。", { chapters: ["总则"] }),
  art(MFD, 1079, "夫妻一方要求离婚的，可以由有关组织进行调解或者直接向人民法院提起离婚诉讼。人民法院审理离婚案件，应当进行调解；如果感情确已破裂，调解无效的，应当准予离婚。", { chapters: ["婚姻家庭编"] }),
  art(MFD, 1127, "遗产按照下列顺序继承：第一顺序：配偶、子女、父母；第二顺序：兄弟姐妹、祖父母、外祖父母。", { chapters: ["继承编"] }),
  art(MFD, 667, "借款合同是借款人向贷款人借款，到期返还借款并支付利息的合同。", { chapters: ["合同编"] }),
  art(LDHT, 30, "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。用人单位拖欠或者未足额支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令，人民法院应当依法发出支付令。"),
  art(LDHT, 38, "用人单位有下列情形之一的，劳动者可以解除劳动合同：（一）未按照劳动合同约定提供劳动保护或者劳动条件的；（二）未及时足额支付劳动报酬的；（三）未依法为劳动者缴纳社会保险费的。"),
  art(LDHT, 47, "经济补偿按劳动者在本单位工作的年限，每满一年支付一个月工资的标准向劳动者支付。六个月以上不满一年的，按一年计算；不满六个月的，向劳动者支付半个月工资的经济补偿。"),
  art(XF, 133, "违反交通运输管理法规，因而发生重大事故，致人重伤、死亡或者使公私财产遭受重大损失的，处三年以下有期徒刑或者拘役。"),
  art(XF, 133, "在道路上驾驶机动车，有下列情形之一的，处拘役，并处罚金：（一）追逐竞驶，情节恶劣的；（二）醉酒驾驶机动车的。", {}, 1),
  art(XF, 264, "盗窃公私财物，数额较大的，或者多次盗窃、入户盗窃、携带凶器盗窃、扒窃的，处三年以下有期徒刑、拘役或者管制，并处或者单处罚金。"),
  // Repealed law and an older version of a current title.
  art(HYF, 32, "男女一方要求离婚的，可由有关部门进行调解或直接向人民法院提出离婚诉讼。", { status: "已失效", level: "法律" }),
  art(LDHT, 30, "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。（旧版本）", { status: "已修改", effective: "2008-01-01" }),
  art("最高人民法院关于审理民间借贷案件适用法律若干问题的规定", 25, "出借人请求借款人按照合同约定利率支付利息的，人民法院应予支持，但是双方约定的利率超过合同成立时一年期贷款市场报价利率四倍的除外。", { level: "司法解释" }),
];

export const ALIASES = [
  { alias: ["民法典"], law: MFD },
  { alias: ["婚姻法", "新婚姻法"], law: MFD, book: "婚姻家庭编", note: "婚姻法已于2021年1月1日废止" },
  { alias: ["合同法"], law: MFD, book: "合同编", note: "合同法已于2021年1月1日废止" },
  { alias: ["民间借贷司法解释", "借贷规定"], law: "最高人民法院关于审理民间借贷案件适用法律若干问题的规定" },
];

export const TERMS = [
  { lay: ["老板", "东家"], legal: ["用人单位"] },
  { lay: ["工资", "工钱"], legal: ["劳动报酬"] },
  { lay: ["欠薪", "不发工资"], legal: ["拖欠劳动报酬"] },
];

export const TYPOS = [{ wrong: "离昏", right: "离婚" }];
