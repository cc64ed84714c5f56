// Labelled layperson questions (e.g. STARD's training set) as evidence for answerability:
// when the questions most like a new one were answered by articles this knowledge base
// holds, the new one very likely is answerable from it too; when their articles are missing
// (a law not ingested), the bot should hand over rather than answer from look-alikes.

import { readFileSync } from "node:fs";
import { formatArticleLabel, parseArticleLabel } from "../knowledge/article-number.ts";
import { Bm25Index } from "./bm25.ts";
import type { Tokenizer } from "./tokenize.ts";

export interface BankQuestion {
  query: string;
  /** The articles that answer it, as "law|article" keys (e.g. 中华人民共和国民法典|第五十六条). */
  answers: string[];
  /** A lawyer's plain-language answer, when the set has one (expands the answering articles). */
  answer?: string;
}

export interface NeighbourEvidence {
  /** Similarity-weighted share of the nearest questions whose answers are held here (0..1). */
  coverage: number;
  /** Similarity of the nearest question, as a share of the query's own score (0..1). */
  nearest: number;
  /** Answer keys of the nearest questions that are held here, most similar first. */
  keys: string[];
}

export class QuestionBank {
  private readonly bm25: Bm25Index;

  constructor(
    private readonly questions: BankQuestion[],
    private readonly tokenizer: Tokenizer,
  ) {
    this.bm25 = Bm25Index.build(questions.map((q) => tokenizer.features(q.query)));
  }

  get size(): number {
    return this.questions.length;
  }

  neighbours(query: string, holds: (key: string) => boolean, m = 10): NeighbourEvidence {
    const feats = this.tokenizer.features(query);
    const hits = this.bm25.search(feats, m);
    if (hits.length === 0) return { coverage: 0, nearest: 0, keys: [] };
    // What a question holding every query feature many times would score: a bound on any neighbour.
    const bound = this.upperBound(feats);
    let held = 0;
    let total = 0;
    const keys: string[] = [];
    for (const h of hits) {
      const present = this.questions[h.doc].answers.filter(holds);
      total += h.score;
      if (present.length > 0) {
        held += h.score;
        keys.push(...present);
      }
    }
    return { coverage: total > 0 ? held / total : 0, nearest: Math.min(1, hits[0].score / Math.max(bound, 1e-9)), keys };
  }

  private upperBound(feats: string[]): number {
    const { bm25 } = this;
    const unseenIdf = Math.log(1 + (bm25.nDocs + 0.5) / 0.5);
    let sum = 0;
    for (const f of feats) {
      const id = bm25.vocab.get(f);
      sum += id === undefined ? unseenIdf : bm25.idf[id];
    }
    return sum * (bm25.params.k1 + 1);
  }
}

/** Reads STARD-style labelled questions ({query, relevant_names: ["<law>第X条", …]}) as bank entries. */
export function readLabelledQuestions(path: string): BankQuestion[] {
  const out: BankQuestion[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const q = JSON.parse(line) as { query?: unknown; relevant_names?: unknown; answer?: unknown };
    if (typeof q.query !== "string" || !Array.isArray(q.relevant_names)) continue;
    const answers = q.relevant_names
      .map((name) => {
        const m = typeof name === "string" ? /^(.*?)(第[^第]+条(?:之[^条]+)?)$/.exec(name) : null;
        const label = m ? parseArticleLabel(m[2]) : null;
        return m && label ? `${m[1]}|${formatArticleLabel(label.no, label.sub)}` : null;
      })
      .filter((k): k is string => k !== null);
    out.push({ query: q.query, answers, ...(typeof q.answer === "string" ? { answer: q.answer } : {}) });
  }
  return out;
}
