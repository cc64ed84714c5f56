// The referral queue (工单): creation from an escalation with dispatch, claim (首问负责),
// transfer, reply, internal notes, close, reopen, rating (一案一评), deadlines (限时办结),
// queues and the detail view. Every acting method takes the acting user's id, enforces
// access (ForbiddenError), writes the change and its audit entries in one transaction,
// then talks to the conversation core, notifies people and publishes a live event.

import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { createLogger } from "../log.ts";
import type { NewAuditEntry, NewReferralEvent, ReferralChange, ReferralQuery, ReferralStore } from "../store/referral-store.ts";
import { assertCan, assertCanView, canView } from "./access.ts";
import { DEFAULT_DEADLINE_POLICY, deadlineStage, responseDue, timing, type DeadlinePolicy } from "./deadlines.ts";
import { ReferralEvents, type ReferralEventName } from "./events.ts";
import { NULL_NOTIFIER, type Notifier, type ThreadGateway, type ThreadHistoryItem } from "./ports.ts";
import { isRegionId } from "./regions.ts";
import { Router } from "./routing.ts";
import { toShanghai } from "./time.ts";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  ValidationError,
  type EscalationInput,
  type NotifyKind,
  type Referral,
  type ReferralEvent,
  type ReferralStatus,
  type ReplyTemplate,
  type User,
} from "./types.ts";

export interface ReferralServiceOptions {
  store: ReferralStore;
  gateway: ThreadGateway;
  notifier?: Notifier;
  /** Injected so tests control time. */
  clock?: () => Date;
  deadlines?: DeadlinePolicy;
  logger?: Logger;
  events?: ReferralEvents;
  /** How a lawyer's reply reads to the resident. */
  formatReply?: (text: string, referral: Referral, lawyer: User) => string;
  ratingRequestText?: (referral: Referral) => string;
  /** Replies the project ships (read-only; saving one makes an editable copy). */
  shippedTemplates?: ReplyTemplate[];
  /** A guide's title for the findings carried over from the thread's earlier answers. */
  guideTitle?: (guideId: string) => string | null;
}

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

export interface ReferralDetail {
  referral: Referral;
  events: ReferralEvent[];
  history: ThreadHistoryItem[];
  notices: Awaited<ReturnType<ReferralStore["listNotices"]>>;
  ratings: Awaited<ReturnType<ReferralStore["listRatings"]>>;
}

export interface DeadlineCheckResult {
  reminders: { referralId: string; number: string; recipients: string[] }[];
  overdue: { referralId: string; number: string; recipients: string[] }[];
}

const NOT_CLOSED: ReferralStatus[] = ["open", "claimed", "replied", "transferred", "reopened"];
const CLAIMABLE: ReferralStatus[] = ["open", "reopened", "transferred"];
const URGENCIES = new Set(["normal", "urgent", "emergency"]);
// A resident's thanks or "ok" after a lawyer's reply, unless it also asks something.
const ACKNOWLEDGEMENT = /^(?:好的?|好嘞|行|可以|嗯+|谢谢|多谢|感谢|收到|知道了|明白了?|懂了|ok)|(?:谢谢|多谢|感谢|收到|知道了|明白了)/i;
const OPEN_QUESTION = /[?？]|吗|么|怎么|咋|如何|能不能|可不可以|是不是|多少|多久|哪里|什么|啥/;
const URGENCY_RANK: Record<Referral["urgency"], number> = { normal: 0, urgent: 1, emergency: 2 };
/** How many earlier messages of a thread are searched for the bot's findings. */
const FINDINGS_LOOKBACK = 60;
const MAX_TEXT = 4000;

export function defaultFormatReply(text: string): string {
  return `【律师回复】\n${text}`;
}

export function defaultRatingRequest(r: Referral): string {
  return `您的咨询（工单号 ${r.number}）已办结。请为本次服务打分：直接回复数字1-5（5分为非常满意，1分为非常不满意）。`;
}

function requireText(text: string | undefined | null, message: string): string {
  const t = (text ?? "").trim();
  if (!t) throw new ValidationError(message);
  if (t.length > MAX_TEXT) throw new ValidationError(`内容过长（不超过${MAX_TEXT}字）`);
  return t;
}

export class ReferralService {
  readonly events: ReferralEvents;
  readonly router: Router;
  private readonly store: ReferralStore;
  private readonly gateway: ThreadGateway;
  private readonly notifier: Notifier;
  private readonly clock: () => Date;
  private readonly policy: DeadlinePolicy;
  private readonly log: Logger;
  private readonly formatReply: NonNullable<ReferralServiceOptions["formatReply"]>;
  private readonly ratingText: NonNullable<ReferralServiceOptions["ratingRequestText"]>;
  private readonly guideTitle: NonNullable<ReferralServiceOptions["guideTitle"]>;
  private readonly shipped: ReplyTemplate[];

