import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bm25Index, topK } from "../../src/retrieval/bm25.ts";
import { decodeBundle, encodeBundle } from "../../src/retrieval/persist.ts";

const docs = [
  ["a", "b", "c"],
  ["a", "a", "d"],
  ["e", "f"],
  ["a", "b", "b", "b", "g", "h"],
];

function reference(q: string[], k1 = 1.2, b = 0.75): number[] {
  const N = docs.length;
  const avg = docs.reduce((s, d) => s + d.length, 0) / N;
  return docs.map((d) =>
    [...new Set(q)].reduce((s, t) => {
      const df = docs.filter((x) => x.includes(t)).length;
      if (df === 0) return s;
      const tf = d.filter((x) => x === t).length;
      const idf = Math.log(1 + (N - df + 0.5) / (df + 0.5));
      return s + (idf * tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * d.length) / avg));
    }, 0),
  );
}

describe("Bm25Index", () => {
  const idx = Bm25Index.build(docs);

  it("matches a direct BM25 computation", () => {
    for (const q of [["a"], ["b"], ["a", "d"], ["g", "x"], ["e", "f", "a"]]) {
      const got = Array.from(idx.scoreAll(q));
      reference(q).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    }
  });

  it("ranks best first and ignores unknown terms", () => {
    const hits = idx.search(["b"], 10);
    expect(hits.map((h) => h.doc)).toEqual([3, 0]);
    expect(idx.search(["zzz"], 10)).toEqual([]);
  });

  it("supports weighted documents and queries", () => {
    const w = Bm25Index.build([new Map([["x", 2]]), ["x", "y"]]);
    const s = w.scoreAll(new Map([["x", 0.5]]));
    expect(s[0]).toBeGreaterThan(s[1]);
  });

  it("round-trips through a bundle", () => {
    const back = Bm25Index.fromBundle(decodeBundle(encodeBundle(idx.toBundle())));
    expect(Array.from(back.scoreAll(["a", "b"]))).toEqual(Array.from(idx.scoreAll(["a", "b"])));
  });

  it("topK equals a full sort (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 100, noNaN: true }), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), (xs, k) => {
        const got = topK(Float32Array.from(xs), k).map((h) => h.score);
        const want = Array.from(Float32Array.from(xs))
          .filter((x) => x > 0)
          .sort((a, b) => b - a)
          .slice(0, k);
        expect(got).toEqual(want);
      }),
    );
  });
});
