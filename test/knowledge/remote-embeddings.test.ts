// A bureau's own embedding model: the index is built and queried through an
// OpenAI-compatible /v1/embeddings endpoint (a local fake speaking the real protocol).
import { createServer, type Server } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge } from "../../src/knowledge/base.ts";
import { LABOUR_LAW } from "../server/helpers.ts";

/** Deterministic 32-dim vectors from character hashes: similar texts get similar vectors. */
function embed(text: string): number[] {
  const v = new Array(32).fill(0);
  for (const ch of text) v[ch.codePointAt(0)! % 32] += 1;
  return v;
}

let server: Server;
let base = "";
let dir = "";
const inputs: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.method !== "POST" || !req.url?.endsWith("/embeddings")) {
        res.writeHead(404).end();
        return;
      }
      const input = (JSON.parse(body) as { input: string | string[] }).input;
      const list = Array.isArray(input) ? input : [input];
      inputs.push(...list);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", model: "fake", data: list.map((t, index) => ({ object: "embedding", index, embedding: embed(t) })), usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/v1`;
  dir = mkdtempSync(join(tmpdir(), "lawdesk-embed-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
});

afterAll(() => {
  server.close();
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
    process.env.LAWDESK_TRAINING = "off";
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
      delete process.env.LAWDESK_TRAINING;
    }
  }, 60_000);
});