  constructor(o: ReferralServiceOptions) {
    this.store = o.store;
    this.gateway = o.gateway;
    this.notifier = o.notifier ?? NULL_NOTIFIER;
    this.clock = o.clock ?? (() => new Date());
    this.policy = o.deadlines ?? DEFAULT_DEADLINE_POLICY;
    this.log = o.logger ?? createLogger("silent");
    this.events = o.events ?? new ReferralEvents();
    this.events.onListenerError = (err, e) => this.log.error({ err, referral: e.referral.number, event: e.name }, "referral event listener failed");
    this.router = new Router(o.store);
    this.formatReply = o.formatReply ?? defaultFormatReply;
    this.ratingText = o.ratingRequestText ?? defaultRatingRequest;
    this.guideTitle = o.guideTitle ?? (() => null);
    this.shipped = o.shippedTemplates ?? [];
  }

  // ---------------------------------------------------------------- helpers

  /** The acting user, fresh from the store: deactivation and role changes apply at once. */
  async actor(userId: string): Promise<User> {
    const u = await this.store.getUser(userId);
    if (!u || !u.active) throw new ForbiddenError("账号不可用");
    if (u.mustChangePassword) throw new ForbiddenError("请先修改初始密码");
    const { passwordHash: _omit, ...user } = u;
    return user;
  }

  private async load(referralId: string): Promise<Referral> {
    const r = await this.store.getReferral(referralId);
    if (!r) throw new NotFoundError("工单不存在");
    return r;
  }

  private nowIso(): string {
    return this.clock().toISOString();
  }

  private audit(actorId: string | null, action: string, targetId: string, detail: Record<string, unknown> = {}): NewAuditEntry {
    return { at: this.nowIso(), actorId, action, targetType: "referral", targetId, detail };
  }

  private event(actorId: string | null, kind: NewReferralEvent["kind"], extra: Partial<NewReferralEvent> = {}): NewReferralEvent {
    return { at: this.nowIso(), actorId, kind, ...extra };
  }

  /** Applies a guarded change; a false guard means someone else changed it first. */
  private async change(r: Referral, change: ReferralChange, conflict = "工单状态已变化，请刷新后重试"): Promise<Referral> {
    const updated = await this.store.applyChange(r.id, change, this.nowIso());
    if (!updated) throw new ConflictError(conflict);
    return updated;
  }

  /** Notifications are best effort: a failed push must not undo a committed change. */
  private async notify(userIds: (string | null | undefined)[], r: Referral, kind: NotifyKind): Promise<void> {
    const ids = [...new Set(userIds.filter((x): x is string => !!x))];
    if (ids.length === 0) return;
    try {
      await this.notifier.notify(ids, r, kind);
    } catch (err) {
      this.log.error({ err, referral: r.number, kind }, "referral notification failed");
    }
  }

  private publish(name: ReferralEventName, referral: Referral, actorId: string | null): void {
    this.events.publish({ name, referral, actorId, at: this.nowIso() });
  }

  private async activeUser(id: string, what: string): Promise<User> {
    const u = await this.store.getUser(id);
    if (!u || !u.active || u.role === "admin") throw new ValidationError(`${what}不存在或已停用`);
    return u;
  }

  // ---------------------------------------------------------------- creation and dispatch

