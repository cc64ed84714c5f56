// After a soak: counts in the store itself that every message got exactly one answer (or
// escalation) and every accepted lawyer reply was stored and queued once.

import Database from "better-sqlite3";
import pg from "pg";
import { PgSql, SqliteSql, sqlValue, type SqlDb } from "../../src/store/sql.ts";
import type { SoakChecks, SoakStore } from "./types.ts";

/** Counts in the store itself, after the server stopped (so nothing is still in flight). */
export async function dbChecks(
  store: SoakStore,
  dbPath: string,
  url: string,
  schema: string | null,
  client: Pick<SoakChecks, "messagesPosted" | "lawyerRepliesAccepted" | "repliesSeenOnce" | "repliesMissing" | "repliesDuplicated" | "repliesUnmapped">,
): Promise<SoakChecks> {
  let sql: SqlDb;
  let close: () => Promise<void>;
  if (store === "postgres") {
    const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` });
    pool.on("error", () => undefined);
    sql = new PgSql(pool);
    close = () => pool.end();
  } else {
    const db = new Database(dbPath, { readonly: true });
    sql = new SqliteSql(db);
    close = async () => {
      db.close();
    };
  }
  try {
    const n = sqlValue.num;
    const row = (await sql.get<Record<string, unknown>>(
      `SELECT COUNT(*) AS inbound,
              SUM(CASE WHEN i.status = 'done' THEN 1 ELSE 0 END) AS done,
              SUM(CASE WHEN COALESCE(b.n, 0) = 1 AND COALESCE(o.n, 0) = 1 THEN 1 ELSE 0 END) AS exactly_one,
              SUM(CASE WHEN i.reason = 'owned_by_person' AND COALESCE(b.n, 0) = 0 AND COALESCE(o.n, 0) <= 1 THEN 1 ELSE 0 END) AS forwarded,
              SUM(CASE WHEN COALESCE(b.n, 0) > 1 OR COALESCE(o.n, 0) > 1 THEN 1 ELSE 0 END) AS duplicated,
              SUM(CASE WHEN i.text LIKE '转人工%' THEN 1 ELSE 0 END) AS asked,
              SUM(CASE WHEN i.text LIKE '转人工%' AND COALESCE(e.n, 0) = 1 THEN 1 ELSE 0 END) AS escalated,
              SUM(CASE WHEN i.text NOT LIKE '转人工%' AND COALESCE(e.n, 0) > 0 THEN 1 ELSE 0 END) AS unasked
         FROM inbound_messages i
         LEFT JOIN (SELECT inbound_id, COUNT(*) AS n FROM thread_messages WHERE role = 'bot' AND inbound_id IS NOT NULL GROUP BY inbound_id) b ON b.inbound_id = i.id
         LEFT JOIN (SELECT inbound_id, COUNT(*) AS n FROM outbox WHERE inbound_id IS NOT NULL GROUP BY inbound_id) o ON o.inbound_id = i.id
         LEFT JOIN (SELECT inbound_id, COUNT(*) AS n FROM escalations WHERE inbound_id IS NOT NULL GROUP BY inbound_id) e ON e.inbound_id = i.id
        WHERE i.channel = 'web' AND i.platform_message_id LIKE ?`,
      ["%:soak-%"],
    ))!;
    const lawyerRows = n((await sql.get<{ n: unknown }>("SELECT COUNT(*) AS n FROM thread_messages WHERE role = 'lawyer'"))?.n);
    const byStatus = async (q: string) =>
      Object.fromEntries((await sql.all<{ status: string; n: unknown }>(q)).map((r) => [r.status, n(r.n)])) as Record<string, number>;
    const lawyerOutbox = await byStatus("SELECT status, COUNT(*) AS n FROM outbox WHERE kind = 'lawyer_reply' GROUP BY status ORDER BY status");
    const referralsByStatus = await byStatus("SELECT status, COUNT(*) AS n FROM referrals GROUP BY status ORDER BY status");
    const c: SoakChecks = {
      ...client,
      inboundRows: n(row.inbound),
      inboundDone: n(row.done),
      exactlyOneReply: n(row.exactly_one),
      forwardedToLawyer: n(row.forwarded),
      missingReply: n(row.inbound) - n(row.exactly_one) - n(row.forwarded) - n(row.duplicated),
      duplicateReply: n(row.duplicated),
      escalationsAsked: n(row.asked),
      escalationsRecorded: n(row.escalated),
      escalatedUnasked: n(row.unasked),
      lawyerRows,
      lawyerOutbox,
      referralsByStatus,
      failures: [],
    };
    const f = c.failures;
    if (c.inboundRows !== c.messagesPosted) f.push(`${c.messagesPosted} messages acknowledged but ${c.inboundRows} stored`);
    if (c.inboundDone !== c.inboundRows) f.push(`${c.inboundRows - c.inboundDone} messages not 'done'`);
    if (c.missingReply) {
      // Which outcome they had instead, for the report.
      const why = await sql.all<{ status: string; reason: string | null; n: unknown }>(
        `SELECT i.status, i.reason, COUNT(*) AS n FROM inbound_messages i
          WHERE i.channel = 'web' AND i.platform_message_id LIKE ?
            AND NOT EXISTS (SELECT 1 FROM thread_messages m WHERE m.thread_id = i.thread_id AND m.inbound_id = i.id AND m.role = 'bot')
            AND COALESCE(i.reason, '') <> 'owned_by_person'
          GROUP BY i.status, i.reason`,
        ["%:soak-%"],
      );
      f.push(`${c.missingReply} messages without an answer (${why.map((w) => `${w.status}/${w.reason ?? "-"}: ${n(w.n)}`).join(", ")})`);
    }
    if (c.duplicateReply) f.push(`${c.duplicateReply} messages answered more than once`);
    if (c.escalationsRecorded !== c.escalationsAsked) f.push(`${c.escalationsAsked} 转人工 messages but ${c.escalationsRecorded} escalations recorded`);
    if (c.lawyerRows !== c.lawyerRepliesAccepted) f.push(`${c.lawyerRepliesAccepted} lawyer replies accepted but ${c.lawyerRows} stored`);
    const outboxTotal = Object.values(c.lawyerOutbox).reduce((a, b) => a + b, 0);
    if (outboxTotal !== c.lawyerRepliesAccepted) f.push(`${c.lawyerRepliesAccepted} lawyer replies accepted but ${outboxTotal} in the outbox`);
    if (c.repliesMissing) f.push(`${c.repliesMissing} lawyer replies missing from the resident's history`);
    if (c.repliesDuplicated) f.push(`${c.repliesDuplicated} lawyer replies shown more than once`);
    if (c.repliesUnmapped) f.push(`${c.repliesUnmapped} lawyer replies whose resident could not be identified`);
    return c;
  } finally {
    await close();
  }
}

