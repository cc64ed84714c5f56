import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Embeddings } from "@langchain/core/embeddings";
import { LsaEmbeddings, randomizedSvd } from "../../src/retrieval/embeddings/lsa.ts";
import { createEmbeddings, describeEmbeddings } from "../../src/retrieval/embeddings/index.ts";
import { VectorIndex } from "../../src/retrieval/vector-index.ts";
import { Tokenizer } from "../../src/retrieval/tokenize.ts";
import { decodeBundle, encodeBundle } from "../../src/retrieval/persist.ts";
import { ARTICLES } from "./fixtures.ts";

const tmp = mkdtempSync(join(tmpdir(), "lawdesk-dense-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0);

describe("randomizedSvd", () => {
  it("recovers the singular values of a small exact-rank matrix", () => {
    // A = diag(5, 3, 1) embedded in 6 x 4, as CSR
    const rows = [[0, 5], [1, 3], [2, 1]];
    const rowPtr = new Uint32Array([0, 1, 2, 3, 3, 3, 3]);
    const A = { rowPtr, cols: Uint32Array.from(rows.map((r) => r[0])), vals: Float32Array.from(rows.map((r) => r[1])), nRows: 6, nCols: 4 };
    const { S, V } = randomizedSvd(A, 3, 2, 7);
    expect(Array.from(S).map((x) => +x.toFixed(4))).toEqual([5, 3, 1]);
    // right singular vectors are unit vectors on the axes
    expect(Math.abs(V[0 * 3 + 0])).toBeCloseTo(1, 4);
    expect(Math.abs(V[1 * 3 + 1])).toBeCloseTo(1, 4);
  });
});

describe("LsaEmbeddings", () => {
  const tk = new Tokenizer();
  const lsa = LsaEmbeddings.fit(ARTICLES.map((a) => a.text), tk, { dim: 6, minDf: 1, maxDfRatio: 1 });

  it("is a langchain Embeddings with unit vectors", async () => {
    expect(lsa).toBeInstanceOf(Embeddings);
    const [v] = await lsa.embedDocuments(["劳动者 劳动报酬"]);
    expect(v).toHaveLength(6);
    expect(cos(v, v)).toBeCloseTo(1, 5);
  });

  it("puts related texts closer than unrelated ones", async () => {
    const q = await lsa.embedQuery("用人单位拖欠劳动报酬");
    const [wage, theft] = await lsa.embedDocuments([ARTICLES[5].text, ARTICLES[10].text]);
    expect(cos(q, wage)).toBeGreaterThan(cos(q, theft));
  });

  it("round-trips through a bundle", async () => {
    const back = LsaEmbeddings.fromBundle(decodeBundle(encodeBundle(lsa.toBundle())), tk);
    expect(await back.embedQuery("离婚")).toEqual(await lsa.embedQuery("离婚"));
  });
});

describe("VectorIndex", () => {
  it("returns cosine similarity (not distance), best first, and persists", () => {
    const vi = new VectorIndex(3, 10);
    vi.add([1, 0, 0]);
    vi.add([0, 1, 0]);
    vi.add([1, 1, 0]);
    const hits = vi.search([1, 0.1, 0], 3);
    expect(hits[0].label).toBe(0);
    expect(hits[0].similarity).toBeGreaterThan(0.99);
    expect(hits[2].label).toBe(1);
    vi.save(tmp, "v");
    const back = VectorIndex.load(tmp, "v");
    expect(back.size).toBe(3);
    expect(back.search([0, 1, 0], 1)[0].label).toBe(1);
  });
});

describe("createEmbeddings", () => {
  it("builds OpenAI-compatible and Ollama clients without network", () => {
    const o = createEmbeddings({ provider: "openai", model: "bge-m3", baseURL: "http://127.0.0.1:9/v1" });
    const l = createEmbeddings({ provider: "ollama", model: "bge-m3" });
    expect(o).toBeInstanceOf(Embeddings);
    expect(l).toBeInstanceOf(Embeddings);
    expect(createEmbeddings({ provider: "lsa" })).toBeNull();
    expect(describeEmbeddings({ provider: "ollama", model: "bge-m3" })).toContain("bge-m3");
  });
});