  /**
   * Creates the referral for an escalation and dispatches it. Idempotent per escalation id:
   * a second call (a retry after a crash) returns the existing referral and notifies nobody.
   */
  async createFromEscalation(e: EscalationInput): Promise<Referral> {
    if (!e.escalationId || !e.threadId) throw new ValidationError("escalation id and thread id are required");
    if (!URGENCIES.has(e.urgency)) throw new ValidationError(`unknown urgency: ${e.urgency}`);
    // One conversation, one open referral: a later escalation of the same thread (转人工
    // after a low-confidence hand-over, an emergency word) joins the referral already open.
    const [open] = await this.store.listReferrals({ threadId: e.threadId, statuses: NOT_CLOSED, order: "created_desc", limit: 1 });
    if (open) return open.escalationId === e.escalationId ? open : this.joinEscalation(open, e);
    const now = this.clock();
    // An unknown region id is treated as unknown rather than dropped on the floor.
    const region = e.region && isRegionId(e.region) ? e.region : null;
    const topic = e.topic?.trim() || "other";
    const decision = await this.router.route(region, topic, now);
    const id = randomUUID();
    const assigned = decision.assignee !== null;

    const events: NewReferralEvent[] = [
      this.event(null, "created", { detail: { reason: e.reason, urgency: e.urgency, region, topic } }),
      assigned
        ? this.event(null, "assigned", { detail: { to: decision.assignee, matchedRegion: decision.matchedRegion, candidates: decision.candidates } })
        : this.event(null, "queued", { detail: { queue: "supervisor", why: "nobody_on_duty" } }),
    ];
    const audit = [
      this.audit(null, "referral.create", id, { escalationId: e.escalationId, urgency: e.urgency, region, topic, reason: e.reason }),
      assigned
        ? this.audit(null, "referral.assign", id, { to: decision.assignee, matchedRegion: decision.matchedRegion })
        : this.audit(null, "referral.queue", id, { queue: "supervisor" }),
    ];
    const { referral, created } = await this.store.insertReferral(
      {
        ...e,
        region,
        topic,
        summary: e.summary ?? "",
        // 转人工 carries no findings of its own: the bot's earlier answers in the thread do.
        findings: mergeFindings(e.findings ?? { articles: [], guides: [] }, await this.threadFindings(e.threadId)),
        id,
        year: toShanghai(now).year,
        status: "open",
        ownerId: null,
        assignedTo: decision.assignee,
        assignedQueue: assigned ? "lawyer" : "supervisor",
        createdAt: now.toISOString(),
        responseDue: responseDue(now, e.urgency, this.policy).toISOString(),
      },
      events,
      audit,
    );
    // Another escalation of this thread opened one meanwhile (another process, or recovery).
    if (!created) return referral.escalationId === e.escalationId ? referral : this.joinEscalation(referral, e);

    this.publish("referral.created", referral, null);
    const supervisors = await this.router.supervisorsFor(region);
    if (e.urgency === "emergency") {
      // An emergency cannot wait for one person to notice: everyone on duty and the supervisors.
      const everyone = (await this.router.onDuty(now)).map((m) => m.userId);
      await this.notify([...everyone, ...supervisors], referral, "emergency");
    } else if (assigned) {
      await this.notify([decision.assignee], referral, "assigned");
    } else {
      await this.notify(supervisors, referral, "queued");
    }
    return referral;
  }

  /**
   * A later escalation of a thread whose referral is still open: the resident's message lands
   * on that referral's timeline, its findings are added, a more urgent escalation raises the
   * referral's urgency (and brings its deadline forward), and the people responsible are told.
   * Idempotent per escalation id (a retry at recovery does not add the message twice).
   */
  private async joinEscalation(r: Referral, e: EscalationInput): Promise<Referral> {
    const events = await this.store.listEvents(r.id);
    if (events.some((x) => x.detail?.escalationId === e.escalationId)) return r;
    const now = this.clock();
    const raise = URGENCY_RANK[e.urgency] > URGENCY_RANK[r.urgency];
    const due = responseDue(now, e.urgency, this.policy).toISOString();
    const findings = mergeFindings(r.findings, e.findings ?? { articles: [], guides: [] });
    const text = (e.residentText ?? "").slice(0, MAX_TEXT) || null;
    const updated = await this.store.applyChange(r.id, {
      // Applied once per escalation even when two processes join it at the same moment.
      guard: { statuses: NOT_CLOSED, notJoinedBy: e.escalationId },
      patch: {
        findings,
        ...(raise ? { urgency: e.urgency } : {}),
        ...(raise && r.respondedAt === null && due < r.responseDue ? { responseDue: due } : {}),
      },
      events: [
        this.event(null, "resident_message", {
          text,
          detail: { joined: true, escalationId: e.escalationId, reason: e.reason, urgency: e.urgency, ...(raise ? { urgencyFrom: r.urgency } : {}) },
        }),
      ],
      audit: [this.audit(null, "referral.join", r.id, { escalationId: e.escalationId, reason: e.reason, urgency: e.urgency, raised: raise })],
    }, this.nowIso());
    if (!updated) {
      // Joined already elsewhere: done. Closed meanwhile: fail, so recovery opens a new one.
      if ((await this.store.listEvents(r.id)).some((x) => x.detail?.escalationId === e.escalationId)) return (await this.store.getReferral(r.id)) ?? r;
      throw new ConflictError("工单状态已变化，请刷新后重试");
    }
    this.publish("referral.resident_message", updated, null);
    if (raise && e.urgency === "emergency") {
      const everyone = (await this.router.onDuty(now)).map((m) => m.userId);
      await this.notify([updated.ownerId ?? updated.assignedTo, ...everyone, ...(await this.router.supervisorsFor(updated.region))], updated, "emergency");
    } else {
      await this.notify([updated.ownerId ?? updated.assignedTo], updated, "resident_message");
    }
    return updated;
  }

