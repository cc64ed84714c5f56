// Every table the dashboard draws, built from the report store's rows (src/store/report-sql.ts). A chart on the page
// and its CSV export are the same Table, so what the bureau downloads is exactly what it saw.

import { maskPersonalData } from "../../privacy.ts";
import { normalizeText } from "../../pipeline/normalize.ts";
import { anyRegionCovers, regionCovers } from "../../referral/regions.ts";
import { GroupStore, type GroupNeedRow } from "../../channels/groups/index.ts";
import { SqlReportStore, type QuestionRow, type RatingRow, type ReferralRow } from "../../store/report-sql.ts";
import type { SqlDb } from "../../store/sql.ts";
import { addDays, dayStart, daysBetween, reportFilter, type Filters, type Scope } from "./filters.ts";
import { judgeRising, mean, quantile, RISING_RULE, round } from "./stats.ts";

export type Cell = string | number | null;
export interface Column {
  key: string;
  label: string;
}
export interface Table {
  name: string;
  title: string;
  columns: Column[];
  rows: Record<string, Cell>[];
  /** How the numbers are defined, shown under the chart. */
  note?: string;
}

export interface TableContext {
  sql: SqlDb;
  filters: Filters;
  scope: Scope;
  topicLabel: (id: string) => string;
  regionName: (id: string | null) => string;
  now: Date;
  /** The running WeChat group channel, when there is one (issue 6's group needs). */
  groupNeeds?: ((range: { from: Date; to: Date }) => GroupNeedRow[] | Promise<GroupNeedRow[]>) | null;
}

const reports = (ctx: TableContext) => new SqlReportStore(ctx.sql);

export const REASON_LABEL: Record<string, string> = {
  low_confidence: "机器人没有把握",
  asked_human: "居民要求人工",
  emergency: "紧急情况",
  dissatisfied: "居民不满意",
  always_lawyer: "须律师处理",
  llm_failed_check: "模型答复未通过核验",
  system_error: "系统错误",
};

export const CHANNEL_LABEL: Record<string, string> = { web: "网页咨询", wechat_oa: "微信公众号", wechaty: "乡镇微信群", telegram: "Telegram", cli: "终端", eval: "评测" };

const col = (key: string, label: string): Column => ({ key, label });
const minutesBetween = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 60_000;
const share = (part: number, whole: number) => (whole > 0 ? round((100 * part) / whole) : null);

function countBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}

// ---------------------------------------------------------------- questions

function questionCounts(rows: readonly QuestionRow[]) {
  return {
    questions: rows.length,
    answered: rows.filter((r) => r.answered).length,
    escalated: rows.filter((r) => r.reason !== null).length,
    emergencies: rows.filter((r) => r.urgency === "emergency").length,
  };
}

function dailyTable(ctx: TableContext, questions: QuestionRow[], undelivered: { day: string }[]): Table {
  const byDay = countBy(questions, (r) => r.day);
  const undeliveredByDay = countBy(undelivered, (r) => r.day);
  return {
    name: "daily",
    title: "每日咨询量",
    columns: [col("day", "日期"), col("questions", "咨询问题"), col("answered", "机器人解答"), col("escalated", "转人工"), col("emergencies", "紧急求助"), col("undelivered", "回复未送达")],
    rows: daysBetween(ctx.filters.from, ctx.filters.to).map((day) => ({ day, ...questionCounts(byDay.get(day) ?? []), undelivered: undeliveredByDay.get(day)?.length ?? 0 })),
    note: "按北京时间计日。咨询问题：机器人判断为法律问题、追问、求助或要求人工的消息；问候、闲聊不计。",
  };
}

function escalationTable(questions: QuestionRow[]): Table {
  const byReason = countBy(
    questions.filter((r) => r.reason !== null),
    (r) => r.reason!,
  );
  const total = questions.filter((r) => r.reason !== null).length;
  const rows = [...byReason].map(([reason, list]) => ({ reason, label: REASON_LABEL[reason] ?? reason, count: list.length, share: share(list.length, total) }));
  rows.sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return { name: "escalations", title: "转人工原因", columns: [col("label", "原因"), col("reason", "代码"), col("count", "次数"), col("share", "占比%")], rows };
}

