// Emergency detection on a resident's message: rule-based, tuned to ERR TOWARDS CATCHING.
// A current or ongoing danger is an emergency; a purely retrospective question (compensation
// for last month's accident, how to divorce after past violence) is not.
//
// Each cue is "strong" (fires unless negated: 救命, 不想活了, 流了好多血) or "weak" (fires only
// when the text shows the danger is current, or when nothing marks it as a past/legal question).
// Expects normalised text (normalizeText) but tolerates raw input.

export type EmergencyKind = "violence" | "threat" | "injury" | "self_harm" | "child" | "detained";

export interface EmergencyResult {
  emergency: boolean;
  kinds: EmergencyKind[];
  /** The matched wording, for the duty lawyer and for debugging. */
  cues: string[];
}

/**
 * strong: fires unless negated. current: also skipped when its clause is past or
 * hypothetical. weak: additionally needs the danger to look current when the text reads as a
 * retrospective legal question.
 */
type Level = "strong" | "current" | "weak";

interface Cue {
  kind: EmergencyKind;
  re: RegExp;
  level: Level;
}

// Person words, with a few common misspellings (老工 for 老公, 对像 for 对象).
const P = "(?:我|俺|咱|人|她|他|我们|俺们|老人|我妈|我爸|我娘|我姐|我妹|娃|孩子|小孩|儿子|女儿|闺女)";
const CHILD = "(?:孩子|娃娃?|小孩|儿子|女儿|闺女|孙子|孙女|外孙女?|侄子|侄女|宝宝|小女孩|小男孩|学生|幼儿|婴儿|儿童)";
const FAMILY = "(?:老公|老工|丈夫|男人|老婆|媳妇|前夫|前妻|对象|对像|男朋友|儿子|儿媳妇?|女婿|婆婆|公公|继父|后爸|后妈|家里人|那口子)";
const POLICE = "(?:警察|公安|派出所|民警|警方|便衣|刑警|特警|警[查擦]|拍出所)";
// Words that make 打 mean something other than hitting.
const NOT_HIT = "(?!官司|工|车|的|卡|针|疫苗|听|扫|字|印|电话|算|折|架|麻将|牌|游戏|井|扮|包|开|通|招呼|球|假|赢|输|滴|款|钱|不通|过)";