  /** The articles and guides the bot cited in the thread's earlier answers, newest first. */
  private async threadFindings(threadId: string): Promise<Referral["findings"]> {
    const history = await this.gateway.getHistory(threadId, FINDINGS_LOOKBACK).catch(() => []);
    const found: Referral["findings"] = { articles: [], guides: [] };
    for (const m of [...history].reverse()) {
      if (m.role !== "bot" || !m.meta) continue;
      const cites = Array.isArray(m.meta.citations) ? (m.meta.citations as { articleId?: unknown; law?: unknown; article?: unknown }[]) : [];
      for (const c of cites) {
        if (typeof c.articleId !== "string") continue;
        found.articles.push({ id: c.articleId, law: String(c.law ?? ""), article: String(c.article ?? ""), score: 0 });
      }
      if (typeof m.meta.guideId === "string" && m.meta.guideId) {
        found.guides.push({ id: m.meta.guideId, title: this.guideTitle(m.meta.guideId) ?? m.meta.guideId, score: 0 });
      }
    }
    return found;
  }

  // ---------------------------------------------------------------- ownership

  /**
   * 首问负责: the first to claim owns the referral and its thread until close or transfer.
   * Exactly one of several simultaneous claims wins (a conditional UPDATE); the others get
   * ConflictError. Claiming again what one already owns is a no-op that re-asserts the thread.
   */
  async claim(referralId: string, userId: string): Promise<Referral> {
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCanView(user, r);
    if (r.status === "closed") throw new ConflictError("工单已办结");
    const now = this.nowIso();
    const won = await this.store.applyChange(
      r.id,
      {
        guard: { statuses: CLAIMABLE, ownerId: null },
        patch: { status: "claimed", ownerId: user.id, assignedTo: user.id, assignedQueue: "lawyer", claimedAt: now, threadOwned: true },
        events: [this.event(user.id, "claimed", { detail: { previousStatus: r.status, assignedTo: r.assignedTo } })],
        audit: [this.audit(user.id, "referral.claim", r.id, { previousStatus: r.status })],
      },
      now,
    );
    if (!won) {
      const current = await this.load(referralId);
      if (current.ownerId === user.id && current.status !== "closed") {
        await this.gateway.setOwner(current.threadId, user.id);
        return current;
      }
      const owner = current.ownerId ? await this.store.getUser(current.ownerId) : null;
      throw new ConflictError(owner ? `该工单已由${owner.name}认领` : "工单状态已变化，请刷新后重试");
    }
    await this.gateway.setOwner(won.threadId, user.id);
    this.publish("referral.claimed", won, user.id);
    return won;
  }

  /** Hands the referral to a named colleague (`to`) or back to the regional pool (`to: null`). A note is required. */
  async transfer(referralId: string, userId: string, opts: { to: string | null; note: string }): Promise<Referral> {
    const note = requireText(opts.note, "转交须填写说明（原因、已做的工作）");
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCan(user, r, "transfer");
    return this.moveTo(r, user, opts.to, note, "transferred");
  }

  /** Supervisors direct a referral to someone else, whatever its state short of closed. */
  async reassign(referralId: string, supervisorId: string, toUserId: string, note?: string): Promise<Referral> {
    const user = await this.actor(supervisorId);
    const r = await this.load(referralId);
    assertCan(user, r, "reassign");
    return this.moveTo(r, user, toUserId, note?.trim() || "", "reassigned");
  }

  private async moveTo(r: Referral, user: User, to: string | null, note: string, kind: "transferred" | "reassigned"): Promise<Referral> {
    if (to !== null) {
      await this.activeUser(to, "转交对象");
      if (to === r.ownerId) throw new ValidationError("不能转交给当前负责人本人");
    }
    const updated = await this.change(r, {
      // Compare-and-set on the owner: a transfer must not silently undo someone's fresh claim.
      guard: { statuses: NOT_CLOSED, ownerId: r.ownerId },
      patch: { status: "transferred", ownerId: null, assignedTo: to, assignedQueue: to ? "lawyer" : "pool", threadOwned: false },
      events: [this.event(user.id, kind, { text: note || null, detail: { from: r.ownerId, to } })],
      audit: [this.audit(user.id, `referral.${kind === "transferred" ? "transfer" : "reassign"}`, r.id, { from: r.ownerId, to, note })],
    });
    if (r.threadOwned) await this.gateway.setOwner(r.threadId, null);
    this.publish(kind === "transferred" ? "referral.transferred" : "referral.reassigned", updated, user.id);
    if (to) {
      await this.notify([to], updated, "transferred");
    } else {
      const onDuty = (await this.router.onDuty(this.clock(), { region: r.region, topic: r.topic })).map((m) => m.userId).filter((id) => id !== user.id);
      await this.notify(onDuty.length ? onDuty : await this.router.supervisorsFor(r.region), updated, "returned_to_pool");
    }
    return updated;
  }

