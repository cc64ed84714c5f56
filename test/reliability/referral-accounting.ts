// Where each escalation ended up. Since one conversation keeps one open referral, an escalation
// either opened a referral (referrals.escalation_id) or joined the thread's open one (a
// resident_message event whose detail says joined, with its escalation id). Either way it must
// have exactly one home: none means a lost hand-over, two a duplicate.

import type { SqlDb } from "../../src/store/sql.ts";

/** Escalation id → how many referrals it opened plus how many it joined. */
export async function escalationHomes(db: SqlDb): Promise<Map<string, number>> {
  const homes = new Map<string, number>();
  const add = (id: unknown) => homes.set(String(id), (homes.get(String(id)) ?? 0) + 1);
  for (const e of await db.all<{ id: unknown }>("SELECT id FROM escalations")) homes.set(String(e.id), 0);
  for (const r of await db.all<{ escalation_id: unknown }>("SELECT escalation_id FROM referrals")) add(r.escalation_id);
  const events = await db.all<{ detail: unknown }>("SELECT detail FROM referral_events WHERE kind = 'resident_message'");
  for (const ev of events) {
    // SQLite returns the JSON text, PostgreSQL the parsed jsonb.
    const detail = (typeof ev.detail === "string" ? JSON.parse(ev.detail) : ev.detail) as { joined?: boolean; escalationId?: unknown } | null;
    if (detail?.joined && detail.escalationId !== undefined) add(detail.escalationId);
  }
  return homes;
}