function topicTable(ctx: TableContext, questions: QuestionRow[]): Table {
  const rows = [...countBy(questions, (r) => r.topic)].map(([topic, list]) => ({ topic, label: ctx.topicLabel(topic), ...questionCounts(list) }));
  rows.sort((a, b) => b.questions - a.questions || a.topic.localeCompare(b.topic));
  return {
    name: "topics",
    title: "咨询话题",
    columns: [col("label", "话题"), col("topic", "代码"), col("questions", "咨询问题"), col("answered", "机器人解答"), col("escalated", "转人工"), col("emergencies", "紧急求助")],
    rows,
  };
}

/** One level below the chosen region (county → townships → villages), so a click drills down. */
function regionTable(ctx: TableContext, questions: QuestionRow[]): Table {
  const depth = ctx.filters.region ? ctx.filters.region.split(".").length + 1 : 2;
  const bucket = (region: string | null) => (region ? region.split(".").slice(0, depth).join(".") : "");
  const rows = [...countBy(questions, (r) => bucket(r.region))].map(([region, list]) => ({ region: region || null, name: region ? ctx.regionName(region) : "未知区域", ...questionCounts(list) }));
  rows.sort((a, b) => b.questions - a.questions || (a.region ?? "").localeCompare(b.region ?? ""));
  return {
    name: "regions",
    title: "各地区咨询量",
    columns: [col("name", "地区"), col("region", "代码"), col("questions", "咨询问题"), col("answered", "机器人解答"), col("escalated", "转人工"), col("emergencies", "紧急求助")],
    rows,
  };
}

// ---------------------------------------------------------------- referrals

/** Minutes from the referral's creation to the first reply the resident got. */
const responseMinutes = (rows: readonly ReferralRow[]) => rows.filter((r) => r.firstResponseAt).map((r) => minutesBetween(r.createdAt, r.firstResponseAt!));

/**
 * Deadlines kept: of the referrals whose deadline can be judged (answered, or unanswered
 * with the deadline passed), the share first answered by the deadline. Referrals still
 * inside their deadline are left out rather than counted as missed.
 */
function deadlineCounts(rows: readonly ReferralRow[], now: Date) {
  const judged = rows.filter((r) => r.firstResponseAt !== null || Date.parse(r.firstResponseDue) <= now.getTime());
  // Compared as instants: the stores may differ in how they spell a timestamp.
  const kept = judged.filter((r) => r.firstResponseAt !== null && Date.parse(r.firstResponseAt) <= Date.parse(r.firstResponseDue)).length;
  return { judged: judged.length, kept, keptShare: share(kept, judged.length) };
}

function responseRow(rows: readonly ReferralRow[], now: Date) {
  const minutes = responseMinutes(rows);
  const d = deadlineCounts(rows, now);
  return {
    referrals: rows.length,
    responded: minutes.length,
    medianMinutes: round(quantile(minutes, 0.5)),
    p90Minutes: round(quantile(minutes, 0.9)),
    judged: d.judged,
    kept: d.kept,
    keptShare: d.keptShare,
  };
}

function responseTable(ctx: TableContext, referrals: ReferralRow[]): Table {
  const byDay = countBy(referrals, (r) => r.day);
  const rows: Record<string, Cell>[] = daysBetween(ctx.filters.from, ctx.filters.to).map((day) => ({ day, ...responseRow(byDay.get(day) ?? [], ctx.now) }));
  rows.push({ day: "合计", ...responseRow(referrals, ctx.now) });
  return {
    name: "response",
    title: "首次响应时间与按期响应",
    columns: [
      col("day", "日期"),
      col("referrals", "新工单"),
      col("responded", "已首次回复"),
      col("medianMinutes", "首次响应中位数(分钟)"),
      col("p90Minutes", "首次响应P90(分钟)"),
      col("judged", "可评判期限"),
      col("kept", "按期回复"),
      col("keptShare", "按期率%"),
    ],
    rows,
    note: "按工单创建日计。响应时间从工单创建到律师第一次回复居民；分位数按线性插值（与 Excel PERCENTILE.INC 相同）。按期率的分母不含尚未到期且未回复的工单。",
  };
}

