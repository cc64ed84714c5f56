// Delivers queued replies (the outbox) through the channel each thread came from. A failed
// delivery is retried after its lease; one that keeps failing, or that the platform refuses
// for good (WeChat's 48-hour window), is marked undelivered and shown to the lawyer.

import type { Logger } from "pino";
import type { ChannelName } from "../channel-message.ts";
import type { ConversationStore, OutboxRow } from "../store/conversation-store.ts";

export class PermanentDeliveryError extends Error {}

export interface ChannelSender {
  readonly channel: ChannelName;
  /** Delivers one row; throws to retry later, or PermanentDeliveryError to give up. */
  send(row: OutboxRow): Promise<void>;
}

export type DeliveryStatus = "sent" | "failed" | "undelivered";

export interface DispatcherOptions {
  store: ConversationStore;
  log: Logger;
  /** Told about every delivery attempt's outcome (the referral queue records lawyer replies'). */
  onResult?: (row: OutboxRow, status: DeliveryStatus, error?: string) => void;
  leaseMs?: number;
  maxAttempts?: number;
  pollMs?: number;
  now?: () => Date;
}

export class OutboxDispatcher {
  private readonly senders = new Map<ChannelName, ChannelSender>();
  private timer: NodeJS.Timeout | null = null;
  private running = new Map<ChannelName, Promise<void>>();
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => Date;

  constructor(private readonly o: DispatcherOptions) {
    this.leaseMs = o.leaseMs ?? 30_000;
    this.maxAttempts = o.maxAttempts ?? 6;
    this.now = o.now ?? (() => new Date());
  }

  register(sender: ChannelSender): void {
    this.senders.set(sender.channel, sender);
  }

  /** A sender for `channel` is registered in this process. */
  handles(channel: ChannelName): boolean {
    return this.senders.has(channel);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flushAll(), this.o.pollMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async flushAll(): Promise<void> {
    await Promise.all([...this.senders.keys()].map((c) => this.flush(c)));
  }

  /** Delivers what is pending for one channel; concurrent calls share one pass. */
  flush(channel: ChannelName): Promise<void> {
    const current = this.running.get(channel);
    if (current) return current;
    const pass = this.deliver(channel).finally(() => this.running.delete(channel));
    this.running.set(channel, pass);
    return pass;
  }

  private async deliver(channel: ChannelName): Promise<void> {
    const sender = this.senders.get(channel);
    if (!sender) return;
    const rows = await this.o.store.claimOutbox(channel, { now: this.now(), leaseMs: this.leaseMs, limit: 50 });
    for (const row of rows) {
      try {
        await sender.send(row);
        await this.o.store.markOutboxSent(row.id, this.now());
        this.o.onResult?.(row, "sent");
      } catch (e) {
        const error = (e as Error).message.slice(0, 300);
        const permanent = e instanceof PermanentDeliveryError || row.attempts >= this.maxAttempts;
        if (permanent) await this.o.store.markOutboxUndelivered(row.id, error);
        else await this.o.store.markOutboxFailed(row.id, error);
        this.o.log.warn({ outboxId: row.id, channel, attempts: row.attempts, error, permanent }, "delivery failed");
        this.o.onResult?.(row, permanent ? "undelivered" : "failed", error);
      }
    }
  }
}
