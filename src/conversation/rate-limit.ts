// Per-sender sliding-window rate limit. Kept in memory: it protects the pipeline (and the
// LLM behind it) from floods, so losing its state on a restart costs nothing.

export type RateVerdict =
  /** Within the limit: process normally. */
  | "ok"
  /** The first message over the limit: tell the sender to slow down. */
  | "notice"
  /** Further messages over the limit in the same window: record them, say nothing. */
  | "silence";

interface SenderWindow {
  /** Times (ms) of the messages let through in the last window. */
  hits: number[];
  /** The sender has been told to slow down since last falling under the limit. */
  noticed: boolean;
}

export class SlidingWindowLimiter {
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
