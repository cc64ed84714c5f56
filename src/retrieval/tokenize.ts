// Chinese tokenization for retrieval: jieba words (search mode) with a legal user
// dictionary, plus Han character bigrams. Bigrams keep recall for misspellings and
// compounds jieba cuts differently in questions and in statute text.
import { Jieba } from "@node-rs/jieba";
import { dict } from "@node-rs/jieba/dict.js";

let jieba: Jieba | null = null;
const loadedWords = new Set<string>();

/** The process-wide jieba instance (loading the dictionary costs ~250 ms, so once). */
export function getJieba(): Jieba {
  if (!jieba) {
    jieba = Jieba.withDict(dict);
    loadUserWords(BUILTIN_LEGAL_WORDS);
  }
  return jieba;
}

/**
 * Add words to the user dictionary. jieba's dictionary is global to the instance, so
 * words only accumulate; an index records the words it was built with and re-adds them
 * on load so tokenization stays identical.
 */
export function loadUserWords(words: Iterable<string>, freq = 30000): void {
  const j = jieba ?? getJieba();
  const lines: string[] = [];
  for (const raw of words) {
    const w = raw.trim();
    if (w.length < 2 || w.length > 16 || /\s/.test(w) || loadedWords.has(w)) continue;
    loadedWords.add(w);
    lines.push(`${w} ${freq} n`);
  }
  if (lines.length > 0) j.loadDict(Buffer.from(lines.join("\n") + "\n", "utf8"));
}

/** Words jieba's general dictionary cuts badly in legal questions. */
export const BUILTIN_LEGAL_WORDS: string[] = [
  // "三个月工资" must not become 三个|月工资
  ...["一", "两", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "几", "半"].flatMap((n) => [
    `${n}个月`,
    `${n}年`,
  ]),
  "工资", "欠薪", "讨薪", "拖欠工资", "克扣工资", "加班费", "经济补偿", "经济补偿金", "赔偿金", "违约金",
  "劳动合同", "劳动仲裁", "劳动争议", "劳动关系", "劳务派遣", "试用期", "社会保险", "社保", "工伤", "工伤认定",
  "农民工", "用人单位", "劳动者", "解除劳动合同", "终止劳动合同", "无固定期限", "竞业限制",
  "离婚", "离婚协议", "抚养权", "抚养费", "赡养费", "彩礼", "夫妻共同财产", "夫妻共同债务", "共同财产", "婚前财产",
  "家庭暴力", "家暴", "继承", "遗嘱", "遗产", "法定继承", "宅基地", "承包地", "土地承包", "土地承包经营权",
  "借条", "欠条", "民间借贷", "高利贷", "利息", "诉讼时效", "起诉", "上诉", "强制执行", "财产保全",
  "交通事故", "肇事逃逸", "醉驾", "酒驾", "人身损害", "精神损害", "精神损害赔偿", "侵权责任", "连带责任",
  "物业费", "物业服务", "业主大会", "租赁合同", "房屋租赁", "押金", "定金", "订金", "预付款",
  "消费者", "假一赔三", "退一赔三", "三倍赔偿", "十倍赔偿", "网购", "快递", "个人信息", "隐私权", "名誉权", "肖像权",
  "法律援助", "人民调解", "司法鉴定", "公证", "仲裁", "行政复议", "行政诉讼", "国家赔偿", "取保候审", "刑事拘留",
  "个体工商户", "有限责任公司", "股东", "法定代表人", "商标", "著作权", "专利",
  "民法典", "劳动法", "劳动合同法", "刑法", "婚姻法", "继承法", "合同法", "物权法", "侵权责任法",
];