function ratingTable(ratings: RatingRow[]): Table {
  const rows = [1, 2, 3, 4, 5].map((stars) => {
    const count = ratings.filter((r) => r.stars === stars).length;
    return { stars, label: `${stars}星`, count, share: share(count, ratings.length) };
  });
  return {
    name: "ratings",
    title: "居民评价（一案一评）",
    columns: [col("label", "评分"), col("stars", "星级"), col("count", "评价数"), col("share", "占比%")],
    rows,
    note: ratings.length ? `共 ${ratings.length} 条评价，平均 ${round(mean(ratings.map((r) => r.stars)), 2)} 分（按评价日期计）。` : "所选范围内暂无评价。",
  };
}

// ---------------------------------------------------------------- summary

function summaryTable(ctx: TableContext, questions: QuestionRow[], referrals: ReferralRow[], rated: RatingRow[], undelivered: unknown[]): Table {
  const q = questionCounts(questions);
  const r = responseRow(referrals, ctx.now);
  const ratings = rated.map((x) => x.stars);
  const rows: Record<string, Cell>[] = [
    { key: "questions", label: "咨询问题", value: q.questions, unit: "条" },
    { key: "answered", label: "机器人解答", value: q.answered, unit: "条" },
    { key: "answerRate", label: "机器人解答率", value: share(q.answered, q.questions), unit: "%" },
    { key: "escalated", label: "转人工", value: q.escalated, unit: "条" },
    { key: "emergencies", label: "紧急求助", value: q.emergencies, unit: "条" },
    { key: "referrals", label: "新工单", value: r.referrals, unit: "件" },
    { key: "medianMinutes", label: "首次响应中位数", value: r.medianMinutes, unit: "分钟" },
    { key: "p90Minutes", label: "首次响应P90", value: r.p90Minutes, unit: "分钟" },
    { key: "keptShare", label: "按期响应率", value: r.keptShare, unit: "%" },
    { key: "ratingMean", label: "平均评分", value: round(mean(ratings), 2), unit: "分" },
    { key: "ratings", label: "评价数", value: ratings.length, unit: "条" },
    { key: "undelivered", label: "回复未送达", value: undelivered.length, unit: "条" },
  ];
  return { name: "summary", title: `总览 ${ctx.filters.from} 至 ${ctx.filters.to}`, columns: [col("label", "指标"), col("value", "数值"), col("unit", "单位"), col("key", "代码")], rows };
}

// ---------------------------------------------------------------- demand analysis

/**
 * Rising topics: the 7 days ending on the range's last day against the weekly counts of the
 * 8 weeks before, each topic judged by judgeRising (ratio and Poisson test together).
 * Channel, region and group filters apply; the topic filter does not (all topics compete).
 */
async function risingTable(ctx: TableContext): Promise<Table> {
  const weeks = RISING_RULE.baselineWeeks;
  const end = ctx.filters.to;
  const from = addDays(end, -7 * (weeks + 1) + 1);
  const rows = await reports(ctx).questions(reportFilter({ ...ctx.filters, from, to: end, topic: null }, ctx.scope));
  // Week 0 is the current week, 1..weeks the baseline, counted back from the last day.
  const weekOf = (day: string) => Math.floor((Date.parse(end) - Date.parse(day)) / (7 * 86_400_000));
  const perTopic = new Map<string, number[]>();
  for (const r of rows) {
    const w = weekOf(r.day);
    if (w < 0 || w > weeks) continue;
    const counts = perTopic.get(r.topic) ?? new Array<number>(weeks + 1).fill(0);
    counts[w]++;
    perTopic.set(r.topic, counts);
  }
  const out = [...perTopic].map(([topic, counts]) => {
    const v = judgeRising(counts[0], counts.slice(1));
    return {
      topic,
      label: ctx.topicLabel(topic),
      current: v.current,
      baselineMean: round(v.baselineMean, 2),
      ratio: round(v.ratio, 2),
      pValue: Number(v.pValue.toPrecision(3)),
      rising: v.rising ? "是" : "否",
      // Oldest week first, for a sparkline.
      weekly: [...counts].reverse().join(" "),
    };
  });
  out.sort((a, b) => Number(b.rising === "是") - Number(a.rising === "是") || a.pValue - b.pValue || b.current - a.current || a.topic.localeCompare(b.topic));
  return {
    name: "rising",
    title: "上升话题（需求动态研判）",
    columns: [col("label", "话题"), col("topic", "代码"), col("current", "近7天"), col("baselineMean", "前8周周均"), col("ratio", "倍数"), col("pValue", "P值"), col("rising", "明显上升"), col("weekly", "逐周(旧→新)")],
    rows: out,
    note: `${addDays(end, -6)} 至 ${end} 与此前 ${weeks} 周的周均相比：近7天至少 ${RISING_RULE.minCount} 条、至少为周均的 ${RISING_RULE.minRatio} 倍，且按泊松分布 P(X≥近7天) < ${RISING_RULE.maxP}，才标为明显上升。`,
  };
}

