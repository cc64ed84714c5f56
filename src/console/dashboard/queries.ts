// The rows behind the dashboard, read straight from SQLite. Each reader returns light rows
// for one kind of event (questions, referrals, ratings, undelivered replies, group
// questions); tables.ts aggregates them. Every reader applies the same filters and scope.

import type { SqliteDb } from "../../store/sqlite.ts";
import { dayOf, whereSql, type Filters, type Scope } from "./filters.ts";

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
const QUESTIONS = `
  SELECT i.id, i.received_at AS at, i.channel, i.region, i.group_key, i.text,
         COALESCE(json_extract(i.result, '$.escalation.topic'), json_extract(i.result, '$.topic'), 'other') AS topic,
         json_extract(i.result, '$.escalation.reason') AS reason,
         json_extract(i.result, '$.escalation.urgency') AS urgency,
         json_extract(i.result, '$.kind') AS kind
  FROM inbound_messages i
  WHERE i.result IS NOT NULL AND i.reason IS NULL
    AND (json_extract(i.result, '$.intent') IN ${QUESTION_INTENTS} OR json_extract(i.result, '$.escalation') IS NOT NULL)`;

const Q_COLS = { at: "q.at", channel: "q.channel", topic: "q.topic", region: "q.region", group: "q.group_key" };

export function questionRows(db: SqliteDb, f: Filters, scope: Scope): QuestionRow[] {
  const w = whereSql(f, scope, Q_COLS);
  const rows = db.prepare(`SELECT ${dayOf("q.at")} AS day, q.* FROM (${QUESTIONS}) q WHERE ${w.sql}`).all(...w.params) as Record<string, unknown>[];
  return rows.map((r) => ({
    day: String(r.day),
    channel: String(r.channel),
    region: (r.region as string | null) ?? null,
    groupKey: (r.group_key as string | null) ?? null,
    topic: String(r.topic),
    reason: (r.reason as string | null) ?? null,
    urgency: (r.urgency as string | null) ?? null,
    answered: r.reason === null && r.kind === "reply",
  }));
}

