import { describe, expect, it } from "vitest";
import { SearchIndex } from "../../src/retrieval/search-index.ts";
import { predict, RERANK_FEATURES, shippedRerankModel, type RerankModel } from "../../src/retrieval/rerank.ts";
import { trainLambdaMart, type RankGroup } from "../../scripts/lib/lambdamart.ts";
import { trainOnGroups } from "../../scripts/lib/rerank-folds.ts";
import { ALIASES, ARTICLES, TERMS, TYPOS } from "./fixtures.ts";

/** Deterministic pseudo-random numbers for synthetic data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe("reranker model", () => {
  it("walks each tree to a leaf and sums the leaves times the rate", () => {
    const model: RerankModel = {
      features: ["a", "b"],
      rate: 0.5,
      trees: [
        { feat: [0, -1, -1], thr: [1, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, -2, 4] },
        { feat: [1, -1, -1], thr: [0, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, 1, 3] },
      ],
    };
    expect(predict(model, [0.5, 0])).toBe(0.5 * (-2 + 1)); // x0 <= 1 left, x1 <= 0 left
    expect(predict(model, [2, 1])).toBe(0.5 * (4 + 3));
    expect(predict(model, [1, 0.1])).toBe(0.5 * (-2 + 3)); // a threshold is inclusive on the left
  });

  it("learns from candidate lists to put the answering article first, where the first stage did not", () => {
    // Feature 0 is a noisy first-stage score; feature 1 tells the answer apart. The trained
    // trees must lean on feature 1 and beat feature 0's order on lists they never saw.
    const make = (seed: number, n: number): RankGroup[] => {
      const r = rng(seed);
      return Array.from({ length: n }, () => {
        const x: number[][] = [];
        const y: number[] = [];
        for (let i = 0; i < 30; i++) {
          const rel = i === 0 ? 1 : 0;
          x.push([r() + (rel ? 0.1 : 0), rel ? 0.6 + 0.4 * r() : 0.7 * r(), r()]);
          y.push(rel);
        }
        return { x, y };
      });
    };
    const model = trainLambdaMart(make(1, 200), ["first", "signal", "noise"], { rounds: 30, depth: 2, minLeaf: 20 });
    const test = make(2, 100);
    const top1 = (score: (x: ArrayLike<number>) => number) =>
      test.filter((g) => {
        const best = g.x.map((x, i) => [score(x), i] as const).sort((a, b) => b[0] - a[0])[0][1];
        return g.y[best] === 1;
      }).length / test.length;
    const learned = top1((x) => predict(model, x));
    const firstStage = top1((x) => x[0]);
    expect(learned).toBeGreaterThan(0.6);
    expect(learned).toBeGreaterThan(firstStage + 0.3);
    // The same data always trains the same trees.
    expect(trainLambdaMart(make(1, 200), ["first", "signal", "noise"], { rounds: 30, depth: 2, minLeaf: 20 })).toEqual(model);
  });

  it("bags one model per fold left out, scoring their mean", () => {
    // Three folds of synthetic lists over the reranker's features: the first feature tells the answer apart.
    const fold = (seed: number): RankGroup[] => {
      const r = rng(seed);
      return Array.from({ length: 60 }, () => {
        const x: number[][] = [];
        const y: number[] = [];
        for (let i = 0; i < 20; i++) {
          const rel = i === 3 ? 1 : 0;
          x.push(Array.from(RERANK_FEATURES, (_, f) => (f === 0 ? (rel ? 0.5 : 0) + r() : r())));
          y.push(rel);
        }
        return { x, y };
      });
    };
    const folds = [fold(1), fold(2), fold(3)];
    const opts = { rounds: 10, depth: 2, minLeaf: 10 };
    const bagged = trainOnGroups(folds, 7, opts);
    const single = folds.map((_, out) => trainLambdaMart(folds.filter((__, k) => k !== out).flat(), RERANK_FEATURES, opts));
    expect(bagged.trees).toHaveLength(30);
    expect(bagged.maxQueryWords).toBe(7);
    for (const g of fold(4).slice(0, 5))
      for (const x of g.x) {
        const mean = single.reduce((s, m) => s + predict(m, x), 0) / single.length;
        expect(predict(bagged, x)).toBeCloseTo(mean, 10);
      }
    // One fold has nothing to leave out: one forest, trained on it.
    const alone = trainOnGroups([folds[0]], 7, opts);
    expect(alone.trees).toEqual(trainLambdaMart(folds[0], RERANK_FEATURES, opts).trees);
    expect(alone.rate).toBe(0.1);
  });

  it("ships a model trained on the features the index computes", () => {
    const model = shippedRerankModel();
    expect(model).not.toBeNull();
    expect(model!.features).toEqual([...RERANK_FEATURES]);
    expect(model!.trees.length).toBeGreaterThan(0);
    for (const t of model!.trees) for (const f of t.feat) expect(f).toBeLessThan(RERANK_FEATURES.length);
  });
});

describe("search with the second stage", () => {
  const base = { aliases: ALIASES, terms: TERMS, typos: TYPOS, lsa: { dim: 8 } };
  const training = [{ query: "公司一直拖着不发工资怎么办", relevant: [ARTICLES[5].id] }];

  it("reorders the first stage's candidates when the index learned from questions, and not otherwise", () => {
    const withStage = SearchIndex.build(ARTICLES, { ...base, training });
    const firstOnly = SearchIndex.build(ARTICLES, { ...base, training, rerank: false });
    const corpusOnly = SearchIndex.build(ARTICLES, base);
    const q = "老板拖欠工资不给怎么办";
    const reranked = withStage.search(q, 5);
    // Second-stage scores are probabilities; the first stage's are fused sums normalised to the best (1.x).
    for (const h of reranked) {
      expect(h.score).toBeGreaterThan(0);
      expect(h.score).toBeLessThan(1);
    }
    expect(firstOnly.search(q, 5)[0].score).toBeGreaterThan(1);
    expect(corpusOnly.search(q, 5).map((h) => h.article.id)).toEqual(
      SearchIndex.build(ARTICLES, { ...base, rerank: false }).search(q, 5).map((h) => h.article.id),
    );
    // The per-search switch gives the first stage's order from the same index.
    expect(withStage.search(q, 5, { rerank: false }).map((h) => [h.article.id, h.score])).toEqual(
      firstOnly.search(q, 5).map((h) => [h.article.id, h.score]),
    );
    // Same candidates, possibly another order.
    const pool = new Set(withStage.rerankCandidates(q).map((c) => c.article.id));
    for (const h of reranked) expect(pool.has(h.article.id)).toBe(true);
  });

  it("keeps the first stage's order for a question longer than the model's training questions", () => {
    const model = { ...shippedRerankModel()!, maxQueryWords: 4 };
    const idx = SearchIndex.build(ARTICLES, { ...base, training, rerank: model });
    const firstOnly = SearchIndex.build(ARTICLES, { ...base, training, rerank: false });
    const story = "我在工地干了半年，老板一直拖欠工资不给，现在人也找不到了，我该怎么办";
    expect(idx.search(story, 5).map((h) => [h.article.id, h.score])).toEqual(firstOnly.search(story, 5).map((h) => [h.article.id, h.score]));
    // A short one is reranked (second-stage scores are probabilities).
    expect(idx.search("拖欠工资", 5)[0].score).toBeLessThan(1);
  });

  it("gives one feature vector per candidate, in the order RERANK_FEATURES names", () => {
    const idx = SearchIndex.build(ARTICLES, { ...base, training });
    const cands = idx.rerankCandidates("公司不发工资怎么办", 50);
    expect(cands.length).toBeGreaterThan(0);
    const at = (name: (typeof RERANK_FEATURES)[number]) => RERANK_FEATURES.indexOf(name);
    for (const c of cands) {
      expect(c.features.length).toBe(RERANK_FEATURES.length);
      for (const v of c.features) expect(Number.isFinite(v)).toBe(true);
    }
    expect(cands[0].features[at("fused")]).toBe(1);
    expect(cands[0].features[at("fusedRank")]).toBe(0);
    // The labelled article is the one with training questions behind it.
    const labelled = cands.find((c) => c.article.id === ARTICLES[5].id);
    expect(labelled?.features[at("popularity")]).toBeCloseTo(Math.log(2));
    expect(labelled?.features[at("askedCoverage")]).toBeGreaterThan(0);
    for (const c of cands) if (c.article.id !== ARTICLES[5].id) expect(c.features[at("popularity")]).toBe(0);
    // Its earlier question is the nearest of all to this one; unlabelled articles have none.
    expect(labelled?.features[at("askedBest")]).toBe(1);
    for (const c of cands) if (c.article.id !== ARTICLES[5].id) expect(c.features[at("askedBest")]).toBe(0);
    // Relative facts are the candidate's value less the best candidate's: never positive, 0 for the best.
    for (const name of ["coverage", "askedBest", "popularity"] as const) {
      const vs = at(`${name}VsBest`);
      const best = Math.max(...cands.map((c) => c.features[at(name)]));
      for (const c of cands) expect(c.features[vs]).toBeCloseTo(c.features[at(name)] - best, 5);
    }
    // The first candidate of each law is first in its law; the next of the same law is second.
    const seen = new Map<string, number>();
    for (const c of cands) {
      const k = seen.get(c.article.law) ?? 0;
      expect(c.features[at("rankInLaw")]).toBeCloseTo(Math.log1p(k));
      seen.set(c.article.law, k + 1);
    }
    // The only labelled question cites one law: the topic prior puts all its weight there.
    for (const c of cands) {
      const ofLabelledLaw = c.article.law === ARTICLES[5].law;
      expect(c.features[at("lawTopic")]).toBeCloseTo(ofLabelledLaw ? 1 : 0);
      expect(c.features[at("lawTopicRank")]).toBeCloseTo(ofLabelledLaw ? 0 : Math.log(2));
    }
    // Character-level features are shares and the article's position lies within its law.
    for (const c of cands)
      for (const name of ["bigramCoverage", "articlePosition", "titleBigrams"] as const) {
        expect(c.features[at(name)]).toBeGreaterThanOrEqual(0);
        expect(c.features[at(name)]).toBeLessThanOrEqual(1 + 1e-6);
      }
  });
});
