// The rows behind the console's dashboard, on either database. Each reader returns light rows
// for one kind of event (questions, referrals, ratings, undelivered replies); the console
// aggregates them. Every reader applies the same range, filters and region scope.

import { flag, iso, isoOrNull, jsonOr, num, reader, text, textOrNull, type Row } from "./rows.ts";
import { conditions, regionClause, type Dialect } from "./sql.ts";
import { SqlStore } from "./sql-store.ts";

/** What a report covers: [start, end) in ISO UTC, optional filters and the viewer's regions. */
export interface ReportFilter {
  start: string;
  end: string;
  channel: string | null;
  topic: string | null;
  /** The chosen region and everything below it. */
  region: string | null;
  group: string | null;
  /** Regions the viewer may see; null means everything (admins). */
  scope: readonly string[] | null;
}

/** Intents that are requests for help; greetings, thanks and chatter are not questions. */
const QUESTION_INTENTS = "('legal_question', 'follow_up', 'ask_human', 'emergency')";

// One row per message the pipeline judged (rate-limited messages, ratings and messages to a
// lawyer who owns the thread have a reason and are not new questions). The topic of an
// escalated question is the escalation's: the same one its referral carries.
const questions = (d: Dialect) => `
  SELECT i.id, i.received_at AS at, i.channel, i.region, i.group_key, i.text,
         COALESCE(${d.json("i.result", "escalation", "topic")}, ${d.json("i.result", "topic")}, 'other') AS topic,
         ${d.json("i.result", "escalation", "reason")} AS reason,
         ${d.json("i.result", "escalation", "urgency")} AS urgency,
         ${d.json("i.result", "kind")} AS kind
  FROM inbound_messages i
  WHERE i.result IS NOT NULL AND i.reason IS NULL
    AND (${d.json("i.result", "intent")} IN ${QUESTION_INTENTS} OR ${d.json("i.result", "escalation")} IS NOT NULL)`;

// threads.id is an integer, referrals.thread_id text (the two sides migrate independently).
// BIGINT: PostgreSQL thread ids are BIGSERIAL; SQLite reads it as INTEGER affinity.
const THREAD_OF_REFERRAL = "LEFT JOIN threads t ON t.id = CAST(r.thread_id AS BIGINT)";

/** The columns a query's range, filters and scope apply to; a filter without a column is ignored. */
interface Columns {
  /** Event time (ISO UTC text in SQLite, TIMESTAMPTZ in PostgreSQL; both compare with ISO params). */
  at: string;
  channel: string;
  topic: string;
  region: string;
  group: string;
}

const Q_COLS: Columns = { at: "q.at", channel: "q.channel", topic: "q.topic", region: "q.region", group: "q.group_key" };
const R_COLS: Columns = { at: "r.created_at", channel: "r.channel", topic: "r.topic", region: "r.region", group: "t.group_key" };

/** WHERE clause for one query: range, filters and scope, with bound parameters only. */
function where(f: ReportFilter, cols: Columns): { sql: string; params: unknown[] } {
  const { parts, params, add } = conditions();
  add(`${cols.at} >= ?`, f.start);
  add(`${cols.at} < ?`, f.end);
  for (const key of ["channel", "topic", "group"] as const) if (f[key]) add(`${cols[key]} = ?`, f[key]);
  const region = (c: { sql: string; params: unknown[] }) => add(c.sql, ...c.params);
  // The chosen region or below it; rows without a region are not in it.
  if (f.region) region(regionClause([f.region], { none: "1 = 0", column: cols.region, unplaced: false }));
  // A row without a region is visible only to county-wide scopes (src/referral/regions.ts).
  if (f.scope !== null) region(regionClause(f.scope, { none: "1 = 0", column: cols.region }));
  return { sql: parts.join(" AND "), params };
}

// The rows below are typed by their mappers. A day is YYYY-MM-DD in Asia/Shanghai.
const toQuestionFields = reader({
  day: text, channel: text, region: textOrNull, groupKey: textOrNull, topic: text,
  /** Escalation reason, null when the bot did not hand the question on. */
  reason: textOrNull,
  urgency: textOrNull,
});
/** `answered`: the bot replied (kind = reply) without escalating. */
const toQuestion = (r: Row) => ({ ...toQuestionFields(r), answered: r.reason === null && r.kind === "reply" });
export type QuestionRow = ReturnType<typeof toQuestion>;

const toReferralRow = reader({
  day: text, ownerId: textOrNull, createdAt: iso, firstResponseAt: isoOrNull, firstResponseDue: iso, closedAt: isoOrNull,
});
export type ReferralRow = ReturnType<typeof toReferralRow>;

