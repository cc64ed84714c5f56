// Server-sent events: one long-lived response per browser tab. Streams are tracked so the
// server can end them before it closes (an open stream would otherwise hold close() up).

import type { FastifyReply, FastifyRequest } from "fastify";

export interface SseStream {
  readonly id: number;
  send(event: string, data: unknown): void;
  close(): void;
  readonly closed: boolean;
}

const HEARTBEAT_MS = 25_000;

export class SseHub {
  private readonly streams = new Set<SseStream>();
  private nextId = 1;

  constructor(private readonly onCount?: (count: number) => void) {}

  get size(): number {
    return this.streams.size;
  }

  /** Takes over the response and keeps it open; `onClose` runs once when the client leaves. */
  open(request: FastifyRequest, reply: FastifyReply, onClose: () => void = () => {}): SseStream {
    reply.hijack();
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
