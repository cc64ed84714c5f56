import { describe, expect, it } from "vitest";
import { Bm25Index } from "../../src/retrieval/bm25.ts";
import { LawTopics } from "../../src/retrieval/law-topics.ts";
import { BIGRAM_PREFIX, Tokenizer } from "../../src/retrieval/tokenize.ts";

// Four laws; labelled questions cite laws 0 and 1 (one of them cites both), never 2 or 3.
const tokenizer = new Tokenizer();
const questions = [
  { text: "朋友借钱不还有欠条怎么办", laws: [0] },
  { text: "借款到期不还可以起诉吗", laws: [0] },
  { text: "老板拖欠工资不发怎么办", laws: [1] },
  { text: "公司拖欠工资还不签劳动合同", laws: [1] },
  { text: "借钱给公司老板拖欠不还", laws: [0, 1] },
];
const lawOf = Int32Array.from([0, 1, 2, 3]); // article d belongs to law d
function topics(qs = questions): LawTopics {
  const knn = Bm25Index.build(qs.map((q) => tokenizer.features(q.text)));
  const docs = qs.flatMap((q) => q.laws);
  const ptr = Uint32Array.from([0, ...qs.map((_, i) => qs.slice(0, i + 1).reduce((n, q) => n + q.laws.length, 0))]);
  return LawTopics.fromQuestions(knn, ptr, Uint32Array.from(docs), lawOf, 4);
}
const pairs = (text: string) => tokenizer.charBigrams(text);

describe("law topics", () => {
  it("reads the question's character pairs as the laws that answered questions worded like it", () => {
    const t = topics();
    const loan = t.posterior(pairs("我借钱给他，他有欠条却不还"));
    const wage = t.posterior(pairs("工厂拖欠工资三个月了"));
    expect(loan[0]).toBeGreaterThan(loan[1]);
    expect(wage[1]).toBeGreaterThan(wage[0]);
    for (const p of [loan, wage]) {
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      // A law no labelled question cited has no topic weight.
      expect(p[2]).toBe(0);
      expect(p[3]).toBe(0);
    }
  });

  it("falls back on how often each law was cited when no pair is known", () => {
    const p = topics().posterior(pairs("天气很好"));
    // Law 0 and law 1 are each cited by three of five questions.
    expect(p[0]).toBeCloseTo(0.5, 5);
    expect(p[1]).toBeCloseTo(0.5, 5);
    expect(pairs("天气很好").every((x) => x.startsWith(BIGRAM_PREFIX))).toBe(true);
  });

  it("gives no weight to any law without labelled questions", () => {
    const empty = LawTopics.fromQuestions(null, Uint32Array.of(0), new Uint32Array(0), lawOf, 4);
    expect([...empty.posterior(pairs("借钱不还"))]).toEqual([0, 0, 0, 0]);
  });
});