  /** The bot may answer the thread again; the referral stays with its owner until closed. */
  async handBackToBot(referralId: string, userId: string): Promise<Referral> {
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCan(user, r, "hand_back");
    const updated = await this.change(r, {
      guard: { statuses: NOT_CLOSED, ownerId: r.ownerId },
      patch: { threadOwned: false },
      events: [this.event(user.id, "handed_back")],
      audit: [this.audit(user.id, "referral.hand_back", r.id)],
    });
    await this.gateway.setOwner(r.threadId, null);
    this.publish("referral.handed_back", updated, user.id);
    return updated;
  }

  // ---------------------------------------------------------------- speaking to the resident

  /**
   * The owner's reply: into the thread history as role 'lawyer', queued for delivery on the
   * referral's channel, status 'replied'; the deadline clock stops at the first reply.
   */
  async reply(referralId: string, userId: string, text: string): Promise<{ referral: Referral; outboxId: string }> {
    const body = requireText(text, "回复内容不能为空");
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    if (r.ownerId === null && r.status !== "closed" && canView(user, r)) {
      throw new ForbiddenError("请先认领该工单再回复");
    }
    assertCan(user, r, "reply");
    // The conversation first (history and outbox in one write): once the outbox holds the
    // reply it will be delivered, and the referral must never claim a reply the resident will
    // not get. Should the process die before the timeline records it, recovery does
    // (recordUnloggedReply, from the history row's meta).
    const outboxId = await this.gateway.enqueueReply(r.threadId, {
      authorId: user.id,
      text: body,
      deliveredText: this.formatReply(body, r, user),
      meta: { referralId: r.id, number: r.number, userId: user.id },
    });
    return { referral: await this.logReply(r, user.id, body, outboxId, this.nowIso()), outboxId };
  }

  /**
   * Recovery: a reply that reached the outbox but not the timeline (the process died between
   * the two writes) is recorded now, once; false when it already was or the referral is gone.
   */
  async recordUnloggedReply(u: { referralId: string; userId: string; text: string; outboxId: string; at: string }): Promise<boolean> {
    const r = await this.store.getReferral(u.referralId);
    if (!r) return false;
    if (await this.store.findEventByOutbox(u.outboxId)) return false;
    this.log.warn({ referral: r.number, outboxId: u.outboxId }, "recording a reply the timeline missed (crash between writes)");
    await this.logReply(r, u.userId, u.text, u.outboxId, u.at);
    return true;
  }

  /** The reply on the referral's timeline; status replied when the author still owns it. */
  private async logReply(r: Referral, userId: string, body: string, outboxId: string, at: string): Promise<Referral> {
    const now = this.nowIso();
    const record = {
      events: [this.event(userId, "reply", { text: body, outboxId, detail: { channel: r.channel } })],
      audit: [this.audit(userId, "referral.reply", r.id, { outboxId, length: body.length })],
    };
    const updated = await this.store.applyChange(
      r.id,
      { guard: { statuses: ["claimed", "replied"], ownerId: userId }, patch: { status: "replied", respondedAtIfUnset: at }, ...record },
      now,
    );
    if (updated) {
      this.publish("referral.replied", updated, userId);
      return updated;
    }
    // Ownership moved between the check and the write: the reply is already queued, so keep
    // it on the timeline without taking the referral back.
    this.log.warn({ referral: r.number }, "reply sent after ownership changed");
    return (await this.store.applyChange(r.id, { patch: {}, ...record }, now)) ?? r;
  }

  /** An internal note on the timeline; never sent to the resident. */
  async addNote(referralId: string, userId: string, text: string): Promise<Referral> {
    const body = requireText(text, "备注内容不能为空");
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCan(user, r, "note");
    const updated = await this.change(r, {
      patch: {},
      events: [this.event(user.id, "note", { text: body, detail: { internal: true } })],
      audit: [this.audit(user.id, "referral.note", r.id, { length: body.length })],
    });
    this.publish("referral.note", updated, user.id);
    return updated;
  }

  // ---------------------------------------------------------------- closing and rating

  /** Closes with an outcome note, hands the thread back to the bot and asks the resident to rate. */
  async close(referralId: string, userId: string, outcome: string, opts: { requestRating?: boolean } = {}): Promise<Referral> {
    const note = requireText(outcome, "办结须填写处理结果");
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCan(user, r, "close");
    // A resident whose last question nobody has answered yet is not asked to rate the answer.
    const unanswered = await this.residentWaiting(r);
    const askRating = opts.requestRating ?? !unanswered;
    const now = this.nowIso();
    const updated = await this.change(r, {
      guard: { statuses: NOT_CLOSED, ownerId: r.ownerId },
      patch: { status: "closed", closedAt: now, outcome: note, threadOwned: false },
      events: [
        this.event(user.id, "closed", { text: note, detail: { answered: r.respondedAt !== null, ...(unanswered ? { lastMessageUnanswered: true } : {}) } }),
        ...(askRating ? [this.event(null, "rating_requested")] : []),
      ],
      audit: [this.audit(user.id, "referral.close", r.id, { answered: r.respondedAt !== null, ratingRequested: askRating })],
    });
    if (r.threadOwned) await this.gateway.setOwner(r.threadId, null);
    if (askRating) await this.gateway.requestRating(r.threadId, r.id, this.ratingText(updated));
    this.publish("referral.closed", updated, user.id);
    return updated;
  }

