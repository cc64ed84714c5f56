// Training data for the reranker without leaks: a question's candidate features come from an
// index whose document expansion and kNN bank never held that question (its fold was left
// out), exactly as an unseen question meets the shipped index.
import type { ArticleUnit } from "../../src/knowledge/types.ts";
import { RERANK_FEATURES, type RerankModel } from "../../src/retrieval/rerank.ts";
import { SearchIndex, type SearchIndexOptions } from "../../src/retrieval/search-index.ts";
import type { Tokenizer } from "../../src/retrieval/tokenize.ts";
import { percentile95 } from "../../src/retrieval/score-utils.ts";
import { trainLambdaMart, type LambdaMartOptions, type RankGroup } from "./lambdamart.ts";
import type { LabelledQuery } from "./ir-metrics.ts";

/** Candidates of the first stage the trees learn from (the head, where order matters). */
const TRAIN_POOL = 200;

/** Candidate groups for `questions`, from an index trained on `training` (first stage only). */
export function candidateGroups(
  articles: ArticleUnit[],
  base: SearchIndexOptions,
  training: LabelledQuery[],
  questions: LabelledQuery[],
): RankGroup[] {
  return groupsFrom(SearchIndex.build(articles, { ...base, training, rerank: false }), questions);
}

function groupsFrom(index: SearchIndex, questions: LabelledQuery[]): RankGroup[] {
  return questions.map((q) => {
    const rel = new Set(q.relevant);
    const cands = index.rerankCandidates(q.query, TRAIN_POOL);
    return { x: cands.map((c) => c.features), y: cands.map((c) => (rel.has(c.article.id) ? 1 : 0)) };
  });
}

/**
 * Trains on the questions of `folds` (all of them): each fold's features come from an index
 * built on the other folds.
 */
export function trainOnFolds(
  articles: ArticleUnit[],
  base: SearchIndexOptions,
  folds: LabelledQuery[][],
  tokenizer: Tokenizer,
  opts: LambdaMartOptions & { log?: (m: string) => void } = {},
): RerankModel {
  const byFold = folds.map((fold, j) => {
    const training = folds.flatMap((f, i) => (i === j ? [] : f));
    const groups = candidateGroups(articles, base, training, fold);
    opts.log?.(`features for fold ${j + 1}/${folds.length}`);
    return groups;
  });
  return trainOnGroups(byFold, domainWords(folds.flat(), tokenizer), opts);
}

/**
 * A bagged forest: one model per fold left out of `byFold` (each trained on the rest), their
 * trees joined and the rate divided by their number, so a score is the models' mean. Trees
 * fitted to a thousand questions vary with which questions they saw; the mean varies less
 * (nested STARD MRR@10 0.568 -> 0.573 with the same features, `npm run eval`).
 */
export function trainOnGroups(byFold: RankGroup[][], maxQueryWords: number, opts: LambdaMartOptions = {}): RerankModel {
  const models =
    byFold.length < 2
      ? [trainLambdaMart(byFold.flat(), RERANK_FEATURES, opts)]
      : byFold.map((_, out) => trainLambdaMart(byFold.filter((__, k) => k !== out).flat(), RERANK_FEATURES, opts));
  const questions = byFold.reduce((n, g) => n + g.length, 0);
  return {
    features: RERANK_FEATURES,
    rate: models[0].rate / models.length,
    trees: models.flatMap((m) => m.trees),
    maxQueryWords,
    trainedOn: `${questions} questions, ${byFold.length} folds, ${models.length} bagged models (each leaving one fold out) of ${models[0].trees.length} trees of depth ${opts.depth ?? 3}`,
  };
}

/**
 * The 95th percentile of the questions' distinct words: the length the model knows. Counted
 * with the index's own tokenizer (its user dictionary joins words), as search counts them.
 */
export function domainWords(questions: LabelledQuery[], tokenizer: Tokenizer): number {
  return percentile95(questions.map((q) => new Set(tokenizer.words(q.query)).size));
}

/**
 * Nested folds for evaluation: the features of fold `inner` when fold `outer` is held out
 * come from an index trained on neither. That index also gives fold `outer`'s features when
 * the roles swap, so each pair of folds is built once (10 builds for 5 folds, not 20).
 */
export function nestedGroups(articles: ArticleUnit[], base: SearchIndexOptions, folds: LabelledQuery[][]): (outer: number, inner: number) => RankGroup[] {
  const cache = new Map<string, Map<number, RankGroup[]>>();
  return (outer, inner) => {
    const key = [outer, inner].sort().join(",");
    let pair = cache.get(key);
    if (!pair) {
      const training = folds.flatMap((f, i) => (i === outer || i === inner ? [] : f));
      const index = SearchIndex.build(articles, { ...base, training, rerank: false });
      pair = new Map([outer, inner].map((j) => [j, groupsFrom(index, folds[j])]));
      cache.set(key, pair);
    }
    return pair.get(inner)!;
  };
}
