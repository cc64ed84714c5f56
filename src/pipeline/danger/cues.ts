// The situations lawdesk must recognise as danger, each as a few cue patterns. A cue names
// the harm (what happens), and the detector (detect.ts) decides from the surrounding frame
// whether it is happening now. Cues are grouped by situation so a gap is easy to see:
// violence, threats, confinement, sexual abuse, trafficking and forced marriage, self-harm,
// injury and poisoning, accidents with people trapped, missing people, danger to a child or
// an old person, and police detention (urgent, not a danger to life).
import { CHILD, ELDER, FAMILY, NOT_HIT, PERSON, POLICE } from "./lexicon.ts";

/** The kinds of danger a resident's message can tell of. */
export type EmergencyKind =
  | "violence"
  | "threat"
  | "confinement"
  | "sexual"
  | "trafficking"
  | "self_harm"
  | "injury"
  | "trapped"
  | "missing"
  | "child"
  | "elder"
  | "detained";

/**
 * strong: fires unless negated or told as news. current: also skipped when its clause is
 * past or hypothetical. weak: additionally needs the danger to look current when the
 * message reads as a question about law or compensation. now: a broad harm word that fires
 * only when the message says it is happening at this moment (URGENT_NOW).
 */
export type Level = "strong" | "current" | "weak" | "now";

export interface Cue {
  kind: EmergencyKind;
  re: RegExp;
  level: Level;
}

const HIT = `(?:打${NOT_HIT}|揍|踹|踢|捶|扇|抽(?!烟|签|奖|空|成|查|调|血)|掐|殴打|暴打|毒打|痛打|围殴|群殴|围攻|拳打脚踢|推倒|推搡|撞倒|按在地上|拽(?:着)?头发|薅头发|砍|捅|拿刀|动刀|下死手)`;
const WEAPON = "(?:刀|菜刀|砍刀|斧头|斧子|锄头|铁锹|镰刀|棍子|棒子|木棒|铁棍|钢管|扁担|枪|汽油|硫酸)";
const MARRY = "(?:嫁人|嫁给|嫁到|嫁过去|嫁了|出嫁|结婚|成亲|订婚|定亲|办酒|摆酒|过门|许配|配婚|当媳妇)";
const MINOR_AGE = "(?:1[0-7]|十[一二三四五六七]?|[五六七八九])(?:周)?岁";