  /**
   * The resident wrote after the lawyer's last reply (or, with no reply yet, after the
   * referral was raised): their last question is still open. The console warns before
   * closing, and closing then does not ask the resident to rate.
   */
  async residentWaiting(r: Referral): Promise<boolean> {
    const history = await this.gateway.getHistory(r.threadId, 200).catch(() => [] as ThreadHistoryItem[]);
    for (let i = history.length - 1; i >= 0; i--) {
      const m = history[i];
      if (m.role === "lawyer") return false;
      if (m.role === "resident") {
        if (m.meta?.rating !== undefined || m.meta?.rateLimited) continue;
        // "好的，我明天带材料过去" acknowledges the reply: nothing is left unanswered.
        if (r.respondedAt !== null && ACKNOWLEDGEMENT.test(m.text ?? "") && !OPEN_QUESTION.test(m.text ?? "")) return false;
        return Date.parse(m.at) > Date.parse(r.clockStartedAt) || r.respondedAt !== null;
      }
    }
    return false;
  }

  /** Reopens a closed referral: back to its last owner's queue with a fresh deadline clock. */
  async reopen(referralId: string, userId: string, reason: string): Promise<Referral> {
    const why = requireText(reason, "重新打开须填写原因");
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCan(user, r, "reopen");
    const now = this.clock();
    const updated = await this.change(r, {
      guard: { statuses: ["closed"], cycle: r.cycle },
      patch: {
        status: "reopened",
        ownerId: null,
        assignedTo: r.ownerId,
        assignedQueue: r.ownerId ? "lawyer" : "pool",
        cycle: r.cycle + 1,
        clockStartedAt: now.toISOString(),
        responseDue: responseDue(now, r.urgency, this.policy).toISOString(),
        respondedAt: null,
        closedAt: null,
        outcome: null,
        rating: null,
        ratingComment: null,
      },
      events: [this.event(user.id, "reopened", { text: why, detail: { previousOwner: r.ownerId, previousOutcome: r.outcome } })],
      audit: [this.audit(user.id, "referral.reopen", r.id, { reason: why, cycle: r.cycle + 1 })],
    });
    this.publish("referral.reopened", updated, user.id);
    await this.notify([r.ownerId ?? null, ...(r.ownerId ? [] : await this.router.supervisorsFor(r.region))], updated, "reopened");
    return updated;
  }

  /**
   * The resident's rating (一案一评), once per cycle, attached to the referral and to the
   * owner who handled it. Low ratings reach the supervisors (complaint tracking).
   */
  async rate(referralId: string, stars: number, comment?: string | null): Promise<Referral> {
    if (!Number.isInteger(stars) || stars < 1 || stars > 5) throw new ValidationError("评分应为1-5的整数");
    const r = await this.load(referralId);
    if (r.status !== "closed") throw new ConflictError("工单尚未办结，暂不能评价");
    const text = comment?.trim().slice(0, 500) || null;
    const now = this.nowIso();
    const updated = await this.change(
      r,
      {
        guard: { statuses: ["closed"], cycle: r.cycle, unrated: true },
        patch: { rating: stars, ratingComment: text },
        rating: { cycle: r.cycle, stars, comment: text, ownerId: r.ownerId, at: now },
        events: [this.event(null, "rated", { text, detail: { stars, ownerId: r.ownerId } })],
        audit: [this.audit(null, "referral.rate", r.id, { stars, ownerId: r.ownerId, cycle: r.cycle })],
      },
      "该工单已评价",
    );
    this.publish("referral.rated", updated, null);
    await this.notify([r.ownerId], updated, "rated");
    if (stars <= 2) await this.notify(await this.router.supervisorsFor(r.region), updated, "rated");
    return updated;
  }

  // ---------------------------------------------------------------- from the conversation core

  /**
   * The resident wrote while a person owns the thread (conversation core: onResidentMessageWhileOwned).
   * Lands on the open referral's timeline and pings its owner. Returns null when no referral is open.
   */
  /** The newest referral of a thread, for the resident's own channel (no viewer: internal use). */
  async latestForThread(threadId: string): Promise<Referral | null> {
    const [r] = await this.store.listReferrals({ threadId, order: "created_desc", limit: 1 });
    return r ?? null;
  }

