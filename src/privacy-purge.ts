// Scheduled purge of residents' personal data (brief: "purged on schedule"). A thread whose
// last activity is older than LAWDESK_RETENTION_DAYS, and whose referrals (if any) were all
// closed before that cutoff, has its words blanked: inbound message text and stored
// results, history rows, outbox texts, escalation summaries and the stored context. Closed referrals go through the referral service's own redaction (summary,
// timeline texts, rating comments). Ids, times, topics and regions stay for statistics, and
// the audit log is never touched except to append what the purge did.

import type { Logger } from "pino";
import type { ReferralService } from "./referral/service.ts";
import type { SqlDb } from "./store/sql.ts";

export const PURGED_TEXT = "[已清除]";
const DAY_MS = 24 * 3600 * 1000;
/** Threads per UPDATE … IN (…): well under SQLite's bound-parameter limit. */
const PURGE_BATCH = 500;

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

  private async purgeThreads(cutoff: string, at: string): Promise<number> {
    const sql = this.o.sql;
    const pg = sql.dialect.name === "postgres";
    const personal = (key: string) => `${sql.dialect.json("t.context", key)} IS NOT NULL`;
    return sql.transaction(async (tx) => {
      // Quiet since the cutoff, not owned by a person, nothing unfinished, every referral closed before the cutoff.
      // On PostgreSQL the thread rows are locked: a resident writing again at this moment bumps
      // updated_at under the same lock, so the thread is then re-checked and left alone
      // instead of having the new message blanked (SQLite's BEGIN IMMEDIATE already excludes writers).
      const ids = (
        await tx.all<{ id: unknown }>(
          `SELECT t.id FROM threads t
           WHERE t.updated_at < ? AND t.owned_by IS NULL
             AND NOT EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = t.id AND m.created_at >= ?)
             AND NOT EXISTS (SELECT 1 FROM inbound_messages i WHERE i.thread_id = t.id AND (i.received_at >= ? OR i.status IN ('received', 'processing')))
             AND NOT EXISTS (SELECT 1 FROM referrals r WHERE r.thread_id = CAST(t.id AS TEXT) AND (r.status <> 'closed' OR r.closed_at >= ?))
             AND (
               EXISTS (SELECT 1 FROM inbound_messages i WHERE i.thread_id = t.id AND i.text <> ?)
               OR EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = t.id AND m.text <> ?)
               OR EXISTS (SELECT 1 FROM outbox o WHERE o.thread_id = t.id AND o.text <> ?)
               OR ${personal("lastQuestion")}
               OR ${personal("lastFullAnswer")}
             )
           ORDER BY t.id${pg ? " FOR UPDATE OF t" : ""}`,
          [cutoff, cutoff, cutoff, cutoff, PURGED_TEXT, PURGED_TEXT, PURGED_TEXT],
        )
      ).map((r) => Number(r.id));
      // Both keys kept as JSON null (what the context type says), on either store.
      const clearContext = pg
        ? `context = context || '{"lastQuestion": null, "lastFullAnswer": null}'::jsonb`
        : "context = json_set(context, '$.lastQuestion', NULL, '$.lastFullAnswer', NULL)";
      for (let i = 0; i < ids.length; i += PURGE_BATCH) {
        const batch = ids.slice(i, i + PURGE_BATCH);
        const inList = `(${batch.map(() => "?").join(", ")})`;
        await tx.run(`UPDATE inbound_messages SET text = ?, result = NULL WHERE thread_id IN ${inList}`, [PURGED_TEXT, ...batch]);
        // Every history row: bot and system rows can repeat what the resident said (notes, 【详细】 texts).
        await tx.run(`UPDATE thread_messages SET text = ? WHERE thread_id IN ${inList}`, [PURGED_TEXT, ...batch]);
        await tx.run(`UPDATE outbox SET text = ? WHERE thread_id IN ${inList}`, [PURGED_TEXT, ...batch]);
        await tx.run(`UPDATE escalations SET summary = ? WHERE thread_id IN ${inList}`, [PURGED_TEXT, ...batch]);
        await tx.run(`UPDATE threads SET ${clearContext} WHERE id IN ${inList}`, batch);
      }
      if (ids.length > 0) {
        await tx.run("INSERT INTO audit_log (at, actor_id, action, target_type, target_id, detail) VALUES (?, NULL, 'privacy.purge', 'system', NULL, ?)", [
          at,
          JSON.stringify({ cutoff, threads: ids.length }),
        ]);
      }
      return ids.length;
    });
  }
}