/** The bureau compares wordings, not people: mask personal data, fold variants (full-width, traditional, spacing, end punctuation). */
export function normaliseWording(text: string): string {
  const n = normalizeText(text, { maxChars: 200 }).text;
  return maskPersonalData(n)
    .replace(/\s+/g, " ")
    .replace(/[\s。．.！!？?～~，,、…]+$/u, "")
    .trim();
}

async function wordingTable(ctx: TableContext): Promise<Table> {
  const PER_TOPIC = 10;
  const texts = await reports(ctx).lowConfidenceTexts(reportFilter(ctx.filters, ctx.scope));
  const rows: Record<string, Cell>[] = [];
  const byTopic = [...countBy(texts, (t) => t.topic)].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  for (const [topic, list] of byTopic) {
    const byWording = [...countBy(list, (t) => normaliseWording(t.text))].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
    for (const [wording, same] of byWording.slice(0, PER_TOPIC)) {
      rows.push({ topic, label: ctx.topicLabel(topic), topicTotal: list.length, wording, count: same.length, lastDay: same.map((s) => s.day).sort().at(-1) ?? null });
    }
  }
  return {
    name: "wordings",
    title: "机器人没有把握的问题（编写新指南的依据）",
    columns: [col("label", "话题"), col("topic", "代码"), col("topicTotal", "该话题合计"), col("wording", "常见问法（已脱敏）"), col("count", "次数"), col("lastDay", "最近一次")],
    rows,
    note: `因置信度不足转人工的问题，按话题分组，每个话题列出最常见的 ${PER_TOPIC} 种问法；身份证号、手机号、银行卡号已遮盖。`,
  };
}

// ---------------------------------------------------------------- people and groups

/**
 * Per lawyer: referrals they own among those created in the range, their first-response
 * median, and the ratings given to them in the range. Active lawyers of the viewer's regions
 * are listed even without work, so an idle adviser is visible too.
 */
async function lawyerTable(ctx: TableContext, referrals: ReferralRow[], ratings: RatingRow[]): Promise<Table> {
  const staff = await reports(ctx).staff();
  const owned = countBy(
    referrals.filter((r) => r.ownerId),
    (r) => r.ownerId!,
  );
  const rated = countBy(
    ratings.filter((r) => r.ownerId),
    (r) => r.ownerId!,
  );
  const visible = (regions: string[]) => ctx.scope === null || regions.some((reg) => anyRegionCovers(ctx.scope!, reg));
  const ids = new Set([...owned.keys(), ...rated.keys(), ...staff.filter((u) => u.active && u.role === "lawyer" && visible(u.regions)).map((u) => u.id)]);
  const byId = new Map(staff.map((u) => [u.id, u]));
  const rows = [...ids].map((id) => {
    const u = byId.get(id);
    const mine = owned.get(id) ?? [];
    const stars = (rated.get(id) ?? []).map((r) => r.stars);
    return {
      userId: id,
      name: u?.name ?? "（已删除）",
      role: u?.role === "supervisor" ? "督导" : u?.role === "admin" ? "管理员" : "律师",
      handled: mine.length,
      closed: mine.filter((r) => r.closedAt).length,
      medianMinutes: round(quantile(responseMinutes(mine), 0.5)),
      ratings: stars.length,
      ratingMean: round(mean(stars), 2),
    };
  });
  rows.sort((a, b) => b.handled - a.handled || a.name.localeCompare(b.name, "zh-CN") || a.userId.localeCompare(b.userId));
  return {
    name: "lawyers",
    title: "律师工作量与评价",
    columns: [col("name", "姓名"), col("role", "角色"), col("handled", "承办工单"), col("closed", "已办结"), col("medianMinutes", "首次响应中位数(分钟)"), col("ratings", "评价数"), col("ratingMean", "平均评分"), col("userId", "账号ID")],
    rows,
    note: "承办：所选范围内创建、由其认领的工单；评价：所选范围内居民给其的评分。",
  };
}

