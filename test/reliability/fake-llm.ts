// A local OpenAI-compatible endpoint over real HTTP: POST /v1/chat/completions answered in
// the OpenAI response format by a function the test supplies (it sees the system prompt and
// the user message, as a real model would). Optional delay or a dead endpoint (never answers).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ChatRequest {
  model: string;
  system: string;
  user: string;
}

export interface FakeLlmOptions {
  /** What the "model" says; default: a bland explanation citing [1]. */
  answer?: (req: ChatRequest) => string;
  /** Milliseconds before answering. */
  delayMs?: number;
  /** Milliseconds before answering this request (overrides delayMs). */
  delayFor?: (req: ChatRequest) => number;
  /** Accept the request and never answer (a hung endpoint). */
  hang?: boolean;
  /** Answer with this HTTP status and an OpenAI-style error (500, 429 …). */
  failStatus?: number;
  /** Answer 200 with a body that is not the OpenAI format. */
  garbage?: string;
}

export interface FakeLlm {
  /** For LLM_BASE_URL. */
  baseUrl: string;
  requests: ChatRequest[];
  /** Requests whose caller hung up before the answer was written (it gave up waiting). */
  readonly abandoned: number;
  set(opts: FakeLlmOptions): void;
  close(): Promise<void>;
}

export async function startFakeLlm(initial: FakeLlmOptions = {}): Promise<FakeLlm> {
  let opts = initial;
  const requests: ChatRequest[] = [];
  const hung = new Set<ServerResponse>();
  let abandoned = 0;
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    res.on("close", () => {
      if (!res.writableFinished) abandoned++;
    });
    let raw = "";
    for await (const chunk of req) raw += chunk;
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    const body = JSON.parse(raw) as { model: string; messages: { role: string; content: string }[] };
    const request: ChatRequest = {
      model: body.model,
      system: body.messages.filter((m) => m.role === "system").map((m) => m.content).join("\n"),
      user: body.messages.filter((m) => m.role === "user").map((m) => m.content).join("\n"),
    };
    requests.push(request);
    if (opts.hang) {
      hung.add(res);
      res.on("close", () => hung.delete(res));
      return;
    }
    const delay = opts.delayFor?.(request) ?? opts.delayMs;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    if (opts.failStatus) {
      res.writeHead(opts.failStatus, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "upstream failure", type: "server_error" } }));
      return;
    }
    if (opts.garbage !== undefined) {
      res.writeHead(200, { "content-type": "application/json" }).end(opts.garbage);
      return;
    }
    const content = (opts.answer ?? (() => "老板拖欠工资是违法的 [1]。您可以先和单位协商，协商不成可以申请劳动仲裁。"))(request);
    res.writeHead(200, { "content-type": "application/json" }).end(
      JSON.stringify({
        id: `chatcmpl-${requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get abandoned() {
      return abandoned;
    },
    set(next) {
      opts = next;
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