export const CUES: Cue[] = [
  // --- violence: being beaten now, domestic violence that goes on, fights in progress
  { kind: "violence", re: /救[命名]|救救我|求救|救救(?:孩子|我妈|我们)|快来人|快报警|帮(?:我|忙)报警|报警啊|快来救|来人啊|打人了|杀人了|出人命/, level: "strong" },
  { kind: "violence", re: new RegExp(`(?:正在|还在|一直|又在|又|还)(?:被)?.{0,4}?(?:${HIT}|家[暴爆])`), level: "strong" },
  { kind: "violence", re: /往死里(?:打|揍|踢|掐)|掐(?:我|俺|她|他|住)?(?:的)?脖子|发酒疯|打得(?:好狠|半死|爬不起来|满脸|头破|鼻青脸肿|浑身)|打疯了|下死手/, level: "strong" },
  { kind: "violence", re: new RegExp(`(?:天天|每天|经常|老是|总是|一喝酒就?|喝了酒就?|动不动就?)(?:被.{0,4})?(?:打${NOT_HIT}|揍|家[暴爆]|动手|踹)`), level: "strong" },
  // Fights and attacks by several people (land, graves, debts, evictions) with someone down.
  { kind: "violence", re: /打起来了|打成一片|干起来了|动起手来|打群架|械斗|抄家伙|拿着?家伙|围着(?:打|我|他|她|我们)|一群人|一帮人|好几个人|十几个人|几十个人|一伙人|带着人|叫了人|喊了人/, level: "current" },
  { kind: "violence", re: /(?:倒|躺|趴)(?:在)?地上|倒地(?:不起)?|头破血流|满头是血|满脸是血|打晕/, level: "current" },
  { kind: "violence", re: /闯进|冲进|破门|踹门|砸门|撬门|砸(?:我|俺)?(?:家|门|东西|玻璃|窗|车|锅)|扔(?:出来|出去|到外面|我们?的?东西)|把东西(?:扔|搬|砸)/, level: "current" },
  { kind: "violence", re: new RegExp(`${HIT}(?:了|着)?${PERSON}`), level: "weak" },
  { kind: "violence", re: new RegExp(`被.{0,8}?${HIT}`), level: "weak" },
  { kind: "violence", re: /家[暴爆]|家庭暴力|动手|打起来|推搡|撕打|厮打|扭打|打伤了?|打断了|强拆|硬拆|推土机.{0,6}(?:推|拆)|挖掘机.{0,6}(?:推|拆)/, level: "weak" },
  { kind: "violence", re: new RegExp(`(?:被${FAMILY}.{0,2}(?:打${NOT_HIT}|揍|踢|踹)|${FAMILY}.{0,3}(?:打${NOT_HIT}|揍|踢|踹)(?:我|俺|孩子|娃))`), level: "current" },

  // --- threat: to kill, maim or burn; a weapon; someone at the door
  {
    kind: "threat",
    re: /(?:杀|砍|捅|弄|打|掐|整|搞|烧|毒|勒|砸|撞)死(?:我|俺|你|他|她|人|全家|我们|一家|孩子)|杀了?(?:我|俺|他|她|你|全家|我们|孩子)|要杀人|杀人|进来杀|灭门|灭了(?:你|我|他|她)|做掉|埋了(?:我|你)|同归于尽|要(?:我|俺|你)(?:的)?(?:命|好看)|一起死|陪葬|不让(?:我|你|她)活|让(?:我|你|她|他)活不成|弄残/,
    level: "strong",
  },
  { kind: "threat", re: new RegExp(`(?:拿|拎|提|举|揣|抄)着?.{0,3}${WEAPON}|持(?:刀|械|枪)|刀架|泼.{0,3}(?:硫酸|汽油|油)|放火|纵火|点火|烧(?:我|俺|你|他)?(?:们)?(?:的)?(?:房|家|屋)|浇汽油|打断.{0,3}腿|腿打断|(?:把|要把).{0,6}炸了`), level: "strong" },
  { kind: "threat", re: /威胁.{0,14}(?:死|命|杀|砍|刀|打|伤|烧|泼|弄|废|残)|扬言.{0,10}(?:杀|砍|烧|弄|打|报复)|报复(?:我|俺|我们|你)|放话/, level: "strong" },
  { kind: "threat", re: /(?:在|到|堵在|守在|蹲在|站在)(?:我|俺)?(?:家)?(?:门口|门外|楼下|单位门口|学校门口)|拍门|敲门不走|砸门|跟踪|跟着我|堵我|堵着我|收拾我|收拾你|等着瞧|不会放过|找人弄你|恐吓/, level: "weak" },

  // --- confinement: held against one's will, including scam and pyramid compounds
  {
    kind: "confinement",
    re: /(?:被)?(?<![机相有海开玄难过攻公])(?:关|锁|困|囚)(?:在|进|起来|住)(?!.{0,2}(?:门|窗|灯|机|系|于|心|注|车里了))|反锁(?:在|着|了)?(?:我|俺|他|她|孩子|人|屋|房)|软禁|囚禁|非法拘禁|拘禁|限制.{0,3}(?:人身)?自由|不让(?:我|俺|他|她|人|我们|他们)?(?:下车|打电话|报警|联系|给家里)|还钱才放|(?:交|拿|给)钱(?:才|就)放|拿钱(?:来)?赎|赎人|押着(?:我|他|她|人|俺)|有人(?:看着|看守|盯着)(?:我|俺|我们|不让)|派人看着|看管着|逃不出|跑不掉|跑不出去|不准(?:出门|离开|出去)/,
    level: "current",
  },
  { kind: "confinement", re: /不让(?:我|俺|他|她|人|我们|他们)?(?:走|出门|出去|离开|回家)|不放(?:我|俺|他|她|人|我们)(?:走|出来|回)?|出不去|走不了|关着(?:我|俺|他|她|孩子)/, level: "weak" },
  { kind: "confinement", re: /(?:身份证|手机|证件)(?:都|也|全)?被?(?:收|扣|拿|没收|抢)(?:走|了|去)|收了?(?:我们?的?|俺们?的?)?(?:身份证|手机|证件)|扣(?:着|了|下)?(?:我们?的?|俺们?的?)?(?:身份证|证件)|拉上车|塞(?:进|上)车|拖上车|(?:在|坐)车上.{0,8}(?:不让|不停|不放)/, level: "current" },
  { kind: "confinement", re: /传销|(?:诈骗|电诈|骗子)园区|园区里.{0,6}(?:不让|出不去|打)|缅北|柬埔寨.{0,6}(?:骗|园|公司)|诈骗窝点|电诈|骗到(?:这|国外|外地)|偷偷(?:发|打字|给你|用手机)|趁.{0,6}(?:不注意|睡着|不在)|不敢让.{0,4}(?:知道|看到)|被控制|控制(?:住|起来|着)/, level: "weak" },

  // --- sexual abuse and assault
  { kind: "sexual", re: /强奸|强暴|奸污|轮奸|迷奸|性侵|猥亵|非礼|糟蹋|侵犯了?(?:我|她|孩子|女儿|闺女)(?!.{0,2}(?:的|隐私|权|名誉|肖像))|睡了(?:我|她)|下(?:了)?药.{0,6}(?:睡|搞|弄)/, level: "current" },
  { kind: "sexual", re: /性骚扰/, level: "weak" },
  { kind: "sexual", re: new RegExp(`摸(?:我|她|孩子|女儿|闺女|娃|${CHILD})?(?:的)?(?:下面|下体|胸|屁股|私处|身子|身上|大腿)|(?:脱|扒)(?:我|她|孩子|女儿|娃)?(?:的)?(?:衣服|裤子)|动手动脚|乱摸|钻(?:她|孩子|女儿|我)?(?:的)?被窝|(?:晚上|半夜).{0,8}(?:摸|进.{0,2}(?:房间|屋))`), level: "current" },

  // --- trafficking and forced or child marriage
  { kind: "trafficking", re: /拐卖|人贩子|贩卖人口|(?:我|她|俺|人|媳妇|老婆|女儿|闺女|孩子|娃|妹妹|姐姐)被卖|卖(?:到|给|去)(?:外地|山里|别人|别处|人家|外省|国外)|(?:把|要把)(?:她|我|俺|媳妇|老婆|女儿|闺女|孩子|娃|妹妹)卖(?:了|掉|到|给)|买(?:来|的)(?:的)?(?:媳妇|老婆|女人)|买媳妇|童养媳|抢婚|换亲/, level: "current" },
  { kind: "trafficking", re: new RegExp(`逼(?:婚|着?(?:我|她|俺|女儿|闺女)?(?:嫁|结婚))|强迫.{0,4}(?:嫁|结婚|成亲)|(?:不嫁|不同意).{0,6}(?:就打|打死|关起来|锁)|${MINOR_AGE}.{0,16}${MARRY}|${MARRY}.{0,10}${MINOR_AGE}|(?:初中|没成年|未成年|还在上学|才上初).{0,12}${MARRY}`), level: "current" },

  // --- self-harm and suicide
  {
    kind: "self_harm",
    re: /不想[活或火]|活不下去|活着没(?:意思|意义|劲)|活够了|一了百了|轻生|寻死|寻短见|想不开|想死|去死(?!吧)|死给|死在.{0,6}(?:门口|面前|家里|他家)|结束(?:自己的?)?生命|没什么(?:好)?留恋|不如死了|死了算了|一死了之|死了就好了|不活了|永别|遗书|交代后事|下辈子再|来世|这辈子就这样吧|别了(?:大家|世界)|对不起.{0,8}(?:先走|走了|再见)/,
    level: "strong",
  },
  {
    kind: "self_harm",
    re: /(?:想|要|准备|打算|去|已经)(?:自杀|自尽|上吊|割腕|割脉|跳楼|跳河|跳江|跳下去|喝农药|喝药|吃药|烧炭)|跳[楼搂](?!价)|跳河|跳江|跳桥|跳下去|上吊|割腕|割脉|烧炭|(?:站|坐|爬)(?:在|到|上)(?:楼顶|天台|顶楼|桥上|桥边|河边|楼边|窗台)|(?:喝|吃|吞)(?:了)?.{0,6}(?:农[药要]|敌敌畏|百草枯|老鼠药|耗子药|安眠药|药片|一瓶药|一把药|好多药|整瓶)|百草枯|敌敌畏|安眠药/,
    level: "strong",
  },
  { kind: "self_harm", re: /自杀(?!的人|条款|险|案|者|身亡|率)/, level: "weak" },

  // --- injury, poisoning and medical emergencies
  { kind: "injury", re: /(?:流|出|吐|冒|咳|淌)了?(?:好多|很多|一地|不少|一直|一身)?血|血(?:止不住|流不止|流了一地|流个不停|哗哗)|到处是血|满脸是?血|全是血|大出血|一身血/, level: "strong" },
  { kind: "injury", re: /昏迷|晕倒|晕过去|昏过去|打晕|叫不醒|喊不醒|没(?:有)?知觉|没(?:有)?意识|不省人事|没(?:有)?呼吸|没气了|喘不上气|不动了|口吐白沫|吐白沫|抽搐|抽风|休克|心脏骤停|脸色发紫|嘴唇发紫/, level: "strong" },
  { kind: "injury", re: /站不起来|起不来|躺(?:在)?地上|倒在地上|骨头露|头破了|捅了|被捅|砍伤|烧伤|烫伤|触电|中毒|误食|喝错|吃错药|吞了|过量|溺水|淹(?:了|着|水)|掉(?:进|到|在)?(?:河|水|井|塘|粪池|沟|水库|池塘)里?|落水|被狗咬.{0,6}(?:血|伤口很深)/, level: "current" },
  { kind: "injury", re: /被车(?:撞|压|轧|碾)|车祸|撞了|摔(?:下来|倒|伤|断)|掉下来|砸(?:伤|到|了)|绞了|腿断|骨折|受伤|伤得|被狗咬|烧着了|着火/, level: "weak" },

  // --- accidents with people trapped, and someone stopping the call for help
  { kind: "trapped", re: /(?:塌|倒塌|坍塌|塌方|垮|滑坡|泥石流|透水|冒顶|矿难|爆炸|起火|着火|失火|火灾)(?:了|下来)?.{0,16}(?:人|埋|压|困|出不来|下面|里面)|(?:埋|压|困|卡|堵)(?:在)?(?:了)?(?:里面|下面|底下|井下|洞里|废墟|土里|楼里|屋里|车里)|被(?:埋|压|困)|出不来了|人还在里面/, level: "strong" },
  { kind: "trapped", re: /不让(?:我们?|俺们?|工人|人)?(?:报警|打(?:110|120|119|电话)|叫救护车|叫120|送医院|往外说)|把(?:电话|手机)(?:收|抢|砸)|封锁(?:消息|现场)/, level: "strong" },

  // --- missing people: children, old people, a vulnerable family member
  {
    kind: "missing",
    re: new RegExp(
      `(?:${CHILD}|${ELDER}|我老公|我老婆|我媳妇|我丈夫|家里人|老伴)(?!的)(?:的人)?.{0,10}?(?:不见了|走丢|走失|丢了(?!东西|手机|钱|身份证|卡|工作)|失踪|找不到(?!工作|活|对象|人要|钱|证据|地方|人还)了?|找不着(?!工作|活)|没(?:有)?回(?:家|来)|一夜没回|一晚上没回|联系不上|打不通电话|电话打不通|下落不明|不知去向|没了音讯|不知道去哪)`,
    ),
    level: "current",
  },
  { kind: "missing", re: /(?:老年痴呆|痴呆|糊涂|脑子不好|智力|精神病|精神不好).{0,16}(?:走丢|走失|不见|找不到|出门没回|没回来)/, level: "strong" },
  {
    kind: "missing",
    re: new RegExp(
      `(?:${CHILD}|娃).{0,8}?被(?:人|陌生人|人贩子|坏人|一个(?:男|女)的|生人|不认识的人|他爸|他妈|孩子他爸|孩子他妈|前夫|前妻|爷爷奶奶|外婆|男的|女的)?.{0,6}(?:抱走|拐走|偷走|带走|抢走|拖走|拽走|拉走|骗走|抓走|掳走)|(?:抱走|拐走|偷走|抢走|拖走|拽走|拉走|骗走|掳走)(?:了)?(?:我(?:家)?的?)?${CHILD}|(?:前夫|前妻|孩子他爸|孩子他妈|孩子爸|孩子妈|他爸|他妈|婆家|娘家|爷爷奶奶).{0,8}(?:把${CHILD}|${CHILD}).{0,6}(?:抢|抱|带|拖|拽)(?:走|跑)|(?:抢|抱)(?:了)?${CHILD}.{0,6}(?:开车|跑|走)|把(?:我(?:家|们)?的?)?${CHILD}(?:给)?(?:抱|拐|偷|抢|拖|拽|拉|骗|掳|带)走`,
    ),
    level: "current",
  },

  // --- danger to a child: beaten, burned, starved, shut out
  { kind: "child", re: new RegExp(`(?:打|揍|虐待|烫|掐|饿|关|锁|踢|踹|扇|拿.{0,3}(?:打|抽))${CHILD}|${CHILD}.{0,8}?被.{0,6}(?:打${NOT_HIT}|揍|虐待|烫|烧|饿|关|锁|掐|踢|扇|拿.{0,3}(?:打|抽))${NOT_HIT}|${CHILD}.{0,6}(?:身上|浑身|脸上).{0,4}(?:青|紫|伤|烟头)|(?:不给|不让)${CHILD}.{0,3}(?:吃饭|饭吃|吃东西)|${CHILD}.{0,6}(?:关在门外|冻着|不敢回家|饿了(?:好几|两|三)天)|${CHILD}.{0,20}(?:没饭吃|没东西吃|没人管|饿得)`), level: "current" },
  { kind: "child", re: /人贩子|拐走|抱走|摸小孩|拉小孩|抢走.{0,4}孩子|把孩子抢/, level: "weak" },

  // --- danger to an old person: locked up, starved, beaten by their own
  { kind: "elder", re: new RegExp(`${ELDER}.{0,10}?被.{0,6}?(?:关|锁|赶出|撵出|打${NOT_HIT}|揍|推倒|推搡|扔|饿)|${ELDER}.{0,10}?(?:关在|锁在|不给(?:饭|吃|水|药)|饿(?:着|了|得)|扔在|丢在)|(?:关|锁|撵|推倒|打${NOT_HIT}|揍|饿)(?:着)?${ELDER}`), level: "current" },

  // --- detained by police: urgent, a lawyer should call back soon
  {
    kind: "detained",
    re: new RegExp(
      // 扣 alone is mostly about money or things (工资被克扣了) and 带走 may be a stranger
      // taking a child: both count only when the police did it.
      `被.{0,4}?(?:抓走|抓了|抓进去|抓起来|拘[留流]|刑拘|逮捕|关了|关起来|关进去)|被${POLICE}.{0,4}?(?:带走|扣|关)|被抓|${POLICE}.{0,8}(?:抓|带走|扣)`,
    ),
    level: "now",
  },

  // --- broad harm words: fire only when the message says it is happening at this moment
  { kind: "violence", re: new RegExp(`${HIT}|巴掌|耳光|摔东西|砸东西|拳头|轮流打|撵(?:我|着)|追着(?:打|砍)|打架|打人|按在|拖(?:出|到|进)|抓着.{0,6}(?:摇|打|撞)`), level: "now" },
  { kind: "sexual", re: /摸(?:我|她|他|孩子|女儿|闺女|娃|小孩)?|侵犯|强迫.{0,4}(?:发生关系|睡)|发生关系|开房|裸照|露体|脱.{0,3}(?:裤子|衣服)|(?:拉|拖|领|带|叫)(?:进|到)?.{0,4}(?:屋|房间|里屋|包间|宾馆|酒店|楼道|厕所|仓库)/, level: "now" },
  { kind: "confinement", re: /(?:关|锁|拴|困)(?:着|了|在|上)|铁链|不让(?:我|她|他)?(?:走|回|出|离开)|扣着|(?:手机|身份证|电话)(?:也|都)?(?:被)?(?:收|扣|拿)|有人看着|出不去|(?:拉|拖|带)到.{0,6}(?:仓库|车|屋|山里)|在(?:他们的?)?车上|门也锁/, level: "now" },
  { kind: "trafficking", re: /卖(?:到|给|了)|买了个|买来|拐|人贩|不认识(?:他们|这些人)|不是(?:我|他)(?:爸|妈)|逼.{0,4}(?:嫁|结婚|订婚|陪)|订婚|办酒|出台/, level: "now" },
  { kind: "threat", re: /废了|卸.{0,3}(?:腿|胳膊|手)|要.{0,6}命|埋(?:了|在)|弄死|砍|刀|枪|报复|知道(?:我|你)?(?:家|住)|找到(?:我|你)?家|学校门口|不还就/, level: "now" },
  { kind: "injury", re: /血|眼睛不(?:太)?睁|不怎么哭|没反应|喘不|浑身(?:疼|是伤)|肿|烫|发紫|吐了/, level: "now" },
  { kind: "missing", re: /不见了|找不到|走丢|没回(?:来|家)|联系不上|电话不接|不接电话|定位/, level: "now" },

  // --- more situations seen in residents' words
  { kind: "self_harm", re: /撑不下去了|不想(?:再)?拖累|拖累(?:你们|大家|家里)|想(?:怎么)?消失|最后(?:跟|和)?.{0,4}(?:说句话|一次)|再见了|拿起绳子|绳子.{0,6}(?:后山|树|梁)|煤炉.{0,8}(?:卧室|屋里)|门窗都关|人死了以后|留了.{0,3}(?:纸条|信|遗言)|刀.{0,4}(?:拿在手|在手上|架在(?:自己|我))/, level: "current" },
  { kind: "self_harm", re: /(?:在|站在|坐在|爬上|到了)(?:楼顶|天台|顶楼|大?桥上面?|江边|河边|水库边|楼顶上|教学楼顶)/, level: "now" },
  { kind: "injury", re: /心脏病.{0,3}(?:犯|发作)|脑梗|中风|喘不上气|头晕手麻|心跳(?:很|特别)?快|都在吐|(?:吃|喝)了.{0,8}(?:降压药|老鼠药|野蘑菇|蘑菇|农药|消毒水|洗衣液)|下了(?:东西|药)|肚子疼得|嘴唇发麻/, level: "now" },
  { kind: "trapped", re: /压在.{0,3}(?:底下|下面)|掉(?:进|到).{0,6}(?:井|坑|沟|洞)里|卷到.{0,3}(?:车)?底下?|塌了.{0,16}(?:里面|在里)|还在.{0,6}(?:厨房|屋|里面|楼上)(?:里)?(?:没出来|出不来)|火很大|煤气.{0,4}(?:爆|炸|漏)/, level: "strong" },
  { kind: "missing", re: new RegExp(`寻人|帮忙扩散|(?:${CHILD}|${ELDER}).{0,30}(?:走失|走丢|没到校|没去学校|没到学校|打不通|关机)|带着${CHILD}.{0,6}(?:去外省|跑了|躲起来)|抱起来就(?:走|跑)|(?:火车站|汽车站).{0,6}(?:都)?找了`), level: "current" },
  { kind: "confinement", re: /关禁闭|关着出不去|(?:拉|拖|带)(?:到|进).{0,6}(?:里|间|屋|车|仓库).{0,10}(?:没下来|没出来|不让)|不让(?:我|她|他)?回来|门口有人看着|有人看着(?:我|门)?/, level: "current" },
  { kind: "violence", re: /赶出(?:来|去|门|老宅|家)?|赶(?:我|我们|他们)?走|扔(?:出来|在路边|到?楼下|到楼道)|推出门外|按在地上|抢钥匙|压着我|(?:还在|在)(?:里面)?砸|砍门|把锁换了/, level: "now" },
  { kind: "threat", re: /废了(?:我|你|他|她)|找人(?:废|弄|收拾)/, level: "strong" },
  // "他打我怎么办": someone at home hits the writer, told in the present (no 了/过 after it).
  { kind: "violence", re: /(?:老公|丈夫|男人|老头子|对象|男朋友|前夫|他|她|我爸|我妈|后爸|继父|后妈|继母|婆婆|公公|儿子|儿媳)(?:又|还|总|老|经常)?(?:打|揍|踢|踹|掐)(?:我|俺)(?![^，。！？\s]{0,4}(?:了|过|的))/, level: "strong" },
  // Farewells and plans told without the word for it (药都准备好了, 以后不用再联系我了).
  { kind: "self_harm", re: /药都(?:准备|买)好了|方法.{0,4}(?:查|找)好了|以后(?:就)?不(?:用|要)?再?(?:联系|麻烦)(?:我|你们?)了|(?:猫|狗|孩子|钥匙).{0,6}托付给|想直接撞上去|撞上去算了/, level: "strong" },
  { kind: "self_harm", re: /(?:手腕|手臂|胳膊|手)(?:上)?(?:割|划)了|割了(?:手|腕)|(?:割|划)了(?:好几|几|一)刀|吃了药.{0,6}(?:我)?死了/, level: "strong" },
  { kind: "self_harm", re: /(?:明天|今晚|马上)就解脱|解脱了(?:吧|就好)/, level: "current" },
  // A threat to kill the family and oneself is a suicide risk too: the crisis line belongs in the reply.
  { kind: "self_harm", re: /同归于尽|(?:大家|一家人?|全家|我们|咱们|娘[俩仨]|一块儿?)都?一起死|一起去死|死给(?:你|他|她|我)们?看/, level: "current" },
  { kind: "trafficking", re: /(?:卖给|卖到).{0,8}当(?:媳妇|老婆)|接亲的车|脚上(?:有|拴着|锁着)?(?:铁)?链子|(?:带到|拉到|送到).{0,8}(?:卖|当媳妇|配婚)/, level: "current" },
  { kind: "injury", re: /躺(?:到|在)?(?:地上|道上|路上|路中间)(?:不动|起不来|动不了)|掉了一块肉|血直淌|被电(?:击|打)了|挨了?电击|用电(?:击|棍)|(?:脚|腿|手)郁不到|腿动不了/, level: "current" },
  { kind: "detained", re: new RegExp(`(?:现在|正在|正把|正)${POLICE}?.{0,6}(?:带走|往车上带|搜查|做笔录)|${POLICE}.{0,6}(?:在我家|上门).{0,4}搜查|被抓了.{0,4}在(?:派出所|公安局)|在(?:派出所|公安局)里面?.{0,10}(?:笔录|签字)`), level: "current" },
];
