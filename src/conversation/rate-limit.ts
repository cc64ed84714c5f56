// Per-sender flood limit: it protects the pipeline (and the LLM behind it) from floods, so
// losing its state on a restart costs nothing. One process keeps a sliding window in memory;
// several processes on PostgreSQL count in the database (SharedSenderLimiter), or a flood
// spread over N servers by a load balancer would get N allowances.

import type { SqlRateCounter } from "../store/rate-counter.ts";

export type RateVerdict =
  /** Within the limit: process normally. */
  | "ok"
  /** The first message over the limit: tell the sender to slow down. */
  | "notice"
  /** Further messages over the limit in the same window: record them, say nothing. */
  | "silence";

/** Counts a sender's messages and says whether this one is answered, answered with a notice to slow down, or only recorded. */
export interface SenderLimiter {
  /** Counts one message from `sender` at `now` (ms). */
  hit(sender: string, now: number): RateVerdict | Promise<RateVerdict>;
}

interface SenderWindow {
  /** Times (ms) of the messages let through in the last window. */
  hits: number[];
  /** The sender has been told to slow down since last falling under the limit. */
  noticed: boolean;
}

/**
 * A per-sender limit over the last minute, in memory: the one-process default.
 *
 * @example
 * ```ts
 * const limiter = new SlidingWindowLimiter(10);          // 10 messages a minute
 * limiter.hit("wechaty\u0000wxid_abc", Date.now());    // "ok", then "notice" once, then "silence"
 * ```
 */
export class SlidingWindowLimiter implements SenderLimiter {
  private readonly senders = new Map<string, SenderWindow>();
  private hitsSinceSweep = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one message from `sender` at `now`. Only messages let through fill the window. */
  hit(sender: string, now: number): RateVerdict {
    if (++this.hitsSinceSweep >= 1000) this.sweep(now);
    const w = this.senders.get(sender) ?? { hits: [], noticed: false };
    this.senders.set(sender, w);
    w.hits = w.hits.filter((t) => t > now - this.windowMs);
    if (w.hits.length < this.limit) {
      w.hits.push(now);
      w.noticed = false;
      return "ok";
    }
    if (w.noticed) return "silence";
    w.noticed = true;
    return "notice";
  }

  /** Forgets senders whose window is empty, so memory stays bounded. */
  private sweep(now: number): void {
    this.hitsSinceSweep = 0;
    for (const [sender, w] of this.senders) if (!w.hits.some((t) => t > now - this.windowMs)) this.senders.delete(sender);
  }
}

/**
 * The flood limit counted in the database, in fixed windows: the first `limit` messages of a
 * window go through, the next one is told to slow down, the rest are recorded in silence.
 */
export class SharedSenderLimiter implements SenderLimiter {
  constructor(
    private readonly counter: SqlRateCounter,
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  async hit(sender: string, now: number): Promise<RateVerdict> {
    const { count } = await this.counter.hit(`sender|${sender}`, this.windowMs, new Date(now));
    return count <= this.limit ? "ok" : count === this.limit + 1 ? "notice" : "silence";
  }
}