  async residentMessage(threadId: string, text: string): Promise<Referral | null> {
    const [r] = await this.store.listReferrals({ threadId, statuses: NOT_CLOSED, order: "created_desc", limit: 1 });
    if (!r) return null;
    const updated = await this.change(r, {
      patch: {},
      events: [this.event(null, "resident_message", { text: text.slice(0, MAX_TEXT) })],
      audit: [this.audit(null, "referral.resident_message", r.id, { length: text.length })],
    });
    this.publish("referral.resident_message", updated, null);
    await this.notify([r.ownerId ?? r.assignedTo], updated, "resident_message");
    return updated;
  }

  /**
   * Delivery outcome of a reply from the outbox. A failed or undelivered reply tells the owner
   * to reach the resident another way (回拨).
   */
  async recordDelivery(outboxId: string, status: "sent" | "failed" | "undelivered", detail: Record<string, unknown> = {}): Promise<Referral | null> {
    const ev = await this.store.findEventByOutbox(outboxId);
    if (!ev) return null;
    const r = await this.load(ev.referralId);
    const updated = await this.change(r, {
      patch: {},
      events: [this.event(null, "delivery", { outboxId, detail: { ...detail, status } })],
      audit: [this.audit(null, "referral.delivery", r.id, { outboxId, status })],
    });
    if (status !== "sent") {
      this.publish("referral.delivery_failed", updated, null);
      await this.notify([ev.actorId ?? r.ownerId], updated, "delivery_failed");
    }
    return updated;
  }

  // ---------------------------------------------------------------- deadlines

  /**
   * 限时办结: reminds the owner (or assignee, or the supervisors for their own queue) once the
   * reminder share of the window has passed, and escalates to the supervisors once the
   * deadline has passed. Each notice is sent once per referral cycle, recorded in the store,
   * so running this every minute from several processes is safe. Depends only on the store and `now`.
   */
  async runDeadlineCheck(now: Date = this.clock()): Promise<DeadlineCheckResult> {
    const result: DeadlineCheckResult = { reminders: [], overdue: [] };
    const running = await this.store.listReferrals({ clockRunning: true, limit: 100_000 });
    const at = now.toISOString();
    for (const r of running) {
      const stage = deadlineStage(r, now, this.policy);
      if (stage === "none") continue;
      const supervisors = await this.router.supervisorsFor(r.region);
      const responsible = r.ownerId ?? r.assignedTo;
      const recipients =
        stage === "reminder"
          ? responsible
            ? [responsible]
            : supervisors
          : [...new Set([...supervisors, ...(responsible ? [responsible] : [])])];
      const sent = await this.store.recordNotice(
        { referralId: r.id, cycle: r.cycle, kind: stage, at, recipients },
        { at, actorId: null, kind: stage, detail: { recipients, due: r.responseDue } },
        [{ at, actorId: null, action: `referral.deadline_${stage}`, targetType: "referral", targetId: r.id, detail: { recipients, due: r.responseDue, number: r.number } }],
      );
      if (!sent) continue;
      (stage === "reminder" ? result.reminders : result.overdue).push({ referralId: r.id, number: r.number, recipients });
      await this.notify(recipients, r, stage === "reminder" ? "deadline_reminder" : "deadline_overdue");
      this.publish(stage === "reminder" ? "referral.reminder" : "referral.overdue", r, null);
    }
    return result;
  }

  // ---------------------------------------------------------------- reading

