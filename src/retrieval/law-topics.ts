// A law-level prior by topic: which laws questions worded like this one were answered from.
// Multinomial naive Bayes, one class per law the labelled questions cite, over the Chinese
// character pairs of those questions. The kNN vote hears only a question's nearest
// neighbours; the classifier pools every question about a law, so 欠条 and 借款 in a new
// question still point at the law of loans when no single earlier question matches it well.
// Read back from the kNN index (its postings are the training questions' features), so it
// needs no file of its own and is rebuilt identically when an index is loaded.
// Hand-written: about forty lines, and no kept package does naive Bayes over sparse counts
// that we could feed from these postings.
import type { Bm25Index } from "./bm25.ts";
import { BIGRAM_PREFIX } from "./tokenize.ts";

/** Additive smoothing: small, since a law's questions share few pairs with another law's. */
const ALPHA = 0.1;

export class LawTopics {
  /** Per law: log prior plus the smoothing mass every query pair pays; -Infinity for laws never cited. */
  private readonly base: Float64Array;
  /** log(α / (pairs of law l + αV)) per law: what one unseen pair costs. */
  private readonly unseen: Float64Array;
  /** Per pair: the laws whose questions held it, with log((count + α) / α). */
  private readonly pairs = new Map<string, Array<[number, number]>>();

  private constructor(nLaws: number) {
    this.base = new Float64Array(nLaws).fill(-Infinity);
    this.unseen = new Float64Array(nLaws);
  }

  /**
   * From the kNN index over the training questions: `knnPtr`/`knnDocs` give each question's
   * labelled articles, `lawOf` each article's law.
   */
  static fromQuestions(knn: Bm25Index | null, knnPtr: Uint32Array, knnDocs: Uint32Array, lawOf: Int32Array, nLaws: number): LawTopics {
    const topics = new LawTopics(nLaws);
    const nQuestions = knnPtr.length - 1;
    if (!knn || nQuestions <= 0) return topics;
    // Each question counts once for each distinct law it cites.
    const lawsOf: number[][] = [];
    const questions = new Float64Array(nLaws);
    for (let q = 0; q < nQuestions; q++) {
      const laws = [...new Set(Array.from(knnDocs.subarray(knnPtr[q], knnPtr[q + 1]), (d) => lawOf[d]))];
      lawsOf.push(laws);
      for (const l of laws) questions[l]++;
    }
    const pairTotal = new Float64Array(nLaws);
    let vocabulary = 0;
    knn.terms.forEach((term, t) => {
      if (!term.startsWith(BIGRAM_PREFIX)) return;
      vocabulary++;
      const counts = new Map<number, number>();
      for (let p = knn.offsets[t]; p < knn.offsets[t + 1]; p++)
        for (const l of lawsOf[knn.postDocs[p]]) counts.set(l, (counts.get(l) ?? 0) + 1);
      const list: Array<[number, number]> = [];
      for (const [l, c] of counts) {
        pairTotal[l] += c;
        list.push([l, Math.log((c + ALPHA) / ALPHA)]);
      }
      topics.pairs.set(term, list);
    });
    for (let l = 0; l < nLaws; l++) {
      if (questions[l] === 0) continue;
      topics.base[l] = Math.log(questions[l] / nQuestions);
      topics.unseen[l] = Math.log(ALPHA / (pairTotal[l] + ALPHA * vocabulary));
    }
    return topics;
  }

  /** P(law | question) from the question's character pairs (with BIGRAM_PREFIX); all zero without training. */
  posterior(pairs: Iterable<string>): Float32Array {
    const known = [...new Set(pairs)].filter((p) => this.pairs.has(p));
    const score = Float64Array.from(this.base, (b, l) => b + known.length * this.unseen[l]);
    for (const p of known) for (const [l, gain] of this.pairs.get(p)!) score[l] += gain;
    let max = -Infinity;
    for (const s of score) if (s > max) max = s;
    const out = new Float32Array(score.length);
    if (max === -Infinity) return out;
    let total = 0;
    for (let l = 0; l < score.length; l++) total += out[l] = Math.exp(score[l] - max);
    for (let l = 0; l < score.length; l++) out[l] /= total;
    return out;
  }
}
