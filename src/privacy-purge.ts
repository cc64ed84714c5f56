// Scheduled purge of residents' personal data (brief: "purged on schedule"). A thread whose
// last activity is older than LAWDESK_RETENTION_DAYS, and whose referrals (if any) were all
// closed before that cutoff, has its words blanked: inbound message text and stored
// results, history rows, outbox texts, escalation summaries and the stored context. Closed referrals go through the referral service's own redaction (summary,
// timeline texts, rating comments). Ids, times, topics and regions stay for statistics, and
// the audit log is never touched except to append what the purge did.

import type { Logger } from "pino";
import type { ReferralService } from "./referral/service.ts";
import type { SqliteDb } from "./store/sqlite.ts";

export const PURGED_TEXT = "[已清除]";
const DAY_MS = 24 * 3600 * 1000;

export interface PurgeResult {
  cutoff: string;
  threads: number;
  referrals: number;
}

export interface PurgeJobOptions {
  db: SqliteDb;
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
    const threads = this.purgeThreads(cutoff, at.toISOString());
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

  private purgeThreads(cutoff: string, at: string): number {
    const db = this.o.db;
    return db.transaction(() => {
      // Quiet since the cutoff, not owned by a person, nothing unfinished, every referral closed before the cutoff.
      const ids = (
        db
          .prepare(
            `SELECT t.id FROM threads t
             WHERE t.updated_at < @cutoff AND t.owned_by IS NULL
               AND NOT EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = t.id AND m.created_at >= @cutoff)
               AND NOT EXISTS (SELECT 1 FROM inbound_messages i WHERE i.thread_id = t.id AND (i.received_at >= @cutoff OR i.status IN ('received', 'processing')))
               AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.thread_id = CAST(t.id AS TEXT) AND (r.status <> 'closed' OR r.closed_at >= @cutoff))
               AND (
                 EXISTS (SELECT 1 FROM inbound_messages i WHERE i.thread_id = t.id AND i.text <> @purged)
                 OR EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = t.id AND m.text <> @purged)
                 OR EXISTS (SELECT 1 FROM outbox o WHERE o.thread_id = t.id AND o.text <> @purged)
                 OR json_extract(t.context, '$.lastQuestion') IS NOT NULL
                 OR json_extract(t.context, '$.lastFullAnswer') IS NOT NULL
               )`,
          )
          .all({ cutoff, purged: PURGED_TEXT }) as { id: number }[]
      ).map((r) => r.id);
      const statements = [
        "UPDATE inbound_messages SET text = @purged, result = NULL WHERE thread_id = @id",
        // Every history row: bot and system rows can repeat what the resident said (notes, 【详细】 texts).
        "UPDATE thread_messages SET text = @purged WHERE thread_id = @id",
        "UPDATE outbox SET text = @purged WHERE thread_id = @id",
        "UPDATE escalations SET summary = @purged WHERE thread_id = @id",
        "UPDATE threads SET context = json_set(context, '$.lastQuestion', NULL, '$.lastFullAnswer', NULL) WHERE id = @id",
      ].map((sql) => db.prepare(sql));
      for (const id of ids) for (const s of statements) s.run({ id, purged: PURGED_TEXT });
      if (ids.length > 0) {
        db.prepare("INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail) VALUES (?, NULL, 'privacy.purge', 'system', NULL, ?)").run(
          at,
          JSON.stringify({ cutoff, threads: ids.length }),
        );
      }
      return ids.length;
    }).immediate();
  }
}
