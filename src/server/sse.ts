// Server-sent events: one long-lived response per browser tab. Streams are tracked so the
// server can end them before it closes (an open stream would otherwise hold close() up).

import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpError } from "./errors.ts";

/** How many streams may be open at once: per client (resident cookie, console user), per address, in all. */
export interface SseLimits {
  perClient: number;
  perAddress: number;
  total: number;
}

const UNLIMITED: SseLimits = { perClient: Infinity, perAddress: Infinity, total: Infinity };

export interface SseStream {
  readonly id: number;
  send(event: string, data: unknown): void;
  close(): void;
  readonly closed: boolean;
}

const HEARTBEAT_MS = 25_000;

export class SseHub {
  private readonly streams = new Set<SseStream>();
  private readonly byClient = new Map<string, number>();
  private readonly byAddress = new Map<string, number>();
  private nextId = 1;

  constructor(
    private readonly onCount?: (count: number) => void,
    private readonly limits: SseLimits = UNLIMITED,
  ) {}

  private static bump(map: Map<string, number>, key: string, by: number): void {
    const n = (map.get(key) ?? 0) + by;
    if (n <= 0) map.delete(key);
    else map.set(key, n);
  }

  get size(): number {
    return this.streams.size;
  }

  /**
   * Takes over the response and keeps it open; `onClose` runs once when the client leaves.
   * Over a limit it throws (429 for one client or address, 503 when the server is full)
   * before anything is sent, so the error handler answers.
   */
  open(request: FastifyRequest, reply: FastifyReply, onClose: () => void = () => {}, client = ""): SseStream {
    const address = request.ip ?? "";
    if (this.streams.size >= this.limits.total) throw new HttpError(503, "在线连接已满，请稍后刷新页面", "too_many_streams");
    if ((this.byClient.get(client) ?? 0) >= this.limits.perClient || (this.byAddress.get(address) ?? 0) >= this.limits.perAddress) {
      throw new HttpError(429, "打开的页面过多，请关闭一些页面后再试", "too_many_streams");
    }
    SseHub.bump(this.byClient, client, 1);
    SseHub.bump(this.byAddress, address, 1);
    reply.hijack();
    // A stream is quiet between heartbeats: no idle timeout on its socket.
    request.raw.socket?.setTimeout(0);
    const res = reply.raw;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      // Proxies (nginx) must not buffer the stream.
      "x-accel-buffering": "no",
    });
    res.write("retry: 3000\n\n");
    let closed = false;
    const heartbeat = setInterval(() => res.write(": ping\n\n"), HEARTBEAT_MS);
    heartbeat.unref();
    const stream: SseStream = {
      id: this.nextId++,
      get closed() {
        return closed;
      },
      send: (event, data) => {
        if (closed) return;
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      close: () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        this.streams.delete(stream);
        SseHub.bump(this.byClient, client, -1);
        SseHub.bump(this.byAddress, address, -1);
        this.onCount?.(this.streams.size);
        onClose();
        res.end();
      },
    };
    this.streams.add(stream);
    this.onCount?.(this.streams.size);
    request.raw.on("close", () => stream.close());
    return stream;
  }

  closeAll(): void {
    for (const s of [...this.streams]) s.close();
  }
}
