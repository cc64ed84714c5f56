// The duty rota editor (值班表): supervisors and administrators keep people, regions,
// topics, weekly slots and exceptions. RotaService checks scope and writes the audit log;
// routing reads the rota at each referral, so an edit applies to the next one at once.

import type { FastifyInstance } from "fastify";
import type { App } from "../../app.ts";
import { coverageGaps } from "../../referral/coverage.ts";
import { entryOnDutyAt, type RotaEntryInput } from "../../referral/index.ts";
import { loadTopics } from "../../pipeline/topic.ts";
import { requireRole, str, strList, type Body } from "./common.ts";

const EDITORS = ["supervisor", "admin"] as const;

/** The rota fields a request may set; absent fields are left as they are on update. */
function rotaInput(b: Body): Partial<RotaEntryInput> {
  const out: Partial<RotaEntryInput> = {};
  if (typeof b.userId === "string") out.userId = b.userId;
  if (b.regions !== undefined) out.regions = strList(b, "regions");
  if (b.topics !== undefined) out.topics = strList(b, "topics");
  if (Array.isArray(b.schedule)) out.schedule = (b.schedule as { day: unknown; start: unknown; end: unknown }[]).map((s) => ({ day: Number(s?.day), start: String(s?.start ?? ""), end: String(s?.end ?? "") }));
  if (b.datesOff !== undefined) out.datesOff = strList(b, "datesOff");
  if (Array.isArray(b.datesOn)) {
    out.datesOn = (b.datesOn as { date?: unknown; start?: unknown; end?: unknown }[]).map((x) => ({
      date: String(x?.date ?? ""),
      ...(x?.start ? { start: String(x.start) } : {}),
      ...(x?.end ? { end: String(x.end) } : {}),
    }));
  }
  if (typeof b.note === "string") out.note = str(b, "note", 200);
  if (typeof b.active === "boolean") out.active = b.active;
  return out;
}

export function rotaRoutes(api: FastifyInstance, app: App): void {
  const topics = loadTopics(app.config.knowledgeDir).map((t) => ({ id: t.id, label: t.label }));
  const regions = [...app.directory.regions.values()].map((r) => ({ id: r.id, name: r.name, level: r.level, parent: r.parent }));

  api.get("/api/console/admin/rota", async (request) => {
    const me = requireRole(request, ...EDITORS);
    const now = new Date();
    const [entries, users, matches] = await Promise.all([app.rota.list(me.id), app.auth.listUsers(me.id), app.rota.onDutyAt(now)]);
    const names = new Map(users.map((u) => [u.id, u]));
    const byEntry = new Map(entries.map((e) => [e.id, e]));
    const onDuty = [...new Set(matches.map((m) => m.userId))].map((id) => {
      const mine = matches.filter((m) => m.userId === id);
      const dutyTopics = mine.map((m) => byEntry.get(m.entryId)?.topics ?? []);
      return {
        userId: id,
        name: names.get(id)?.name ?? id,
        role: names.get(id)?.role,
        regions: [...new Set(mine.map((m) => m.region))],
        /** Duty coverage; empty = every topic. Expertise is separate (people[].topics). */
        topics: dutyTopics.some((t) => t.length === 0) ? [] : [...new Set(dutyTopics.flat())],
        expertise: names.get(id)?.topics ?? [],
      };
    });
    const active = new Set(users.filter((u) => u.active && u.role !== "admin").map((u) => u.id));
    const gaps = coverageGaps(entries, active, topics.map((t) => t.id), regions.filter((r) => r.id.split(".").length <= 2).map((r) => r.id), now);
    return {
      now: now.toISOString(),
      entries: entries.map((e) => ({ ...e, userName: names.get(e.userId)?.name ?? "（已删除）", onDutyNow: entryOnDutyAt(e, now) && names.get(e.userId)?.active === true })),
      people: users.filter((u) => u.active && u.role !== "admin").map((u) => ({ id: u.id, name: u.name, role: u.role, regions: u.regions, topics: u.topics })),
      onDuty,
      gaps,
      regions,
      topics,
    };
  });

  api.post<{ Body: Body }>("/api/console/admin/rota", async (request) => {
    const me = requireRole(request, ...EDITORS);
    const input = rotaInput(request.body ?? {});
    return { entry: await app.rota.add(me.id, { userId: input.userId ?? "", regions: input.regions ?? [], ...input }) };
  });

  api.post<{ Params: { id: string }; Body: Body }>("/api/console/admin/rota/:id", async (request) => {
    const me = requireRole(request, ...EDITORS);
    return { entry: await app.rota.update(me.id, request.params.id, rotaInput(request.body ?? {})) };
  });

  api.post<{ Params: { id: string } }>("/api/console/admin/rota/:id/remove", async (request) => {
    const me = requireRole(request, ...EDITORS);
    return { entry: await app.rota.remove(me.id, request.params.id) };
  });
}
