// What every part of the referral service shares: its ports and settings, and the steps each
// action is made of (load, check the actor, build audit and timeline entries, apply a guarded
// change, notify, publish). ReferralService (service.ts) holds one and hands it to the parts.

import type { Logger } from "pino";
import { createLogger } from "../log.ts";
import type { NewAuditEntry, NewReferralEvent, ReferralChange, ReferralStore } from "../store/referral-store.ts";
import { DEFAULT_DEADLINE_POLICY, type DeadlinePolicy } from "./deadlines.ts";
import { ReferralEvents, type ReferralEventName } from "./events.ts";
import { NULL_NOTIFIER, type Notifier, type ThreadGateway } from "./ports.ts";
import { Router } from "./routing.ts";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError, type NotifyKind, type Referral, type ReferralStatus, type ReplyTemplate, type User } from "./types.ts";

/** What a {@link ReferralService} is built from: its store and ports, and optional policies. */
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

/** Every status but closed. */
export const NOT_CLOSED: ReferralStatus[] = ["open", "claimed", "replied", "transferred", "reopened"];
/** Statuses in which a referral waits for someone to claim it. */
export const CLAIMABLE: ReferralStatus[] = ["open", "reopened", "transferred"];
/** The longest reply, note or reason a person may type, in characters. */
export const MAX_TEXT = 4000;

/** How a lawyer's reply reads to the resident unless the integrator says otherwise. */
export function defaultFormatReply(text: string): string {
  return `【律师回复】\n${text}`;
}

/** The message asking the resident to rate a closed referral (一案一评). */
export function defaultRatingRequest(r: Referral): string {
  return `您的咨询（工单号 ${r.number}）已办结。请为本次服务打分：直接回复数字1-5（5分为非常满意，1分为非常不满意）。`;
}

/** Trimmed text a person typed, or a ValidationError carrying `message` when empty or too long. */
export function requireText(text: string | undefined | null, message: string): string {
  const t = (text ?? "").trim();
  if (!t) throw new ValidationError(message);
  if (t.length > MAX_TEXT) throw new ValidationError(`内容过长（不超过${MAX_TEXT}字）`);
  return t;
}

/** The shared ports, settings and steps the parts of the referral service act through. */
export class ReferralContext {
  readonly events: ReferralEvents;
  readonly router: Router;
  readonly store: ReferralStore;
  readonly gateway: ThreadGateway;
  readonly notifier: Notifier;
  readonly clock: () => Date;
  readonly policy: DeadlinePolicy;
  readonly log: Logger;
  readonly formatReply: NonNullable<ReferralServiceOptions["formatReply"]>;
  readonly ratingText: NonNullable<ReferralServiceOptions["ratingRequestText"]>;
  readonly guideTitle: NonNullable<ReferralServiceOptions["guideTitle"]>;
  readonly shipped: ReplyTemplate[];

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

  /** The acting user, fresh from the store: deactivation and role changes apply at once. */
  async actor(userId: string): Promise<User> {
    const u = await this.store.getUser(userId);
    if (!u || !u.active) throw new ForbiddenError("账号不可用");
    if (u.mustChangePassword) throw new ForbiddenError("请先修改初始密码");
    const { passwordHash: _omit, ...user } = u;
    return user;
  }

  async load(referralId: string): Promise<Referral> {
    const r = await this.store.getReferral(referralId);
    if (!r) throw new NotFoundError("工单不存在");
    return r;
  }

  nowIso(): string {
    return this.clock().toISOString();
  }

  audit(actorId: string | null, action: string, targetId: string, detail: Record<string, unknown> = {}): NewAuditEntry {
    return { at: this.nowIso(), actorId, action, targetType: "referral", targetId, detail };
  }

  event(actorId: string | null, kind: NewReferralEvent["kind"], extra: Partial<NewReferralEvent> = {}): NewReferralEvent {
    return { at: this.nowIso(), actorId, kind, ...extra };
  }

  /** Applies a guarded change; a false guard means someone else changed it first. */
  async change(r: Referral, change: ReferralChange, conflict = "工单状态已变化，请刷新后重试"): Promise<Referral> {
    const updated = await this.store.applyChange(r.id, change, this.nowIso());
    if (!updated) throw new ConflictError(conflict);
    return updated;
  }

  /** Notifications are best effort: a failed push must not undo a committed change. */
  async notify(userIds: (string | null | undefined)[], r: Referral, kind: NotifyKind): Promise<void> {
    const ids = [...new Set(userIds.filter((x): x is string => !!x))];
    if (ids.length === 0) return;
    try {
      await this.notifier.notify(ids, r, kind);
    } catch (err) {
      this.log.error({ err, referral: r.number, kind }, "referral notification failed");
    }
  }

  publish(name: ReferralEventName, referral: Referral, actorId: string | null): void {
    this.events.publish({ name, referral, actorId, at: this.nowIso() });
  }

  async activeUser(id: string, what: string): Promise<User> {
    const u = await this.store.getUser(id);
    if (!u || !u.active || u.role === "admin") throw new ValidationError(`${what}不存在或已停用`);
    return u;
  }
}
