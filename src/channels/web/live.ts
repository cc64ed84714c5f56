// Live updates for residents' web chat: the open SSE streams per thread, and the outbox
// sender for channel "web" that pushes to them. The page re-reads its history on each push,
// so a reply with nobody connected is still delivered: it is in the history on next load.

import type { ChannelSender } from "../dispatcher.ts";
import type { Bus } from "../../store/bus.ts";
import type { OutboxRow } from "../../store/conversation-store.ts";
import type { SseHub, SseStream } from "../../server/sse.ts";
import type { FastifyReply, FastifyRequest } from "fastify";

export class WebChatLive {
  private readonly byThread = new Map<string, Set<SseStream>>();

  constructor(private readonly hub: SseHub) {}

  subscribe(threadKey: string, request: FastifyRequest, reply: FastifyReply): SseStream {
    const set = this.byThread.get(threadKey) ?? new Set<SseStream>();
    this.byThread.set(threadKey, set);
    let stream: SseStream;
    try {
      stream = this.hub.open(
        request,
        reply,
        () => {
          set.delete(stream);
          if (set.size === 0) this.byThread.delete(threadKey);
        },
        `web:${threadKey}`,
      );
    } catch (err) {
      if (set.size === 0) this.byThread.delete(threadKey);
      throw err;
    }
    set.add(stream);
    return stream;
  }

  /** Tells every tab of this resident that the history changed. */
  push(threadKey: string, data: Record<string, unknown>): number {
    const set = this.byThread.get(threadKey);
    for (const s of set ?? []) s.send("update", data);
    return set?.size ?? 0;
  }

  connected(threadKey: string): number {
    return this.byThread.get(threadKey)?.size ?? 0;
  }
}

/**
 * Outbox delivery for channel "web": the reply is already in the thread history. The
 * resident's page may be connected to another server on the same database, so the push
 * also goes out on the bus, and pushes from other servers reach the streams held here.
 */
export class WebChannelSender implements ChannelSender {
  readonly channel = "web" as const;

  constructor(
    private readonly live: WebChatLive,
    private readonly bus: Bus,
  ) {
    bus.subscribe("live_reply", (d) => void live.push(String(d.threadKey), { kind: d.kind, outboxId: d.outboxId }));
  }

  async send(row: OutboxRow): Promise<void> {
    const data = { kind: row.kind, outboxId: row.id };
    this.live.push(row.threadKey, data);
    await this.bus.publish("live_reply", { threadKey: row.threadKey, ...data });
  }
}