/** Questions per WeChat group and topic (issue 6): townships collect villages' needs ahead of time. */
async function groupTable(ctx: TableContext): Promise<Table> {
  const f = ctx.filters;
  const range = { from: dayStart(f.from), to: dayStart(addDays(f.to, 1)) };
  const all = ctx.groupNeeds ? await ctx.groupNeeds(range) : await new GroupStore(ctx.sql).groupNeeds(null, range);
  const inScope = (region: string | null) => ctx.scope === null || anyRegionCovers(ctx.scope, region);
  const rows = all
    .filter((r) => inScope(r.region) && (!f.region || regionCovers(f.region, r.region)) && (!f.topic || r.topic === f.topic) && (!f.group || r.groupKey === f.group))
    .filter(() => !f.channel || f.channel === "wechaty")
    .map((r) => ({ groupKey: r.groupKey, groupName: r.groupName || r.groupKey, region: ctx.regionName(r.region), topic: r.topic, label: ctx.topicLabel(r.topic), count: r.count, sensitive: r.sensitive }));
  return {
    name: "groups",
    title: "微信群法律需求",
    columns: [col("groupName", "微信群"), col("region", "地区"), col("label", "话题"), col("count", "问题数"), col("sensitive", "转私聊"), col("topic", "话题代码"), col("groupKey", "群标识")],
    rows,
    note: "乡镇、村法律服务微信群里向机器人提出的法律问题，只记话题、不记内容。",
  };
}

// ---------------------------------------------------------------- registry

export const TABLE_NAMES = ["summary", "daily", "escalations", "topics", "regions", "response", "ratings", "rising", "wordings", "lawyers", "groups"] as const;
export type TableName = (typeof TABLE_NAMES)[number];

/** Only supervisors and admins see individual lawyers' numbers. */
export const RESTRICTED: ReadonlySet<TableName> = new Set(["lawyers"]);

/** Builds the requested tables, reading each kind of row once. */
export async function buildTables(ctx: TableContext, names: readonly TableName[]): Promise<Table[]> {
  // Each kind of row is read at most once, and only when a requested table needs it.
  const once = <T>(read: () => Promise<T>) => {
    let p: Promise<T> | undefined;
    return () => (p ??= read());
  };
  const store = reports(ctx);
  const filter = reportFilter(ctx.filters, ctx.scope);
  const q = once(() => store.questions(filter));
  const r = once(() => store.referrals(filter));
  const rt = once(() => store.ratings(filter));
  const u = once(() => store.undelivered(filter));
  const build: Record<TableName, () => Promise<Table>> = {
    summary: async () => summaryTable(ctx, await q(), await r(), await rt(), await u()),
    daily: async () => dailyTable(ctx, await q(), await u()),
    escalations: async () => escalationTable(await q()),
    topics: async () => topicTable(ctx, await q()),
    regions: async () => regionTable(ctx, await q()),
    response: async () => responseTable(ctx, await r()),
    ratings: async () => ratingTable(await rt()),
    rising: () => risingTable(ctx),
    wordings: () => wordingTable(ctx),
    lawyers: async () => lawyerTable(ctx, await r(), await rt()),
    groups: () => groupTable(ctx),
  };
  // One after another: SQLite has one connection, and a pool need not be flooded by one page.
  const out: Table[] = [];
  for (const n of names) out.push(await build[n]());
  return out;
}
