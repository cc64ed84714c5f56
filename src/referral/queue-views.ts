// What the console reads: the queues (mine, unclaimed, overdue, closed, all; filtered), a
// referral's detail with its timeline and the thread's history, the same resident's other
// referrals. Only what the viewer may see; viewing a detail is audited.

import type { ReferralQuery, ReferralStore } from "../store/referral-store.ts";
import { assertCanView, canView } from "./access.ts";
import { timing } from "./deadlines.ts";
import type { ThreadHistoryItem } from "./ports.ts";
import { CLAIMABLE, NOT_CLOSED, type ReferralContext } from "./service-context.ts";
import { NotFoundError, type Referral, type ReferralEvent, type ReferralStatus } from "./types.ts";

/** The console's queues: mine, unclaimed (in my regions), overdue, closed, all I may see. */
export type QueueView = "mine" | "unclaimed" | "overdue" | "closed" | "all";

/** Narrows a queue: every given field must match. `text` looks in number, summary and outcome. */
export interface QueueFilter {
  number?: string;
  topic?: string;
  /** A region and everything under it. */
  region?: string;
  urgency?: Referral["urgency"];
  channel?: Referral["channel"];
  status?: ReferralStatus;
  text?: string;
}

/** How many referrals a filtered queue looks through before filtering (newest first). */
const FILTER_SCAN = 2000;

function matchesFilter(r: Referral, f: QueueFilter): boolean {
  if (f.number && !r.number.includes(f.number.trim())) return false;
  if (f.topic && r.topic !== f.topic) return false;
  if (f.region && !(r.region === f.region || (r.region ?? "").startsWith(`${f.region}.`))) return false;
  if (f.urgency && r.urgency !== f.urgency) return false;
  if (f.channel && r.channel !== f.channel) return false;
  if (f.status && r.status !== f.status) return false;
  if (f.text) {
    const words = f.text.trim().toLowerCase().split(/\s+/).filter(Boolean);
    const hay = `${r.number} ${r.summary} ${r.outcome ?? ""} ${r.ratingComment ?? ""}`.toLowerCase();
    if (!words.every((w) => hay.includes(w))) return false;
  }
  return true;
}

const hasFilter = (f: QueueFilter | undefined): f is QueueFilter => !!f && Object.values(f).some((v) => typeof v === "string" && v.trim() !== "");

/** A queue row: the referral with its urgency, waiting time, deadline and the people on it. */
export interface QueueRow {
  referral: Referral;
  urgency: Referral["urgency"];
  waitingMinutes: number;
  /** Minutes until the response is due; negative when overdue; null once answered or closed. */
  minutesLeft: number | null;
  overdue: boolean;
  deadline: string;
  ownerName: string | null;
  assigneeName: string | null;
}

/** A referral's detail page: its timeline, the thread's history, deadline notices and ratings. */
export interface ReferralDetail {
  referral: Referral;
  events: ReferralEvent[];
  history: ThreadHistoryItem[];
  notices: Awaited<ReturnType<ReferralStore["listNotices"]>>;
  ratings: Awaited<ReturnType<ReferralStore["listRatings"]>>;
}

/** Queue rows for the console: mine, unclaimed (in my regions), overdue, closed. */
export async function queue(ctx: ReferralContext, userId: string, view: QueueView, opts: { limit?: number; offset?: number; filter?: QueueFilter } = {}): Promise<QueueRow[]> {
  const user = await ctx.actor(userId);
  const now = ctx.clock();
  const visibleTo = { userId: user.id, regions: user.regions, all: user.role === "admin" };
  const filter = hasFilter(opts.filter) ? opts.filter : null;
  // A filtered queue looks through more rows, then pages what matches.
  const page = filter ? { limit: FILTER_SCAN, offset: 0 } : { limit: opts.limit ?? 100, offset: opts.offset ?? 0 };
  const query: ReferralQuery =
    view === "mine"
      ? { involving: user.id, statuses: NOT_CLOSED, ...page }
      : view === "unclaimed"
        ? { unowned: true, statuses: CLAIMABLE, visibleTo, ...page }
        : view === "overdue"
          ? { overdueAt: now.toISOString(), visibleTo, ...page }
          : view === "closed"
            ? { statuses: ["closed"], visibleTo, order: "closed_desc", ...page }
            : { visibleTo, order: "created_desc", ...page };
  let rows = (await ctx.store.listReferrals(query)).filter((r) => canView(user, r));
  if (filter) rows = rows.filter((r) => matchesFilter(r, filter)).slice(opts.offset ?? 0, (opts.offset ?? 0) + (opts.limit ?? 100));
  const names = new Map((await ctx.store.listUsers()).map((u) => [u.id, u.name]));
  return rows.map((r) => {
    const t = timing(r, now);
    return {
      referral: r,
      urgency: r.urgency,
      waitingMinutes: t.waitingMinutes,
      minutesLeft: t.minutesLeft,
      overdue: t.overdue,
      deadline: r.responseDue,
      ownerName: r.ownerId ? (names.get(r.ownerId) ?? null) : null,
      assigneeName: r.assignedTo ? (names.get(r.assignedTo) ?? null) : null,
    };
  });
}

/** The referral with its timeline, the thread's history, deadline notices and ratings. Viewing is audited. */
export async function detail(ctx: ReferralContext, referralId: string, userId: string): Promise<ReferralDetail> {
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCanView(user, r);
  const [events, history, notices, ratings] = await Promise.all([
    ctx.store.listEvents(r.id),
    ctx.gateway.getHistory(r.threadId, 100),
    ctx.store.listNotices(r.id),
    ctx.store.listRatings({ referralId: r.id }),
  ]);
  // Residents' personal details are in here: who looked is worth knowing.
  await ctx.store.appendAudit([ctx.audit(user.id, "referral.view", r.id, { number: r.number })]);
  return { referral: r, events, history, notices, ratings };
}

/**
 * The same resident's other referrals (same channel and resident key), newest first, as far
 * as this user may see them: earlier conversations a lawyer was never routed to stay hidden.
 */
export async function residentReferrals(ctx: ReferralContext, referralId: string, userId: string, limit = 20): Promise<Referral[]> {
  const user = await ctx.actor(userId);
  const r = await ctx.load(referralId);
  assertCanView(user, r);
  const visibleTo = { userId: user.id, regions: user.regions, all: user.role === "admin" };
  const others = await ctx.store.listReferrals({ residentKey: r.residentKey, channel: r.channel, visibleTo, order: "created_desc", limit: limit + 1 });
  return others.filter((x) => x.id !== r.id && canView(user, x)).slice(0, limit);
}

/** A referral by its number, when the user may see it. */
export async function getByNumber(ctx: ReferralContext, number: string, userId: string): Promise<Referral> {
  const user = await ctx.actor(userId);
  const r = await ctx.store.getReferralByNumber(number);
  if (!r) throw new NotFoundError("工单不存在");
  assertCanView(user, r);
  return r;
}