/** Function words and question phrasing that carry no topic. */
export const STOPWORDS = new Set<string>([
  "的", "了", "是", "我", "你", "他", "她", "它", "我们", "你们", "他们", "她们", "在", "吗", "呢", "吧", "啊", "呀", "哦",
  "嘛", "么", "怎么", "怎么办", "咋办", "咋", "怎样", "怎么样", "如何", "什么", "哪些", "哪个", "是否", "请问", "问",
  "一下", "这", "那", "这个", "那个", "这种", "那种", "和", "与", "及", "以及", "或", "或者", "等", "就", "都", "也",
  "还", "又", "很", "吗？", "呢？", "之", "其", "该", "则", "而", "且", "并", "把", "被", "让", "给予", "有关", "关于",
  "可以", "能否", "能不能", "可不可以", "会不会", "是不是", "有没有", "需要", "要", "应该", "应当", "能", "会", "想",
  "如果", "因为", "所以", "但是", "但", "然后", "现在", "已经", "一个", "个", "些", "为", "于", "以", "从", "对",
  "向", "由", "上", "中", "下", "里", "后", "前", "时", "时候", "情况", "问题", "规定", "法律", "依照", "按照", "本法",
]);

const FULLWIDTH_RE = /[\uff01-\uff5e]/g;
const HAN_RUN_RE = /\p{Script=Han}+/gu;
const KEEP_RE = /[\p{Script=Han}A-Za-z0-9]/u;

/** Full-width ASCII to half-width, lower case: residents mix both. */
export function normalizeText(text: string): string {
  return text.replace(FULLWIDTH_RE, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, " ").toLowerCase();
}

export interface TokenizerOptions {
  /** Extra user-dictionary words (legal terms, lay words, short law names). */
  userWords?: Iterable<string>;
  /** Misspellings to correct before cutting, e.g. {wrong: 工商认定, right: 工伤认定}. */
  typos?: Array<{ wrong: string; right: string }>;
  /** Emit Han character bigrams beside words (default true). */
  bigrams?: boolean;
}

/** Prefix that keeps bigram features apart from 2-character words in the vocabulary. */
export const BIGRAM_PREFIX = "#";

export class Tokenizer {
  readonly bigrams: boolean;
  readonly userWords: string[];
  private readonly typos: Array<{ wrong: string; right: string }>;

  constructor(opts: TokenizerOptions = {}) {
    this.bigrams = opts.bigrams ?? true;
    this.userWords = [...new Set(opts.userWords ?? [])];
    // Longest first so a long misspelling wins over its substring.
    this.typos = [...(opts.typos ?? [])].filter((t) => t.wrong && t.wrong !== t.right).sort((a, b) => b.wrong.length - a.wrong.length);
    getJieba();
    loadUserWords(this.userWords);
  }

  /** Normalised text with known misspellings corrected. */
  normalize(text: string): string {
    let s = normalizeText(text);
    for (const t of this.typos) if (s.includes(t.wrong)) s = s.split(t.wrong).join(t.right);
    return s;
  }

  /** Content words (jieba search mode: long words and their sub-words), stopwords removed. */
  words(text: string, normalized = false): string[] {
    const s = normalized ? text : this.normalize(text);
    const out: string[] = [];
    for (const w of getJieba().cutForSearch(s, true)) {
      if (!KEEP_RE.test(w) || STOPWORDS.has(w)) continue;
      out.push(w);
    }
    return out;
  }

  /** Han bigrams within runs of Han characters, prefixed with BIGRAM_PREFIX. */
  charBigrams(text: string, normalized = false): string[] {
    const s = normalized ? text : this.normalize(text);
    const out: string[] = [];
    for (const m of s.matchAll(HAN_RUN_RE)) {
      const run = m[0];
      for (let i = 0; i + 1 < run.length; i++) {
        const bg = run.slice(i, i + 2);
        if (!STOPWORDS.has(bg)) out.push(BIGRAM_PREFIX + bg);
      }
    }
    return out;
  }

  /** Words and bigrams from one normalisation pass (index builds need both). */
  analyze(text: string): { words: string[]; bigrams: string[] } {
    const s = this.normalize(text);
    return { words: this.words(s, true), bigrams: this.bigrams ? this.charBigrams(s, true) : [] };
  }

  /** Retrieval features: words, plus bigrams when enabled. */
  features(text: string): string[] {
    const a = this.analyze(text);
    return a.words.concat(a.bigrams);
  }
}