const toRatingRow = reader({ day: text, stars: (v: unknown) => num(v ?? 0), ownerId: textOrNull });
export type RatingRow = ReturnType<typeof toRatingRow>;

const toUserRow = reader({ id: text, name: text, role: text, regions: jsonOr<string[]>(() => []), active: flag });
export type UserRow = ReturnType<typeof toUserRow>;

const toGroupOption = reader({ channel: text, groupKey: text, name: ["group_key", text], region: textOrNull });
/** A choice of the dashboard's group filter. */
export type GroupOption = ReturnType<typeof toGroupOption>;

/** The dashboard's readers; all SQL the console needs for its reports. */
export class SqlReportStore extends SqlStore {
  async questions(f: ReportFilter): Promise<QuestionRow[]> {
    const w = where(f, Q_COLS);
    return this.many(`SELECT ${this.d.day("q.at")} AS day, q.* FROM (${questions(this.d)}) q WHERE ${w.sql}`, w.params, toQuestion);
  }

  /** Texts of questions escalated for low confidence (for the wording list; masked there). */
  async lowConfidenceTexts(f: ReportFilter): Promise<{ topic: string; text: string; day: string }[]> {
    const w = where(f, Q_COLS);
    const rows = await this.db.all(
      `SELECT q.topic, q.text, ${this.d.day("q.at")} AS day FROM (${questions(this.d)}) q WHERE q.reason = 'low_confidence' AND ${w.sql}`,
      w.params,
    );
    return rows.map((r) => ({ topic: String(r.topic), text: String(r.text), day: String(r.day) }));
  }

  /** Referrals created in the range (their first cycle carries the deadline statistics). */
  async referrals(f: ReportFilter): Promise<ReferralRow[]> {
    const w = where(f, R_COLS);
    return this.many(
      `SELECT ${this.d.day("r.created_at")} AS day, r.owner_id, r.created_at, r.first_response_at, r.first_response_due, r.closed_at
       FROM referrals r ${THREAD_OF_REFERRAL} WHERE ${w.sql}`,
      w.params,
      toReferralRow,
    );
  }

  /** Ratings given in the range (一案一评: one per referral cycle), filtered through their referral. */
  async ratings(f: ReportFilter): Promise<RatingRow[]> {
    const w = where(f, { ...R_COLS, at: "rr.at" });
    return this.many(
      `SELECT ${this.d.day("rr.at")} AS day, rr.stars, rr.owner_id
       FROM referral_ratings rr JOIN referrals r ON r.id = rr.referral_id ${THREAD_OF_REFERRAL} WHERE ${w.sql}`,
      w.params,
      toRatingRow,
    );
  }

  /**
   * Replies that could not be delivered for good, by the day they were written. A lawyer's
   * reply takes its topic and region from its referral, a bot answer from its question.
   */
  async undelivered(f: ReportFilter): Promise<{ day: string; kind: string }[]> {
    const d = this.d;
    const base = `
      SELECT o.created_at AS at, o.channel, o.kind, t.group_key,
             COALESCE(r.region, i.region, t.region) AS region,
             COALESCE(r.topic, ${d.json("i.result", "escalation", "topic")}, ${d.json("i.result", "topic")}, 'other') AS topic
      FROM outbox o
      JOIN threads t ON t.id = o.thread_id
      LEFT JOIN inbound_messages i ON i.id = o.inbound_id
      LEFT JOIN referrals r ON r.id = (SELECT e.referral_id FROM referral_events e WHERE e.outbox_id = CAST(o.id AS TEXT) LIMIT 1)
      WHERE o.status = 'undelivered'`;
    const w = where(f, { at: "u.at", channel: "u.channel", topic: "u.topic", region: "u.region", group: "u.group_key" });
    const rows = await this.db.all(`SELECT ${d.day("u.at")} AS day, u.kind FROM (${base}) u WHERE ${w.sql}`, w.params);
    return rows.map((r) => ({ day: String(r.day), kind: String(r.kind) }));
  }

  async staff(): Promise<UserRow[]> {
    return this.many("SELECT id, name, role, regions, active FROM users", [], toUserRow);
  }

  /** Groups questions came from, named by their key (the channels know their names), for the group filter. */
  async groupsAsked(): Promise<GroupOption[]> {
    return this.many("SELECT DISTINCT channel, group_key, region FROM inbound_messages WHERE group_key IS NOT NULL", [], toGroupOption);
  }
}
