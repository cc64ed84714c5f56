// Word classes the danger cues are built from: who can be in danger, who does harm, and
// the markers that place a message in time (now, about to happen, over, hypothetical) or
// mark it as a question about law rather than a call for help. Kept apart from the cue
// table so a reader can check a class in one place.

/** Someone speaking of themselves or of the person they are writing about. */
export const PERSON =
  "(?:我|俺|咱|人|她|他|你|我们|俺们|他们|她们|老人|我妈|我爸|我娘|我姐|我妹|我哥|我弟|娃|孩子|小孩|儿子|女儿|闺女|老婆|媳妇|老公|丈夫|婆婆|奶奶|爷爷|老太太|老太|老头|大爷|大妈|大娘|邻居|工友|同事|朋友|姐妹|兄弟)";

/** Children as residents name them. */
export const CHILD =
  "(?:孩子|娃娃?|小孩|儿子|女儿|闺女|孙子|孙女|外孙女?|侄子|侄女|宝宝|小女孩|小男孩|男孩|女孩|小姑娘|学生|幼儿|婴儿|儿童|小朋友|未成年|小娃|崽|妮子|丫头)";

/** Older people, including the writer's own parents and grandparents. */
export const ELDER =
  "(?:老人家?|老年人|老爷子|老太太|老太|老头子?|老父亲|老母亲|老爹|老娘|奶奶|爷爷|姥姥|姥爷|外婆|外公|我妈|我爸|俺妈|俺爸|俺娘|俺爹|我娘|我爹|婆婆|公公|大爷|大娘|老伯|阿婆|阿公|老奶奶|老爷爷)";

/** Family and partners: violence by them is domestic violence, and it rarely stops by itself. */
export const FAMILY =
  "(?:老公|老工|丈夫|男人|老婆|媳妇|前夫|前妻|对象|对像|男朋友|男友|女朋友|儿子|儿媳妇?|女婿|婆婆|公公|继父|后爸|后爹|继母|后妈|家里人|那口子|孩子他爸|孩子爸|孩子他妈|娃他爹|娃他爸|大伯子|小叔子|小姑子|婆家|娘家)";

/** Police, with common misspellings. */
export const POLICE = "(?:警察|公安|派出所|民警|警方|便衣|刑警|特警|警[查擦]|拍出所|公安局)";

/** Words that make 打 mean something other than hitting (打官司, 打工, 打电话 …). */
export const NOT_HIT =
  "(?!官司|工|车|的|卡|针|疫苗|听|扫|字|印|电话|算|折|架子|麻将|牌|游戏|井|扮|包|开|通|招呼|球|假|赢|输|滴|款|钱|不通|过|理|交道|扰|火机|分|造|点|猎|鱼|水|酱油|下手|败|烊|赌|拼|借条|欠条|单|表|孔|气|农药|药|吊针|官|闹)";

// --- time and frame ---------------------------------------------------------------------

/** The danger is happening now, keeps happening, or is about to. Fires weak cues anywhere. */
export const NOW =
  /现在|正在|还在|此刻|这会儿?|眼下|刚刚|刚才|刚(?!好|满|开始|出生|毕业|结婚|工作|上班|入职|买|装修)|马上|立刻|赶紧|赶快|快来|快点|快救|快报警|今天|今晚|今夜|今早|昨晚|昨天晚上|昨夜|半夜|一会儿?|等会|待会|明天|明早|后天|这两天|又|天天|每天|每晚|天天晚上|经常|老是|总是|一直|到现在|还没(?:回|找到|放|出来|消息)|没消息|一天一夜|一夜没|整夜|几个小时|小时了|偷偷|不敢|好怕|害怕|吓死|吓得|躲在|躲着|跑出来|逃出来|在门口|在门外|在楼下|在外面|堵在|堵着|守在|救命|求救|求求|帮帮我|怎么办啊|咋办啊|咋整啊|快快/;

/** A clause with these tells of something over: it does not fire a non-strong cue. */
export const PAST =
  /以前|之前|从前|去年|前年|前几年|前些年|那年|那天|那晚|那会|半年前|(?:19|20)?[0-9]{2}年(?![0-9]|级|龄|以上|以下|内)|上个?月|上个?星期|上周|上次|那次|几年前|[0-9一二三四五六七八九十两几]+(?:年|个月)(?:前|以前)|小时候|当时|那时|当年|曾经|过去|早就|事后|结案|判了|判决/;

/** A clause that imagines rather than reports. */
export const HYPOTHETICAL = /如果|要是|假如|万一|假设|倘若|的话|会不会|会被|能不能|可不可以|是否|能否|可否|算不算|属不属于|是不是/;

/** A general question about people in general ("未成年人打人了会被抓吗"): no one is in danger. */
export const ABSTRACT_QUESTION = /会被|会不会|是否|能否|可否|可不可以|算不算|构成|属于|要不要|需不需要|需要承担|承担责任|怎么判|判几年|犯法|违法|的标准|有什么影响|有啥用|有什么用/;

/** The writer speaks of themselves or their own people. */
export const FIRST_PERSON = /我|俺|咱|自家|我们|俺们/;

