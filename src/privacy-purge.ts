// Scheduled purge of residents' personal data (brief: "purged on schedule"). A thread whose
// last activity is older than LAWDESK_RETENTION_DAYS, and whose referrals (if any) were all
// closed before that cutoff, has its words blanked: inbound message text and stored
// results, history rows, outbox texts, escalation summaries and the stored context. Closed referrals go through the referral service's own redaction (summary,
// timeline texts, rating comments). Ids, times, topics and regions stay for statistics, and
// the audit log is never touched except to append what the purge did.

import type { Logger } from "pino";
import type { ReferralService } from "./referral/service.ts";
import { SqlConversationStore } from "./store/conversation-store.ts";
import type { SqlDb } from "./store/sql.ts";

export const PURGED_TEXT = "[已清除]";
const DAY_MS = 24 * 3600 * 1000;

export interface PurgeResult {
  cutoff: string;
  threads: number;
  referrals: number;
}

export interface PurgeJobOptions {
  /** The conversation and audit tables, on SQLite or PostgreSQL. */
  sql: SqlDb;
  referrals: Pick<ReferralService, "redactClosedBefore">;
  retentionDays: number;
  now?: () => Date;
  log?: Logger;
}

export class PurgeJob {
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => Date;

  constructor(private readonly o: PurgeJobOptions) {
    this.now = o.now ?? (() => new Date());
  }

  /** Runs now, then every `intervalMs` (a day by default) until stop(). */
  start(intervalMs = DAY_MS): Promise<PurgeResult | null> {
    this.stop();
    this.timer = setInterval(() => void this.runSafely(), intervalMs);
    this.timer.unref();
    return this.runSafely();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass; safe to repeat (already blanked rows are left alone). */
  async run(): Promise<PurgeResult> {
    const at = this.now();
    const cutoff = new Date(at.getTime() - this.o.retentionDays * DAY_MS).toISOString();
    const referrals = await this.o.referrals.redactClosedBefore(new Date(cutoff));
    const threads = await this.purgeThreads(cutoff, at.toISOString());
    const result = { cutoff, threads, referrals };
    if (threads + referrals > 0) this.o.log?.info(result, "personal data purged after the retention period");
    return result;
  }

  private async runSafely(): Promise<PurgeResult | null> {
    try {
      return await this.run();
    } catch (err) {
      this.o.log?.error({ err }, "personal data purge failed; retried at the next run");
      return null;
    }
  }

  private purgeThreads(cutoff: string, at: string): Promise<number> {
    return new SqlConversationStore(this.o.sql).purgeQuietThreads(cutoff, at, PURGED_TEXT);
  }
}
