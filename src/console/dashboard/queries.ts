// The rows behind the dashboard, read through the SqlDb facade (SQLite or PostgreSQL). Each
// reader returns light rows for one kind of event (questions, referrals, ratings,
// undelivered replies, group questions); tables.ts aggregates them. Every reader applies the
// same filters and scope. Driver-dependent values (Date vs ISO text, COUNT as string, JSONB
// parsed vs text, BOOLEAN vs 0/1) are read with sqlValue so both stores give the same rows.

import { textOrNull } from "../../store/rows.ts";
import { GroupStore, type GroupNeedRow } from "../../channels/groups/index.ts";
import { sqlValue, type Dialect, type SqlDb } from "../../store/sql.ts";
import { whereSql, type Filters, type Scope } from "./filters.ts";

/** Intents that are requests for help; greetings, thanks and chatter are not questions. */
const QUESTION_INTENTS = "('legal_question', 'follow_up', 'ask_human', 'emergency')";

export interface QuestionRow {
  day: string;
  channel: string;
  region: string | null;
  groupKey: string | null;
  topic: string;
  /** Escalation reason, null when the bot did not hand the question on. */
  reason: string | null;
  urgency: string | null;
  /** The bot replied (kind = reply) without escalating. */
  answered: boolean;
}

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

const Q_COLS = { at: "q.at", channel: "q.channel", topic: "q.topic", region: "q.region", group: "q.group_key" };

export async function questionRows(db: SqlDb, f: Filters, scope: Scope): Promise<QuestionRow[]> {
  const w = whereSql(f, scope, Q_COLS);
  const rows = await db.all(`SELECT ${db.dialect.day("q.at")} AS day, q.* FROM (${questions(db.dialect)}) q WHERE ${w.sql}`, w.params);
  return rows.map((r) => ({
    day: String(r.day),
    channel: String(r.channel),
    region: textOrNull(r.region),
    groupKey: textOrNull(r.group_key),
    topic: String(r.topic),
    reason: textOrNull(r.reason),
    urgency: textOrNull(r.urgency),
    answered: r.reason === null && r.kind === "reply",
  }));
}

/** Texts of questions escalated for low confidence (for the wording list; masked there). */
export async function lowConfidenceTexts(db: SqlDb, f: Filters, scope: Scope): Promise<{ topic: string; text: string; day: string }[]> {
  const w = whereSql(f, scope, Q_COLS);
  const rows = await db.all(`SELECT q.topic, q.text, ${db.dialect.day("q.at")} AS day FROM (${questions(db.dialect)}) q WHERE q.reason = 'low_confidence' AND ${w.sql}`, w.params);
  return rows.map((r) => ({ topic: String(r.topic), text: String(r.text), day: String(r.day) }));
}

export interface ReferralRow {
  day: string;
  ownerId: string | null;
  createdAt: string;
  firstResponseAt: string | null;
  firstResponseDue: string;
  closedAt: string | null;
}

// threads.id is an integer, referrals.thread_id text (the two sides migrate independently).
// BIGINT: PostgreSQL thread ids are BIGSERIAL; SQLite reads it as INTEGER affinity.
const THREAD_OF_REFERRAL = "LEFT JOIN threads t ON t.id = CAST(r.thread_id AS BIGINT)";
const R_COLS = { at: "r.created_at", channel: "r.channel", topic: "r.topic", region: "r.region", group: "t.group_key" };

/** Referrals created in the range (their first cycle carries the deadline statistics). */
export async function referralRows(db: SqlDb, f: Filters, scope: Scope): Promise<ReferralRow[]> {
  const w = whereSql(f, scope, R_COLS);
  const rows = await db.all(
    `SELECT ${db.dialect.day("r.created_at")} AS day, r.owner_id, r.created_at, r.first_response_at, r.first_response_due, r.closed_at
     FROM referrals r ${THREAD_OF_REFERRAL} WHERE ${w.sql}`,
    w.params,
  );
  return rows.map((r) => ({
    day: String(r.day),
    ownerId: textOrNull(r.owner_id),
    createdAt: sqlValue.iso(r.created_at)!,
    firstResponseAt: sqlValue.iso(r.first_response_at),
    firstResponseDue: sqlValue.iso(r.first_response_due)!,
    closedAt: sqlValue.iso(r.closed_at),
  }));
}

