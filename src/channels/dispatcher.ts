// Delivers queued replies (the outbox) through the channel each thread came from. A failed
// delivery is retried after its lease; one that keeps failing, or that the platform refuses
// for good (WeChat's 48-hour window), is marked undelivered and shown to the lawyer.

import type { Logger } from "pino";
import type { ChannelName } from "../channel-message.ts";
import type { ConversationStore, OutboxRow } from "../store/conversation-store.ts";

/** Thrown by a sender when retrying cannot help (the platform refuses for good): the row becomes undelivered. */
export class PermanentDeliveryError extends Error {}

/** How a channel delivers one outbox row to its platform. */
export interface ChannelSender {
  readonly channel: ChannelName;
  /** Delivers one row; throws to retry later, or PermanentDeliveryError to give up. */
  send(row: OutboxRow): Promise<void>;
}

/** What one delivery attempt came to. */
export type DeliveryStatus = "sent" | "failed" | "undelivered";

/** The store, the outcome listener, and the lease, attempt and poll limits of the outbox sender. */
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

/**
 * The one outbox sender: claims queued replies per channel and delivers them through the channel's
 * sender, retrying after a lease and giving up after too many attempts.
 *
 * @example
 * ```ts
 * const dispatcher = new OutboxDispatcher({ store: conversations, log });
 * dispatcher.register(telegram);   // a ChannelSender for "telegram"
 * dispatcher.start();              // poll; core.onReply also wakes it with flush(channel)
 * ```
 */
export class OutboxDispatcher {
  private readonly senders = new Map<ChannelName, ChannelSender>();
  private timer: NodeJS.Timeout | null = null;
  private readonly running = new Map<ChannelName, Promise<void>>();
  /** The one follow-up pass per channel that calls made while a pass ran are waiting for. */
  private readonly queued = new Map<ChannelName, Promise<void>>();
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

  /**
   * Delivers what is pending for one channel. A call while a pass runs joins one follow-up
   * pass instead of starting another, so a reply recorded after the running pass took its
   * rows is still sent now. Never rejects: a pass that fails is logged and retried later.
   */
  flush(channel: ChannelName): Promise<void> {
    const current = this.running.get(channel);
    if (!current) return this.pass(channel);
    let next = this.queued.get(channel);
    if (!next) {
      next = current.then(() => {
        this.queued.delete(channel);
        return this.flush(channel);
      });
      this.queued.set(channel, next);
    }
    return next;
  }

  /** The passes running or queued now, for a shutdown to wait on. */
  sending(): Promise<void>[] {
    return [...this.running.values(), ...this.queued.values()];
  }

  private pass(channel: ChannelName): Promise<void> {
    const pass = this.deliver(channel)
      .catch((err) => this.o.log.warn({ err, channel }, "delivery pass failed; retried at the next poll"))
      .finally(() => this.running.delete(channel));
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
