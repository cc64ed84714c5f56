// Delivers the outbox rows of the official account, exactly once per row within the process:
// in the passive reply when a request for the message is still waiting, else through the
// customer-service API. Two callers reach the same row — the HTTP request that wants its
// answer now, and the outbox dispatcher (lawyer replies, retries, recovery after a crash) —
// and share one attempt. A passive reply is recorded (committed) before it is written, so a
// crash cannot leave an answer that left in a reply looking unsent; WeChat's re-send of that
// message gets the stored answer again, and nothing goes by the customer-service API.
// Replies refused for the 48-hour window stay 'undelivered' until the resident writes
// again; then they go out first, with a short notice.

import type { Logger } from "pino";
import type { ChannelSender } from "../dispatcher.ts";
import { PermanentDeliveryError } from "../dispatcher.ts";
import { fits, splitToFit } from "../../text-fit.ts";
import type { ConversationStore, OutboxRow } from "../../store/conversation-store.ts";
import type { WechatApiClient } from "./api.ts";
import type { PassiveReplies } from "./passive.ts";
import { wechatOaProfile } from "./profile.ts";
import { lateDeliveryText } from "./replies.ts";

const LIMITS = wechatOaProfile.format;
/** WeChat allows only a few customer-service messages per resident message. */
const MAX_PARTS = 4;

export type DeliveryStore = Pick<
  ConversationStore,
  | "getOutbox"
  | "getInbound"
  | "markOutboxSent"
  | "markOutboxPassive"
  | "unmarkOutboxPassive"
  | "markOutboxFailed"
  | "markOutboxUndelivered"
  | "findThread"
  | "listOutbox"
>;

export type DeliveryRoute = "passive" | "customer_service";

export interface DeliveryOptions {
  store: DeliveryStore;
  passive: PassiveReplies;
  /** Null when no AppID/AppSecret is configured: only passive replies are possible. */
  api: WechatApiClient | null;
  log: Logger;
  now?: () => Date;
  /** A reply kept as undelivered went out late (the referral queue records lawyer replies'). */
  onLateDelivery?: (row: OutboxRow) => void;
}

/** Remembers the last `max` ids (row ids delivered by this process). */
class RecentIds {
  private readonly ids = new Set<number>();
  constructor(private readonly max: number) {}
  add(id: number): void {
    this.ids.add(id);
    if (this.ids.size > this.max) this.ids.delete(this.ids.values().next().value as number);
  }
  has(id: number): boolean {
    return this.ids.has(id);
  }
}

/**
 * Delivers the official account's outbox rows once each: in the passive reply while WeChat's
 * request still waits, else through the customer-service API.
 */
export class WechatOaDelivery implements ChannelSender {
  readonly channel = "wechat_oa" as const;
  private readonly inFlight = new Map<number, Promise<DeliveryRoute | "already">>();
  private readonly delivered = new RecentIds(20_000);
  private readonly catchUps = new Map<string, Promise<void>>();
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(private readonly o: DeliveryOptions) {
    this.log = o.log.child({ module: "wechat_oa_delivery" });
    this.now = o.now ?? (() => new Date());
  }

  /** The dispatcher's entry: resolves once delivered, throws to retry, PermanentDeliveryError to give up. */
  async send(row: OutboxRow): Promise<void> {
    await this.deliver(row);
  }

  /**
   * The HTTP request's entry once the core has an answer: delivers the row now (it may be
   * the caller's passive reply) and records the outcome. Never throws.
   */
  async deliverAnswer(outboxId: number): Promise<DeliveryRoute | "already" | "failed"> {
    // Being delivered by this process: that attempt offers it to this request too.
    const running = this.inFlight.get(outboxId);
    if (running) return running.then(() => "already" as const, () => "already" as const);
    const row = await this.o.store.getOutbox(outboxId);
    // Left in a passive reply before (maybe just before a crash): WeChat re-sent the message, so
    // it did not get that reply; this request carries the stored answer. Never another route.
    if (row?.status === "sent" && row.passiveAt !== null && !this.inFlight.has(row.id)) {
      const key = await this.messageKey(row);
      return key !== null && (await this.o.passive.offer(key, row.text)) ? "passive" : "already";
    }
    if (!row || row.status === "sent" || row.status === "undelivered" || this.delivered.has(row.id)) return "already";
    try {
      const route = await this.deliver(row);
      await this.o.store.markOutboxSent(row.id, this.now());
      return route;
    } catch (e) {
      // The dispatcher takes it from here (retries, or 'undelivered' for the lawyer to see).
      const error = (e as Error).message.slice(0, 300);
      if (e instanceof PermanentDeliveryError) await this.o.store.markOutboxUndelivered(row.id, error);
      else await this.o.store.markOutboxFailed(row.id, error);
      this.log.warn({ outboxId: row.id, error, permanent: e instanceof PermanentDeliveryError }, "answer not delivered");
      return "failed";
    }
  }

