// A bureau's own embedding model: the index is built and queried through an
// OpenAI-compatible /v1/embeddings endpoint (a local fake speaking the real protocol).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge } from "../../src/knowledge/base.ts";
import { startFakeEmbeddings, type FakeEmbeddings } from "../helpers/fake-embeddings.ts";
import { LABOUR_LAW } from "../server/helpers.ts";

let fake: FakeEmbeddings;
let base = "";
let dir = "";
let inputs: string[] = [];

beforeAll(async () => {
  fake = await startFakeEmbeddings();
  base = fake.base;
  inputs = fake.inputs;
  dir = mkdtempSync(join(tmpdir(), "lawdesk-embed-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
});

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("remote embeddings", () => {
  it("build the index and embed each query through the endpoint", async () => {
    const config = loadConfig({
      LAWDESK_DATA_DIR: join(dir, "data"),
      LAWDESK_LAWS: join(dir, "laws"),
      LAWDESK_TRAINING: "off",
      EMBEDDINGS_PROVIDER: "openai",
      EMBEDDINGS_MODEL: "fake",
      EMBEDDINGS_BASE_URL: base,
    } as NodeJS.ProcessEnv);
    const kb = await openKnowledge(config);
    try {
      expect(inputs.some((t) => t.includes("支付令"))).toBe(true); // the articles were embedded
      const before = inputs.length;
      const hits = await kb.searchArticles("老板拖欠劳动报酬怎么办", 3);
      expect(inputs.length).toBeGreaterThan(before); // the query too
      expect(hits[0].article.article).toBe("第三十条");
      expect(hits[0].parts.dense).toBeGreaterThan(0);
    } finally {
      kb.close();
    }
  }, 60_000);
});