  /** Queue rows for the console: mine, unclaimed (in my regions), overdue, closed. */
  async queue(userId: string, view: QueueView, opts: { limit?: number; offset?: number; filter?: QueueFilter } = {}): Promise<QueueRow[]> {
    const user = await this.actor(userId);
    const now = this.clock();
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
    let rows = (await this.store.listReferrals(query)).filter((r) => canView(user, r));
    if (filter) rows = rows.filter((r) => matchesFilter(r, filter)).slice(opts.offset ?? 0, (opts.offset ?? 0) + (opts.limit ?? 100));
    const names = new Map((await this.store.listUsers()).map((u) => [u.id, u.name]));
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
  async detail(referralId: string, userId: string): Promise<ReferralDetail> {
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCanView(user, r);
    const [events, history, notices, ratings] = await Promise.all([
      this.store.listEvents(r.id),
      this.gateway.getHistory(r.threadId, 100),
      this.store.listNotices(r.id),
      this.store.listRatings({ referralId: r.id }),
    ]);
    // Residents' personal details are in here: who looked is worth knowing.
    await this.store.appendAudit([this.audit(user.id, "referral.view", r.id, { number: r.number })]);
    return { referral: r, events, history, notices, ratings };
  }

  /**
   * The same resident's other referrals (same channel and resident key), newest first, as far
   * as this user may see them: earlier conversations a lawyer was never routed to stay hidden.
   */
  async residentReferrals(referralId: string, userId: string, limit = 20): Promise<Referral[]> {
    const user = await this.actor(userId);
    const r = await this.load(referralId);
    assertCanView(user, r);
    const visibleTo = { userId: user.id, regions: user.regions, all: user.role === "admin" };
    const others = await this.store.listReferrals({ residentKey: r.residentKey, channel: r.channel, visibleTo, order: "created_desc", limit: limit + 1 });
    return others.filter((x) => x.id !== r.id && canView(user, x)).slice(0, limit);
  }

  async getByNumber(number: string, userId: string): Promise<Referral> {
    const user = await this.actor(userId);
    const r = await this.store.getReferralByNumber(number);
    if (!r) throw new NotFoundError("工单不存在");
    assertCanView(user, r);
    return r;
  }

  // ---------------------------------------------------------------- saved replies

  /**
   * The user's own templates, the shared ones, then the shipped ones (ids `shipped:…`) that no
   * saved template of the same title replaces.
   */
  async listTemplates(userId: string): Promise<(ReplyTemplate & { shipped?: boolean })[]> {
    const user = await this.actor(userId);
    const saved = await this.store.listTemplates(user.id);
    const titles = new Set(saved.map((t) => t.title));
    return [...saved, ...this.shipped.filter((t) => !titles.has(t.title)).map((t) => ({ ...t, shipped: true }))];
  }

  /** Saves a personal template, or a shared one (supervisors and admins only). */
  async saveTemplate(userId: string, input: { id?: string; title: string; body: string; shared?: boolean }): Promise<ReplyTemplate> {
    const user = await this.actor(userId);
    const title = requireText(input.title, "请填写模板标题").slice(0, 100);
    const body = requireText(input.body, "模板内容不能为空");
    const shared = input.shared ?? false;
    if (shared && user.role === "lawyer") throw new ForbiddenError("仅督导或管理员可保存共享模板");
    // A shipped template is never changed in place: saving it keeps an editable copy.
    const id = input.id?.startsWith("shipped:") ? undefined : input.id;
    const existing = id ? await this.store.getTemplate(id) : null;
    if (id && !existing) throw new NotFoundError("模板不存在");
    if (existing) this.assertTemplateEditable(user, existing);
    const now = this.nowIso();
    const t: ReplyTemplate = {
      id: existing?.id ?? randomUUID(),
      ownerId: shared ? null : user.id,
      title,
      body,
      createdBy: existing?.createdBy ?? user.id,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.store.upsertTemplate(t, [
      { at: now, actorId: user.id, action: existing ? "template.update" : "template.create", targetType: "template", targetId: t.id, detail: { title, shared } },
    ]);
    return t;
  }

  async deleteTemplate(userId: string, templateId: string): Promise<void> {
    const user = await this.actor(userId);
    if (templateId.startsWith("shipped:")) throw new ForbiddenError("系统预置的常用回复不能删除，可以修改后另存");
    const t = await this.store.getTemplate(templateId);
    if (!t) throw new NotFoundError("模板不存在");
    this.assertTemplateEditable(user, t);
    await this.store.deleteTemplate(t.id, [
      { at: this.nowIso(), actorId: user.id, action: "template.delete", targetType: "template", targetId: t.id, detail: { title: t.title } },
    ]);
  }

  private assertTemplateEditable(user: User, t: ReplyTemplate): void {
    const ok = t.ownerId === null ? user.role !== "lawyer" : t.ownerId === user.id;
    if (!ok) throw new ForbiddenError("无权修改该模板");
  }

  // ---------------------------------------------------------------- privacy

  /** Blanks residents' text in referrals closed before `cutoff` (the purge schedule). */
  async redactClosedBefore(cutoff: Date): Promise<number> {
    const at = this.nowIso();
    return this.store.redactClosedBefore(cutoff.toISOString(), at, [
      { at, actorId: null, action: "referral.redact", targetType: "system", targetId: null, detail: { cutoff: cutoff.toISOString() } },
    ]);
  }
}

/** Findings of both, each article and guide once (the first's score wins). */
export function mergeFindings(a: Referral["findings"], b: Referral["findings"]): Referral["findings"] {
  const articles = new Map<string, Referral["findings"]["articles"][number]>();
  const guides = new Map<string, Referral["findings"]["guides"][number]>();
  for (const x of [...a.articles, ...b.articles]) if (!articles.has(x.id)) articles.set(x.id, x);
  for (const x of [...a.guides, ...b.guides]) if (!guides.has(x.id)) guides.set(x.id, x);
  return { articles: [...articles.values()].slice(0, 12), guides: [...guides.values()].slice(0, 6) };
}