export interface RatingRow {
  day: string;
  stars: number;
  ownerId: string | null;
}

/** Ratings given in the range (一案一评: one per referral cycle), filtered through their referral. */
export async function ratingRows(db: SqlDb, f: Filters, scope: Scope): Promise<RatingRow[]> {
  const w = whereSql(f, scope, { ...R_COLS, at: "rr.at" });
  const rows = await db.all(
    `SELECT ${db.dialect.day("rr.at")} AS day, rr.stars, rr.owner_id
     FROM referral_ratings rr JOIN referrals r ON r.id = rr.referral_id ${THREAD_OF_REFERRAL} WHERE ${w.sql}`,
    w.params,
  );
  return rows.map((r) => ({ day: String(r.day), stars: sqlValue.num(r.stars), ownerId: textOrNull(r.owner_id) }));
}

/**
 * Replies that could not be delivered for good, by the day they were written. A lawyer's
 * reply takes its topic and region from its referral, a bot answer from its question.
 */
export async function undeliveredRows(db: SqlDb, f: Filters, scope: Scope): Promise<{ day: string; kind: string }[]> {
  const d = db.dialect;
  const base = `
    SELECT o.created_at AS at, o.channel, o.kind, t.group_key,
           COALESCE(r.region, i.region, t.region) AS region,
           COALESCE(r.topic, ${d.json("i.result", "escalation", "topic")}, ${d.json("i.result", "topic")}, 'other') AS topic
    FROM outbox o
    JOIN threads t ON t.id = o.thread_id
    LEFT JOIN inbound_messages i ON i.id = o.inbound_id
    LEFT JOIN referrals r ON r.id = (SELECT e.referral_id FROM referral_events e WHERE e.outbox_id = CAST(o.id AS TEXT) LIMIT 1)
    WHERE o.status = 'undelivered'`;
  const w = whereSql(f, scope, { at: "u.at", channel: "u.channel", topic: "u.topic", region: "u.region", group: "u.group_key" });
  const rows = await db.all(`SELECT ${d.day("u.at")} AS day, u.kind FROM (${base}) u WHERE ${w.sql}`, w.params);
  return rows.map((r) => ({ day: String(r.day), kind: String(r.kind) }));
}

export interface UserRow {
  id: string;
  name: string;
  role: string;
  regions: string[];
  active: boolean;
}

export async function staffRows(db: SqlDb): Promise<UserRow[]> {
  const rows = await db.all("SELECT id, name, role, regions, active FROM users");
  return rows.map((u) => ({ id: String(u.id), name: String(u.name), role: String(u.role), regions: sqlValue.json<string[]>(u.regions), active: sqlValue.bool(u.active) }));
}

export interface GroupOption {
  channel: string;
  groupKey: string;
  name: string;
  region: string | null;
}

const byKey = (a: { groupKey: string; channel: string }, b: { groupKey: string; channel: string }) =>
  a.groupKey < b.groupKey ? -1 : a.groupKey > b.groupKey ? 1 : a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0;

/** Groups known to the channels, then any other group a question came from, for the group filter. */
export async function groupOptions(db: SqlDb): Promise<GroupOption[]> {
  const known = await db.all("SELECT channel, group_key, name, region FROM channel_groups");
  const seenOnly = await db.all(
    `SELECT DISTINCT i.channel, i.group_key, i.region FROM inbound_messages i
     WHERE i.group_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM channel_groups g WHERE g.channel = i.channel AND g.group_key = i.group_key)`,
  );
  const option = (r: Record<string, unknown>): GroupOption => ({ channel: String(r.channel), groupKey: String(r.group_key), name: String(r.name || r.group_key), region: textOrNull(r.region) });
  // Sorted here, not in SQL: the two stores collate text differently.
  const rows = [...known.map(option).sort(byKey), ...seenOnly.map(option).sort(byKey)];
  const seen = new Map<string, GroupOption>();
  for (const r of rows) if (!seen.has(r.groupKey)) seen.set(r.groupKey, r);
  return [...seen.values()];
}

export type { GroupNeedRow };

/** The table behind WechatyChannel.groupNeeds, for when the channel is not running in this process. */
export function groupNeedRows(db: SqlDb, range: { from: Date; to: Date }): Promise<GroupNeedRow[]> {
  return new GroupStore(db).groupNeeds(null, range);
}
