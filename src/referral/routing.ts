// Dispatch (派单): who gets a new referral. The on-duty person whose rota entry covers the
// most specific region (village → township → county) and the topic, with the fewest open
// referrals; nobody on duty → the supervisors' queue.

import type { ReferralStore } from "../store/referral-store.ts";
import { onDutyAt, type DutyMatch, type DutyQuery } from "./rota.ts";
import { anyRegionCovers } from "./regions.ts";
import type { User } from "./types.ts";

export interface RouteDecision {
  /** The person to notify and expect a claim from; null → supervisors' queue. */
  assignee: string | null;
  /** The rota region that matched the assignee. */
  matchedRegion: string | null;
  /** Everyone considered at the winning level, with their load, for the event detail. */
  candidates: { userId: string; open: number }[];
}

const depth = (region: string) => region.split(".").length;

export class Router {
  constructor(private readonly store: ReferralStore) {}

  /** On-duty matches restricted to active lawyers/supervisors (a deactivated user's rota is ignored). */
  async onDuty(at: Date, query: DutyQuery = {}): Promise<DutyMatch[]> {
    const [entries, users] = await Promise.all([this.store.listRotaEntries({ activeOnly: true }), this.activeStaff()]);
    return onDutyAt(entries, at, query).filter((m) => users.has(m.userId));
  }

  async route(region: string | null, topic: string, at: Date): Promise<RouteDecision> {
    const matches = await this.onDuty(at, { region, topic });
    if (matches.length === 0) return { assignee: null, matchedRegion: null, candidates: [] };
    // Most specific level first: a village adviser before the township's duty lawyer.
    const deepest = Math.max(...matches.map((m) => depth(m.region)));
    const level = matches.filter((m) => depth(m.region) === deepest);
    const userIds = [...new Set(level.map((m) => m.userId))];
    const [load, users] = await Promise.all([this.store.countOpen(userIds), this.activeStaff()]);
    const ranked = userIds
      .map((id) => ({ id, open: load.get(id) ?? 0, expert: users.get(id)?.topics.includes(topic) ? 0 : 1 }))
      // Fewest open first; then someone who lists the topic; then a stable order.
      .sort((a, b) => a.open - b.open || a.expert - b.expert || a.id.localeCompare(b.id));
    const winner = ranked[0];
    return {
      assignee: winner.id,
      matchedRegion: level.find((m) => m.userId === winner.id)!.region,
      candidates: ranked.map((r) => ({ userId: r.id, open: r.open })),
    };
  }

  /**
   * Supervisors responsible for a region; when none covers it, every active supervisor,
   * and failing that the administrators — a notice must never go nowhere.
   */
  async supervisorsFor(region: string | null): Promise<string[]> {
    const supervisors = await this.store.listUsers({ role: "supervisor", activeOnly: true });
    const covering = supervisors.filter((u) => anyRegionCovers(u.regions, region));
    if (covering.length) return covering.map((u) => u.id);
    if (supervisors.length) return supervisors.map((u) => u.id);
    return (await this.store.listUsers({ role: "admin", activeOnly: true })).map((u) => u.id);
  }

  private async activeStaff(): Promise<Map<string, User>> {
    const users = await this.store.listUsers({ activeOnly: true });
    return new Map(users.filter((u) => u.role !== "admin").map((u) => [u.id, u]));
  }
}
