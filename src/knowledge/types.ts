// The units the knowledge base holds. Everything downstream (retrieval, answering,
// console) speaks in these shapes.

/** 效力等级 */
export type LawLevel = "宪法" | "法律" | "行政法规" | "司法解释" | "部门规章" | "地方性法规" | "案例" | "其他";

/** Validity: only `现行有效` is ever cited as current law. */
export type LawStatus = "现行有效" | "已修改" | "已失效" | "尚未生效" | "未知";

/** One article of one version of one law: the unit of retrieval and citation. */
export interface ArticleUnit {
  /** Stable id. From the interchange JSONL when given, else derived from source path + article. */
  id: string;
  /** Full law title, e.g. 中华人民共和国民法典 */
  law: string;
  /** Canonical article label, e.g. 第一千零七十九条, 第十七条之一 */
  article: string;
  /** Article number as an integer (第X条 -> X), and the 之N suffix (0 if none). */
  articleNo: number;
  articleSub: number;
  /** Verbatim article text; paragraphs separated by "\n". */
  text: string;
  /** Chapter path, e.g. ["婚姻家庭编", "第三章 家庭关系", "第一节 夫妻关系"] */
  chapters: string[];
  level: LawLevel;
  status: LawStatus;
  promulgated: string | null;
  effective: string | null;
  /** Province or city for local regulations, null for national law. */
  region: string | null;
  /** Where it came from: a path relative to the ingested root, and 1-based line. */
  source: string;
  line: number;
}

/** A statute article a guide rests on (法律依据), looked up in the corpus when the guide answers. */
export interface GuideBasis {
  law: string;
  article: string;
}

/** A service guide written by the project (knowledge/guides/*.md). */
export interface Guide {
  id: string;
  title: string;
  topics: string[];
  questions: string[];
  legalBasis: GuideBasis[];
  steps: string[];
  materials: string[];
  where: string[];
  fees: string;
  timeLimits: string;
  /** Escalate to a person whenever this guide is the best match (e.g. someone detained). */
  alwaysEscalate: boolean;
  /** When a lawyer last checked the guide and against which law versions; null when never recorded. */
  review?: { date: string; laws: { law: string; version: string }[] } | null;
  /** Plain-language explanation (Markdown body). */
  body: string;
  source: string;
}

/** A retrieved item with its score and the reasons it was retrieved. */
export interface ArticleHit {
  article: ArticleUnit;
  score: number;
  /** True when the query named this article explicitly (民法典第三条). */
  exact: boolean;
  /** Component scores, for the console's test view and for confidence. */
  parts: {
    bm25?: number;
    dense?: number;
    bm25Rank?: number;
    denseRank?: number;
    /** Vote of the nearest labelled training questions (retrieval's kNN component). */
    knn?: number;
  };
}

/** A guide that matched a question, with its retrieval score. */
export interface GuideHit {
  guide: Guide;
  score: number;
}