/** Texts of questions escalated for low confidence (for the wording list; masked there). */
export function lowConfidenceTexts(db: SqliteDb, f: Filters, scope: Scope): { topic: string; text: string; day: string }[] {
  const w = whereSql(f, scope, Q_COLS);
  return db
    .prepare(`SELECT q.topic, q.text, ${dayOf("q.at")} AS day FROM (${QUESTIONS}) q WHERE q.reason = 'low_confidence' AND ${w.sql}`)
    .all(...w.params) as { topic: string; text: string; day: string }[];
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
const R_FROM = "referrals r LEFT JOIN threads t ON t.id = CAST(r.thread_id AS INTEGER)";
const R_COLS = { at: "r.created_at", channel: "r.channel", topic: "r.topic", region: "r.region", group: "t.group_key" };

/** Referrals created in the range (their first cycle carries the deadline statistics). */
export function referralRows(db: SqliteDb, f: Filters, scope: Scope): ReferralRow[] {
  const w = whereSql(f, scope, R_COLS);
  const rows = db
    .prepare(`SELECT ${dayOf("r.created_at")} AS day, r.owner_id, r.created_at, r.first_response_at, r.first_response_due, r.closed_at FROM ${R_FROM} WHERE ${w.sql}`)
    .all(...w.params) as Record<string, unknown>[];
  return rows.map((r) => ({
    day: String(r.day),
    ownerId: (r.owner_id as string | null) ?? null,
    createdAt: String(r.created_at),
    firstResponseAt: (r.first_response_at as string | null) ?? null,
    firstResponseDue: String(r.first_response_due),
    closedAt: (r.closed_at as string | null) ?? null,
  }));
}

export interface RatingRow {
  day: string;
  stars: number;
  ownerId: string | null;
}

/** Ratings given in the range (一案一评: one per referral cycle), filtered through their referral. */
export function ratingRows(db: SqliteDb, f: Filters, scope: Scope): RatingRow[] {
  const w = whereSql(f, scope, { ...R_COLS, at: "rr.at" });
  const rows = db
    .prepare(`SELECT ${dayOf("rr.at")} AS day, rr.stars, rr.owner_id FROM referral_ratings rr JOIN referrals r ON r.id = rr.referral_id LEFT JOIN threads t ON t.id = CAST(r.thread_id AS INTEGER) WHERE ${w.sql}`)
    .all(...w.params) as Record<string, unknown>[];
  return rows.map((r) => ({ day: String(r.day), stars: Number(r.stars), ownerId: (r.owner_id as string | null) ?? null }));
}

/**
 * Replies that could not be delivered for good, by the day they were written. A lawyer's
 * reply takes its topic and region from its referral, a bot answer from its question.
 */
export function undeliveredRows(db: SqliteDb, f: Filters, scope: Scope): { day: string; kind: string }[] {
  const base = `
    SELECT o.created_at AS at, o.channel, o.kind, t.group_key,
           COALESCE(r.region, i.region, t.region) AS region,
           COALESCE(r.topic, json_extract(i.result, '$.escalation.topic'), json_extract(i.result, '$.topic'), 'other') AS topic
    FROM outbox o
    JOIN threads t ON t.id = o.thread_id
    LEFT JOIN inbound_messages i ON i.id = o.inbound_id
    LEFT JOIN referrals r ON r.id = (SELECT e.referral_id FROM referral_events e WHERE e.outbox_id = CAST(o.id AS TEXT) LIMIT 1)
    WHERE o.status = 'undelivered'`;
  const w = whereSql(f, scope, { at: "u.at", channel: "u.channel", topic: "u.topic", region: "u.region", group: "u.group_key" });
  return db.prepare(`SELECT ${dayOf("u.at")} AS day, u.kind FROM (${base}) u WHERE ${w.sql}`).all(...w.params) as { day: string; kind: string }[];
}

export interface UserRow {
  id: string;
  name: string;
  role: string;
  regions: string[];
  active: boolean;
}

export function staffRows(db: SqliteDb): UserRow[] {
  const rows = db.prepare("SELECT id, name, role, regions, active FROM users").all() as Record<string, unknown>[];
  return rows.map((u) => ({ id: String(u.id), name: String(u.name), role: String(u.role), regions: JSON.parse(String(u.regions)) as string[], active: u.active === 1 }));
}

export interface GroupOption {
  channel: string;
  groupKey: string;
  name: string;
  region: string | null;
}

/** Groups known to the channels, and any group a question came from, for the group filter. */
export function groupOptions(db: SqliteDb): GroupOption[] {
  const rows = db
    .prepare(
      `SELECT channel, group_key, name, region FROM channel_groups
       UNION
       SELECT DISTINCT i.channel, i.group_key, '', i.region FROM inbound_messages i
       WHERE i.group_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM channel_groups g WHERE g.channel = i.channel AND g.group_key = i.group_key)`,
    )
    .all() as Record<string, unknown>[];
  const seen = new Map<string, GroupOption>();
  for (const r of rows) {
    const key = String(r.group_key);
    if (!seen.has(key)) seen.set(key, { channel: String(r.channel), groupKey: key, name: String(r.name || key), region: (r.region as string | null) ?? null });
  }
  return [...seen.values()];
}

export interface GroupNeedRow {
  groupKey: string;
  groupName: string;
  region: string | null;
  topic: string;
  count: number;
  sensitive: number;
}

/** The table behind WechatyChannel.groupNeeds, for when the channel is not running in this process. */
export function groupNeedRows(db: SqliteDb, range: { from: Date; to: Date }): GroupNeedRow[] {
  const rows = db
    .prepare(
      `SELECT q.group_key, COALESCE(g.name, MAX(q.group_name)) AS group_name, COALESCE(g.region, MAX(q.region)) AS region,
              q.topic, COUNT(*) AS n, SUM(q.sensitive) AS sensitive
       FROM group_questions q LEFT JOIN channel_groups g ON g.channel = q.channel AND g.group_key = q.group_key
       WHERE q.asked_at >= ? AND q.asked_at < ?
       GROUP BY q.group_key, q.topic
       ORDER BY n DESC, q.group_key, q.topic`,
    )
    .all(range.from.toISOString(), range.to.toISOString()) as Record<string, unknown>[];
  return rows.map((r) => ({
    groupKey: String(r.group_key),
    groupName: String(r.group_name ?? ""),
    region: (r.region as string | null) ?? null,
    topic: String(r.topic),
    count: Number(r.n),
    sensitive: Number(r.sensitive ?? 0),
  }));
}