/** Stories, news and fiction: the danger is someone else's, told at a distance. */
export const HEARSAY = /新闻|报道|今日说法|县台|电视台|播的|刷到|通报|报纸|发帖|帖子|^转[:：]|转发|看到网上|网上说|网上看|听说|据说|电视|电影|电视剧|小说|短视频|抖音上|快手上|视频里|案例|剧里|游戏里|朋友圈看到|普法/;

/** The message asks about the law, a procedure or compensation rather than for rescue. */
export const ABOUT_LAW =
  /赔|医药费|起诉|告他|告她|告对方|诉讼|鉴定|判几年|怎么判|判多久|判刑|犯(?:什么|啥)罪|罪名|构成|量刑|证据|取证|和解|犯法|违法|合法|法律|规定|条件|手续|材料|怎么处理|多少钱|几年|几天|多久|认定|保险|住院|案底|记录|离婚|抚养|继承|仲裁|钱|谁出|负责|责任|私了|谁管|谁赔|找谁|不管|不赔|不给|程序|流程|时效|探视|会见|取保|通知家属|律师费|补偿|讹|赖上|坐牢|判|老板|工资|工伤|公司|单位|告(?!诉|别|示)|认账|执行|立案|报案/;

/** Words before a cue that cancel it ("没有打我", "不是要自杀"). */
export const NEGATED = /(?:没有?|不是|未|别|并没有?|不会|没被|不曾|并非|从没|从来没)$/;

/** Clause boundaries for the frame checks. */
export const CLAUSE_BREAK = /[，。！？!?,.;；\n ~…]/;

/**
 * Said in the moment: stronger than NOW ("现在" and "又" also open many legal questions). A
 * broad harm word fires with one of these even in a message that asks about the law.
 */
export const URGENT_NOW =
  /正在|还在|刚刚|刚才|刚(?!好|满|开始|出生|毕业|结婚|工作|上班|入职|买|装修|需要)|此刻|这会儿?|马上|立刻|赶紧|赶快|快(?:来|点|救|报警)|今晚|今夜|半夜|凌晨|明天|明早|一会儿?|待会|等会|不敢|躲在|躲着|跑出来|逃出来|在门口|在门外|在楼下|救[命我救]|求救|求求|帮帮我|害怕|好怕|吓死|发抖|偷偷|不知道(?:要)?去哪|还没(?:回|找到|出来|放)|一天一夜|一夜没/;

/** Dialect and common slips mapped to the words the cues know, for detection only. */
export const DANGER_SPELLINGS: Array<[RegExp, string]> = [
  [/喺/g, "在"], [/唔俾/g, "不让"], [/唔/g, "不"], [/咗/g, "了"], [/佢/g, "他"], [/而家|依家/g, "现在"], [/郁都不郁/g, "不动了"], [/瞓/g, "躺"],
  [/搁家/g, "在家"], [/搁后头|在后头/g, "在后面"], [/抡/g, "打"], [/捶/g, "打"],
  [/抱警|报j|暴警|报竟/gi, "报警"], [/割婉|割碗/g, "割腕"], [/安眼药|安棉药/g, "安眠药"], [/爆扎|暴炸/g, "爆炸"], [/不事(?=我|他)/g, "不是"], [/仍(?=出|到|在|了)/g, "扔"], [/知到/g, "知道"], [/今儿个|今个/g, "今天"], [/俺爹|俺爸/g, "我爸"], [/俺娘|俺妈/g, "我妈"], [/救名|就命|救救命/g, "救命"], [/留血|流穴/g, "流血"], [/侵反|侵翻/g, "侵犯"], [/强报|强爆|强抱/g, "强暴"], [/大我(?=了|呢|啊|\s|$)/g, "打我"],
];

/**
 * Figures of speech and jokes that borrow danger words ("烦得想死", "头都要炸了", "真想掐死他",
 * "快打起来了"): removed before the cues are matched.
 */
export const FIGURES =
  /(?:烦|气|累|急|愁|困|热|冷|饿|笑|馋|羡慕|尴尬|丢人|难受|郁闷)得?(?:想死|要死|半死|快死)|让人想(?:死|跳楼|撞墙)|(?:真|简直)想(?:掐死|打死|弄死|杀了|砍死|撞墙)|(?:头|脑袋)(?:都)?(?:要)?(?:炸|爆)了|(?:气|笑|累|烦|急|吓|馋|困|热|冷|饿)死(?:我|人|俺)?了?|快(?:要)?打起来|吵得.{0,4}打起来|打(?:游戏|麻将|牌|扑克|球)[^，。！？\n]*|(?:杀|砍)价|砍一刀|要命的|要了(?:我的)?老命|坑死/g;

/** A joke marker: the writer laughs at the words they use. */
export const JOKING = /哈哈|呵呵|😂|🤣|😄|😁|开玩笑|玩笑话|说着玩|嘴上说说/;

/** The writer's own "what if": a clause opened by one of these imagines rather than reports. */
export const WHAT_IF = /如果|假如|假设|要是|万一|以防万一|倘若/;

/** Reported speech before a "what if" makes it a threat ("他说要是我离婚就杀了我"). */
export const REPORTED = /说|威胁|扬言|放话|讲|骂|发(?:信息|短信|微信)/;
