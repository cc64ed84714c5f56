// Several processes on one database (PostgreSQL): who works on a message. A process claims
// a message before answering it; a claim older than the lease belongs to a process that is
// gone. With one process (SQLite) any claim this process does not hold is a dead run's.

import type { Logger } from "pino";
import type { ConversationStore, InboundRow } from "../store/conversation-store.ts";
import { isFinished, type Job } from "./outcome.ts";

/** The message is being worked on by another process that is still within its lease. */
export class ClaimedElsewhereError extends Error {
  constructor(readonly inboundId: number) {
    super(`inbound ${inboundId} is being processed elsewhere`);
  }
}

/** How long to wait before looking again at work another process holds. */
const pause = () => new Promise((r) => setTimeout(r, 200));

export interface ClaimsOptions {
  store: ConversationStore;
  now: () => Date;
  /** Unset: one process. */
  leaseMs: number | undefined;
  /** Answers an earlier message of the thread that a dead process left (the core's process()). */
  processEarlier: (job: Job) => Promise<unknown>;
}

export class InboundClaims {
  private readonly store: ConversationStore;
  private readonly now: () => Date;

  constructor(private readonly o: ClaimsOptions) {
    this.store = o.store;
    this.now = o.now;
  }

  /**
   * Claims the job's message for this process: the claimed row, or the finished one when
   * another process answered it meanwhile. Throws ClaimedElsewhereError when a live peer has it.
   */
  async claim(job: Job, log: Logger): Promise<{ claimed: InboundRow; finished?: never } | { finished: InboundRow; claimed?: never }> {
    const { inbound } = job;
    const lease = this.o.leaseMs;
    if (lease !== undefined) await this.afterEarlier(inbound, lease, log);
    const now = this.now();
    const staleBefore = new Date(lease === undefined ? now.getTime() + 1 : now.getTime() - lease);
    const claimed = await this.store.claimInbound(inbound.id, { now, staleBefore });
    if (claimed) return { claimed };
    const current = await this.store.getInbound(inbound.id);
    if (current && isFinished(current)) return { finished: current };
    // A platform retry that reached this process while another one works on the message:
    // wait for that answer (or for its lease to lapse, then take over) instead of failing.
    if (lease === undefined || !job.live) throw new ClaimedElsewhereError(inbound.id);
    return this.awaitElsewhere(inbound.id, lease);
  }

  /** No process has received or claimed the message within the lease: whoever had it is gone. */
  lapsed(row: InboundRow, leaseMs: number): boolean {
    return Date.parse(row.claimedAt ?? row.receivedAt) <= this.now().getTime() - leaseMs;
  }

  /** Polls a message claimed by another process until it is finished or its claim lapses. */
  private async awaitElsewhere(id: number, leaseMs: number): Promise<{ finished: InboundRow; claimed?: never } | { finished?: never; claimed: InboundRow }> {
    for (;;) {
      await pause();
      const current = await this.store.getInbound(id);
      if (!current) throw new Error(`inbound ${id} disappeared`);
      if (isFinished(current)) return { finished: current };
      const now = this.now();
      const claimed = await this.store.claimInbound(id, { now, staleBefore: new Date(now.getTime() - leaseMs) });
      if (claimed) return { claimed };
    }
  }

  /**
   * Several processes: the thread queue orders only this process's messages. An earlier
   * message of the thread may be in a peer's hands (wait for its answer) or abandoned by a
   * dead one (answer it here first), so that a follow-up is never answered before the
   * question it follows.
   */
  private async afterEarlier(inbound: InboundRow, leaseMs: number, log: Logger): Promise<void> {
    for (;;) {
      const earlier = await this.store.earlierUnfinishedInbound(inbound.threadId, inbound.id);
      if (!earlier) return;
      if (!this.lapsed(earlier, leaseMs)) {
        await pause();
        continue;
      }
      log.info({ earlierId: earlier.id }, "taking over an abandoned earlier message of the thread first");
      await this.o.processEarlier({ inbound: earlier, verdict: "ok", live: false }).catch((err: unknown) => {
        // A peer took it over meanwhile: the loop waits for that one instead.
        if (!(err instanceof ClaimedElsewhereError)) throw err;
      });
    }
  }
}