const CUES: Cue[] = [
  // --- violence: being beaten / domestic violence, now or ongoing
  { kind: "violence", re: /救[命名]|救救我|快来人|快报警|帮我报警|快来救/, level: "strong" },
  { kind: "violence", re: new RegExp(`(?:正在|还在|一直|又在|又)(?:被)?(?:打|揍|殴打|家[暴爆])${NOT_HIT}`), level: "strong" },
  { kind: "violence", re: /往死里打|掐(?:我|俺|她|住)?脖子|发酒疯|打得(?:好狠|半死|爬不起来)/, level: "strong" },
  { kind: "violence", re: new RegExp(`(?:天天|每天|经常|老是|总是|一喝酒就?)(?:被.{0,4})?(?:打|揍|家[暴爆])${NOT_HIT}`), level: "strong" },
  { kind: "violence", re: new RegExp(`(?:打|揍|踢|掐|抽|殴打|暴打|毒打)${P}${NOT_HIT}`), level: "weak" },
  { kind: "violence", re: new RegExp(`被.{0,6}?(?:打|揍|殴打|暴打|毒打)${NOT_HIT}`), level: "weak" },
  { kind: "violence", re: /家[暴爆]|家庭暴力|动手|砸(?:我|俺)?(?:家|门|东西|玻璃|窗|车)|打起来/, level: "weak" },
  { kind: "violence", re: /(?:关|锁)在(?:屋|家|房|柴房|猪圈)|不给(?:饭吃|吃饭|吃的)|不让(?:我|俺)?出门/, level: "current" },
  // Hit by one's own family with no sign it is over: treat as ongoing domestic violence.
  { kind: "violence", re: new RegExp(`(?:被${FAMILY}.{0,2}(?:打|揍|踢)|${FAMILY}.{0,3}(?:打|揍|踢)(?:我|俺))${NOT_HIT}`), level: "current" },
  // --- threat: to kill or harm, stalking
  {
    kind: "threat",
    re: /(?:杀|砍|捅|弄|打|掐|整|搞|烧|毒)死(?:我|俺|你|他|她|人|全家)|杀了?(?:我|俺|他|她|你|全家)|要杀人|进来杀人|灭门|做掉|埋了我|同归于尽/,
    level: "strong",
  },
  { kind: "threat", re: /要(?:我|俺)的?命|拿着?.{0,2}刀|持刀|砍(?:死|我|俺|人|他|她)|刀架|泼.{0,3}(?:硫酸|汽油|油)|放火|烧(?:我|俺)?的?(?:房|家)|打断.{0,3}腿|腿打断/, level: "strong" },
  { kind: "threat", re: /恐吓|跟踪|跟着我|堵我|堵着我|收拾我|让我好看|等着瞧|不会放过/, level: "weak" },
  { kind: "threat", re: /威胁.{0,12}(?:死|命|杀|砍|刀|打|伤|烧|泼|弄)/, level: "strong" },
  // --- injury: someone hurt now
  { kind: "injury", re: /(?:流|出|吐|冒)了?(?:好多|很多|一地|不少|一直)?血|血(?:止不住|流不止|流了一地)|到处是血|满脸是?血|全是血|大出血/, level: "strong" },
  { kind: "injury", re: /昏迷|晕倒|晕过去|打晕|叫不醒|没(?:有)?知觉|没(?:有)?意识|不省人事|没(?:有)?呼吸|没气了|不动了|口吐白沫|抽搐|休克/, level: "strong" },
  { kind: "injury", re: /站不起来|起不来|躺(?:在)?地上|倒在地上|埋在(?:里面|下面)|触电|塌方|爆炸|中毒|捅了|被捅|砍伤|烧伤|头破了|骨头露/, level: "strong" },
  { kind: "injury", re: /被车(?:撞|压|轧|碾)|车祸|撞了|摔(?:下来|倒|伤|断)|掉下来|砸(?:伤|到|了)|绞了|腿断|骨折|受伤|伤得|被狗咬/, level: "weak" },
  // --- self-harm
  {
    kind: "self_harm",
    re: /不想[活或火]|活不下去|活着没(?:意思|意义)|一了百了|轻生|寻死|想死|去死(?!吧)|死给|死在.{0,6}(?:门口|面前|家里)|结束(?:自己的?)?生命|没什么(?:好)?留恋|不如死了/,
    level: "strong",
  },
  {
    kind: "self_harm",
    re: /(?:想|要|准备|打算|去)(?:自杀|自尽|上吊|割腕|跳楼|跳河|跳江|跳下去|喝农药|喝药)|跳[楼搂](?!价)|跳河|跳江|跳下去|上吊|割腕|喝(?:了)?(?:农[药要]|药|敌敌畏|百草枯)|百草枯|敌敌畏|安眠药/,
    level: "strong",
  },
  { kind: "self_harm", re: /自杀(?!的人|条款|险|案|者|身亡)/, level: "weak" },
  // --- child in danger
  {
    kind: "child",
    re: new RegExp(
      `${CHILD}.{0,8}?(?:不见了|找不到|走丢|丢了(?!东西|手机|钱)|失踪|没回来|被(?:人|人贩子|陌生人|坏人)?(?:抱走|拐|偷走|带走|抢走)|被锁|掉(?:进|到)?(?:河|水|井|塘)|落水|被.{0,4}(?:性侵|猥亵|强奸|欺负)|不敢回家|没饭吃|关在门外|冻着)`,
    ),
    level: "current",
  },
  { kind: "child", re: /人贩子|拐走|拐卖|抱走|性侵|猥亵|摸小孩|拉小孩|抢走.{0,4}孩子|把孩子抢/, level: "weak" },
  { kind: "child", re: new RegExp(`(?:打|揍|虐待)${CHILD}|${CHILD}.{0,6}被.{0,6}(?:打|揍|虐待)${NOT_HIT}`), level: "weak" },
  // --- detained by police (urgent, not a danger to life)
  {
    kind: "detained",
    re: new RegExp(
      // 扣 alone is mostly about money or things (工资被克扣了, 押金被扣了): it counts only
      // when the police or a person did it, said right after 被.
      `被(?:${POLICE}|人)?.{0,4}?(?:抓走|抓了|抓进去|抓起来|带走|关起来|关了|关进|拘[留流]|刑拘|逮捕|留置)|被(?:${POLICE}|人)(?:给)?扣(?:着|在|了|住|下)|被抓|看守所|拘留所|留置|刑拘|${POLICE}.{0,6}(?:抓|带走|扣)`,
    ),
    level: "current",
  },
];

// The danger is current: it fires weak cues even in a legal question.
const ONGOING =
  /现在|正在|还在|又|一直|天天|每天|经常|老是|总是|刚才|刚刚|刚|这会|马上|今天|今晚|昨晚|救命|快来|快点|不敢回家|不敢出门|躲|跑出来|害怕|好怕|吓人|不让走|不让我|到现在|还没|没消息|好几次/;
// Marks a retrospective or abstract legal question: compensation, procedure, the past.
const RETROSPECTIVE =
  /赔|医药费|起诉|告|诉讼|鉴定|判|证据|取证|去年|前年|上个月|上月|上周|上次|以前|之前|当时|那时|曾经|已经|和解|犯法|违法|合法|法律|规定|条件|手续|材料|怎么处理|多少钱|几年|几天|多久|认定|保险|住院|记录|离婚|抚养|继承|仲裁|钱|谁出|负责|责任|私了|谁管|谁赔|找谁|不管|不赔|不给/;
