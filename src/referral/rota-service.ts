// Maintaining the duty rota (值班表): admins edit any entry, supervisors the entries inside
// their regions; everyone signed in may read it. Every edit is audited.

import { randomUUID } from "node:crypto";
import type { NewAuditEntry, ReferralStore } from "../store/referral-store.ts";
import { anyRegionCovers, isRegionId } from "./regions.ts";
import { validateRotaInput, type DutyMatch, type DutyQuery } from "./rota.ts";
import { Router } from "./routing.ts";
import { ForbiddenError, NotFoundError, ValidationError, type RotaEntry, type RotaEntryInput, type User } from "./types.ts";

/**
 * The duty rota (值班表): admins edit any entry, supervisors those in their regions, everyone
 * signed in reads it; every edit is audited.
 */
export class RotaService {
  private readonly router: Router;

  constructor(
    private readonly store: ReferralStore,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.router = new Router(store);
  }

  /** Who is on duty at `at` for a region and topic (active staff only). */
  onDutyAt(at: Date, query: DutyQuery = {}): Promise<DutyMatch[]> {
    return this.router.onDuty(at, query);
  }

  async list(actorId: string): Promise<RotaEntry[]> {
    await this.actor(actorId);
    return this.store.listRotaEntries();
  }

  async add(actorId: string, input: RotaEntryInput): Promise<RotaEntry> {
    const actor = await this.actor(actorId);
    await this.check(actor, input);
    const now = this.clock().toISOString();
    const entry: RotaEntry = {
      id: randomUUID(),
      userId: input.userId,
      regions: input.regions,
      topics: input.topics ?? [],
      schedule: input.schedule ?? [],
      datesOff: input.datesOff ?? [],
      datesOn: input.datesOn ?? [],
      note: input.note ?? "",
      active: input.active ?? true,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insertRotaEntry(entry, [this.audit(actor.id, "rota.create", entry.id, this.describe(entry))]);
    return entry;
  }

  async update(actorId: string, entryId: string, patch: Partial<RotaEntryInput>): Promise<RotaEntry> {
    const actor = await this.actor(actorId);
    const current = await this.store.getRotaEntry(entryId);
    if (!current) throw new NotFoundError("值班安排不存在");
    // A supervisor must be responsible for the entry both before and after the edit.
    this.assertScope(actor, current.regions);
    const next: RotaEntry = { ...current, ...stripUndefined(patch), updatedAt: this.clock().toISOString() };
    await this.check(actor, next);
    await this.store.updateRotaEntry(next, [
      this.audit(actor.id, "rota.update", entryId, { before: this.describe(current), after: this.describe(next) }),
    ]);
    return next;
  }

  /** Deactivates an entry (kept for the record rather than deleted). */
  async remove(actorId: string, entryId: string): Promise<RotaEntry> {
    const actor = await this.actor(actorId);
    const current = await this.store.getRotaEntry(entryId);
    if (!current) throw new NotFoundError("值班安排不存在");
    this.assertScope(actor, current.regions);
    const next = { ...current, active: false, updatedAt: this.clock().toISOString() };
    await this.store.updateRotaEntry(next, [this.audit(actor.id, "rota.remove", entryId, this.describe(current))]);
    return next;
  }

  private async actor(id: string): Promise<User> {
    const u = await this.store.getUser(id);
    if (!u || !u.active) throw new ForbiddenError("账号不可用");
    if (u.mustChangePassword) throw new ForbiddenError("请先修改初始密码");
    return u;
  }

  private assertScope(actor: User, regions: string[]): void {
    if (actor.role === "admin") return;
    if (actor.role === "supervisor" && regions.every((r) => anyRegionCovers(actor.regions, r))) return;
    throw new ForbiddenError("无权修改该区域的值班安排");
  }

  private async check(actor: User, input: RotaEntryInput): Promise<void> {
    validateRotaInput(input);
    for (const r of input.regions) if (!isRegionId(r)) throw new ValidationError(`区域编号不正确：${r}`);
    this.assertScope(actor, input.regions);
    const person = await this.store.getUser(input.userId);
    if (!person || !person.active || person.role === "admin") throw new ValidationError("值班人员不存在或已停用");
  }

  private describe(e: RotaEntry): Record<string, unknown> {
    return { userId: e.userId, regions: e.regions, topics: e.topics, schedule: e.schedule, datesOff: e.datesOff, datesOn: e.datesOn, active: e.active };
  }

  private audit(actorId: string, action: string, targetId: string, detail: Record<string, unknown>): NewAuditEntry {
    return { at: this.clock().toISOString(), actorId, action, targetType: "rota", targetId, detail };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