  /** Resolves once every delivery and late delivery under way has settled (for shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.catchUps.size > 0) {
      await Promise.allSettled([...this.inFlight.values(), ...this.catchUps.values()]);
    }
  }

  /** One attempt per row at a time; a row this process delivered is not sent again. */
  deliver(row: OutboxRow): Promise<DeliveryRoute | "already"> {
    if (this.delivered.has(row.id)) return Promise.resolve("already");
    const running = this.inFlight.get(row.id);
    if (running) return running;
    const attempt = this.attempt(row)
      .then((route) => {
        this.delivered.add(row.id);
        this.log.info({ outboxId: row.id, kind: row.kind, route }, "delivered");
        return route;
      })
      .finally(() => this.inFlight.delete(row.id));
    this.inFlight.set(row.id, attempt);
    return attempt;
  }

  /**
   * The resident wrote: their replies kept as undelivered go out now, oldest first, each
   * with a notice. Concurrent calls for one resident share one pass. Never throws.
   */
  catchUp(openid: string): Promise<void> {
    const running = this.catchUps.get(openid);
    if (running) return running;
    const pass = this.deliverUndelivered(openid)
      .catch((err: unknown) => this.log.warn({ err }, "late delivery failed; kept for the next message"))
      .finally(() => this.catchUps.delete(openid));
    this.catchUps.set(openid, pass);
    return pass;
  }

  private async attempt(row: OutboxRow): Promise<DeliveryRoute | "already"> {
    const key = await this.messageKey(row);
    if (key !== null) {
      let marked = false;
      const record = async () => marked || (marked = await this.o.store.markOutboxPassive(row.id, this.now()));
      // The try that took it may close before the write (WeChat gave up on it): a newer try
      // of the same message may be waiting, and takes it under the same record.
      do {
        if (await this.o.passive.offer(key, row.text, record)) return "passive";
      } while (marked && this.o.passive.waitingFor(key) > 0);
      // Recorded as passive but not written: due again, for the customer-service API.
      if (marked) await this.o.store.unmarkOutboxPassive(row.id);
    }
    // Keep the order the resident reads in: a late reply being delivered goes first.
    await this.catchUps.get(row.threadKey);
    const current = await this.o.store.getOutbox(row.id);
    if (current?.status === "sent") return "already"; // another path finished it meanwhile
    await this.sendParts(row.threadKey, row.text);
    return "customer_service";
  }

  /** The platform id requests of the row's message wait under; null when it cannot go in a passive reply. */
  private async messageKey(row: OutboxRow): Promise<string | null> {
    if (row.inboundId === null || !fits(row.text, LIMITS)) return null;
    return (await this.o.store.getInbound(row.inboundId))?.platformMessageId ?? null;
  }

  private async sendParts(openid: string, text: string): Promise<void> {
    const api = this.o.api;
    if (!api) throw new PermanentDeliveryError("customer-service API not configured (WECHAT_OA_APPID and WECHAT_OA_APPSECRET)");
    const parts = splitToFit(text, LIMITS);
    if (parts.length > MAX_PARTS) parts.length = MAX_PARTS;
    for (const part of parts) await api.sendText(openid, part);
  }

  private async deliverUndelivered(openid: string): Promise<void> {
    if (!this.o.api) return;
    const thread = await this.o.store.findThread("wechat_oa", openid);
    if (!thread) return;
    const rows = await this.o.store.listOutbox({ threadId: thread.id, status: "undelivered" });
    for (const row of rows) {
      if (this.delivered.has(row.id)) continue;
      // Stops at the first failure so the order is kept for the next try.
      await this.sendParts(openid, lateDeliveryText(row.kind, row.text));
      this.delivered.add(row.id);
      await this.o.store.markOutboxSent(row.id, this.now());
      this.log.info({ outboxId: row.id, kind: row.kind }, "undelivered reply delivered late");
      this.o.onLateDelivery?.(row);
    }
  }
}