// A cue in a clause with these is about the past or a hypothetical.
const PAST_OR_HYPOTHETICAL = /以前|之前|去年|前年|上个月|上月|上周|上次|曾经|那时|当时|几年前|小时候|过去|如果|要是|假如|万一|会不会|会被|能不能|会不会被|案子|案件|判决/;
const NEGATED = /(?:没有?|不是|未|别|并没有?|不会)$/;

function clauseAround(text: string, index: number, length: number): string {
  const seps = /[，。！？!?,.;；\n ]/;
  let a = index;
  while (a > 0 && !seps.test(text[a - 1])) a--;
  let b = index + length;
  while (b < text.length && !seps.test(text[b])) b++;
  return text.slice(a, b);
}

export function detectEmergency(text: string): EmergencyResult {
  const t = typeof text === "string" ? text.slice(0, 2000) : "";
  const kinds = new Set<EmergencyKind>();
  const cues: string[] = [];
  const ongoing = ONGOING.test(t);
  const retrospective = RETROSPECTIVE.test(t);
  for (const cue of CUES) {
    const re = new RegExp(cue.re.source, "g");
    for (const m of t.matchAll(re)) {
      const idx = m.index ?? 0;
      const before = t.slice(Math.max(0, idx - 3), idx);
      if (NEGATED.test(before)) continue;
      const after = t.slice(idx + m[0].length, idx + m[0].length + 1);
      if (after === "过") continue; // 打过, 被拘留过: experiential past
      if (cue.level !== "strong") {
        const clause = clauseAround(t, idx, m[0].length);
        if (PAST_OR_HYPOTHETICAL.test(clause)) continue;
        if (cue.level === "weak" && !ongoing && retrospective) continue;
      }
      kinds.add(cue.kind);
      if (!cues.includes(m[0])) cues.push(m[0]);
      break;
    }
  }
  return { emergency: kinds.size > 0, kinds: [...kinds], cues };
}

/** Being detained is urgent (a lawyer should call back soon) but not a danger to life; [] → "urgent". */
export function urgencyFor(kinds: readonly EmergencyKind[]): "emergency" | "urgent" {
  return kinds.some((k) => k !== "detained") ? "emergency" : "urgent";
}

const REPLY: Record<EmergencyKind, string> = {
  violence: "如果您正在遭受殴打或家暴：先离开施暴人，到邻居家、村委会等安全的地方，立即拨打 110 报警；受伤请拨 120。妇女儿童可拨 12338 妇女维权热线。请保留伤情照片、就医记录和报警回执，之后可以申请人身安全保护令。",
  threat: "有人扬言要伤害您：请马上拨打 110 报警，尽量不要独自待着，锁好门，到人多的地方或亲友家。保存好威胁的短信、微信、录音，它们是重要证据。",
  injury: "有人受伤：请立即拨打 120 急救，说清地址和伤情；不要随意搬动重伤的人。如果是被人打伤或出了事故，同时拨打 110 报警，保护好现场。",
  self_harm: "您的安全最重要。请马上告诉身边的家人或朋友，不要一个人待着。心理危机干预热线 12356，希望24热线 400-161-9995，都是24小时免费的。已经服药、受伤或有人要轻生，请立即拨打 120 和 110。您遇到的难处，我们会帮您一起想办法。",
  child: "孩子有危险：请立即拨打 110 报警，说清孩子的样子、最后出现的时间和地点；孩子受伤请拨 120。未成年人保护可拨 12355 青少年服务热线，妇女儿童维权可拨 12338。",
  detained: "家人被公安机关带走或拘留：可以先问清是哪个派出所或公安局、什么原因、是行政拘留还是刑事拘留。刑事案件中可以委托律师会见；经济困难的可以申请法律援助。法律咨询可拨 12348。",
};

const ORDER: EmergencyKind[] = ["self_harm", "violence", "threat", "child", "injury", "detained"];

/** The immediate reply: what to do now and whom to call, tailored per kind (< 600 chars). */
export function safetyReply(kinds: readonly EmergencyKind[]): string {
  const picked = ORDER.filter((k) => kinds.includes(k)).slice(0, 2);
  const parts = picked.length > 0 ? picked.map((k) => REPLY[k]) : ["如有危险，请立即拨打 110 报警，需要急救请拨 120。"];
  const tail =
    picked.length > 0 && urgencyFor(picked) === "emergency"
      ? "我们已通知值班律师，会尽快联系您。紧急情况请先打 110 或 120，不要等回复。"
      : "我们已通知值班律师，会尽快联系您。";
  return [...parts, tail].join("\n");
}
