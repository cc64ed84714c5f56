// Work a running app starts and nobody awaits: listener handlers (a referral created after an
// escalation, a rating recorded), outbox sends woken by a reply, relays across processes.
// Shutdown waits for it, so the database is not closed under a send that is about to be
// marked sent; but only so long, so one hung platform call cannot hang the shutdown.

/**
 * The promises an app has started and not yet seen settle.
 *
 * @example
 * ```ts
 * const work = new InFlight();
 * core.onRating((e) => work.track(referrals.rate(e.referralId, e.stars, e.comment)));
 * // at shutdown: let what runs finish, at most 5 s, then close the store
 * if (!(await work.settled(5_000))) log.warn({ unfinished: work.size }, "shutdown cut work off");
 * ```
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  /** How many tracked promises have not settled yet. */
  get size(): number {
    return this.pending.size;
  }

  /** Tracks `work` until it settles and returns it unchanged (a rejection stays the caller's to handle). */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const release = () => void this.pending.delete(work);
    work.then(release, release);
    return work;
  }

  /**
   * Resolves true once nothing is in flight, counting work started while waiting (a
   * referral's notice queues a send) and whatever `others` lists each round (work other
   * parts track themselves); false when `timeoutMs` passed first.
   */
  async settled(timeoutMs: number, others: () => readonly Promise<unknown>[] = () => []): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      for (;;) {
        const waiting = [...this.pending, ...others()];
        if (waiting.length === 0) return true;
        if (!(await Promise.race([Promise.allSettled(waiting).then(() => true), timeout]))) return false;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
