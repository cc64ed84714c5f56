// A local stand-in for an OpenAI-compatible /v1/embeddings endpoint (the real protocol over
// loopback HTTP). Vectors are deterministic 32-dim character hashes, so similar texts get
// similar vectors; every input it was asked to embed is kept for assertions.

import { createServer } from "node:http";

export function fakeEmbedding(text: string): number[] {
  const v = new Array(32).fill(0);
  for (const ch of text) v[ch.codePointAt(0)! % 32] += 1;
  return v;
}

export interface FakeEmbeddings {
  /** Base URL for EMBEDDINGS_BASE_URL (ends in /v1). */
  base: string;
  inputs: string[];
  close(): Promise<void>;
}

export async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  const inputs: string[] = [];
  const server = createServer((req, res) => {
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
      res.end(JSON.stringify({ object: "list", model: "fake", data: list.map((t, index) => ({ object: "embedding", index, embedding: fakeEmbedding(t) })), usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/v1`;
  return { base, inputs, close: () => new Promise<void>((r) => server.close(() => r())) };
}
