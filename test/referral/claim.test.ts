import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReferralService } from "../../src/referral/service.ts";
import { ConflictError, type User } from "../../src/referral/types.ts";
import { SqlReferralStore } from "../../src/store/referral-store.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { PROJECT_ROOT } from "../../src/config.ts";
import { harness, MemoryThreadGateway, OFFICE_HOURS, type Harness } from "./helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

async function lawyers(n: number, regions = ["qinghe"]): Promise<User[]> {
  const out: User[] = [];
  for (let i = 0; i < n; i++) out.push(await h.addUser(`l${String(i).padStart(2, "0")}`, "lawyer", regions));
  return out;
}

describe("claim: exactly one owner (首问负责)", () => {
  it("lets one of 20 simultaneous claims win and rejects the rest with ConflictError", async () => {
    const people = await lawyers(20);
    const r = await h.escalate();
    const results = await Promise.allSettled(people.map((p) => h.service.claim(r.id, p.id)));
    const winners = results.filter((x) => x.status === "fulfilled");
    const losers = results.filter((x): x is PromiseRejectedResult => x.status === "rejected");
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const l of losers) expect(l.reason).toBeInstanceOf(ConflictError);

    const stored = (await h.store.getReferral(r.id))!;
    const winner = (winners[0] as PromiseFulfilledResult<{ ownerId: string | null }>).value.ownerId;
    expect(stored.ownerId).toBe(winner);
    expect(stored.status).toBe("claimed");
    expect(stored.threadOwned).toBe(true);
    expect(h.gateway.owners.get(r.threadId)).toBe(winner);
    expect(h.gateway.setOwnerCalls).toHaveLength(1);
    expect((await h.store.listAudit({ action: "referral.claim" })).map((a) => a.actorId)).toEqual([winner]);
    expect((await h.store.listEvents(r.id)).filter((e) => e.kind === "claimed")).toHaveLength(1);
  });

  it("lets one win across two separate connections to the same file", async () => {
    const people = await lawyers(20);
    const r = await h.escalate();
    const db2 = openSqlite(h.path);
    try {
      const gateway2 = new MemoryThreadGateway();
      const service2 = new ReferralService({ store: new SqlReferralStore(db2), gateway: gateway2, clock: h.clock.now });
      const results = await Promise.allSettled(people.map((p, i) => (i % 2 === 0 ? h.service : service2).claim(r.id, p.id)));
      expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
      const owners = [...h.gateway.setOwnerCalls, ...gateway2.setOwnerCalls];
      expect(owners).toHaveLength(1);
      const viaOther = db2.prepare("SELECT owner_id FROM referrals WHERE id = ?").get(r.id) as { owner_id: string };
      expect(viaOther.owner_id).toBe(owners[0].userId);
    } finally {
      db2.close();
    }
  });

  it("lets one win across four OS processes claiming at the same instant", async () => {
    const people = await lawyers(16);
    const r = await h.escalate();
    const startAt = Date.now() + 4000;
    const run = promisify(execFile);
    const workers = [0, 1, 2, 3].map((w) =>
      run(
        process.execPath,
        [resolve(PROJECT_ROOT, "bin/run-script.js"), "test/referral/claim-worker.ts", h.path, r.id, String(startAt), ...people.slice(w * 4, w * 4 + 4).map((p) => p.id)],
        { cwd: PROJECT_ROOT },
      ),
    );
    const lines = (await Promise.all(workers)).flatMap((o) => o.stdout.trim().split("\n")).map((l) => JSON.parse(l) as { userId: string; ok: boolean; error: string | null });
    expect(lines).toHaveLength(16);
    const winners = lines.filter((l) => l.ok);
    expect(winners).toHaveLength(1);
    expect(lines.filter((l) => !l.ok).every((l) => l.error === "ConflictError")).toBe(true);
    expect((await h.store.getReferral(r.id))!.ownerId).toBe(winners[0].userId);
  }, 60_000);

  it("treats a repeated claim by the owner as a no-op and names the owner to others", async () => {
    const [a, b] = await lawyers(2);
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    const again = await h.service.claim(r.id, a.id);
    expect(again.ownerId).toBe(a.id);
    await expect(h.service.claim(r.id, b.id)).rejects.toThrow(`该工单已由${a.name}认领`);
    expect((await h.store.listAudit({ action: "referral.claim" })).length).toBe(1);
  });
});

describe("transfer, reassign, hand back", () => {
  it("requires a note, clears ownership and the thread, and lets only the target's claim follow", async () => {
    const [a, b] = await lawyers(2);
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await expect(h.service.transfer(r.id, a.id, { to: b.id, note: "  " })).rejects.toThrow("转交须填写说明");
    const t = await h.service.transfer(r.id, a.id, { to: b.id, note: "涉及工伤认定，转交熟悉工伤的律师" });
    expect(t.status).toBe("transferred");
    expect(t.ownerId).toBeNull();
    expect(t.assignedTo).toBe(b.id);
    expect(t.threadOwned).toBe(false);
    expect(h.gateway.owners.get(r.threadId)).toBeNull();
    expect(h.notifier.of("transferred")).toEqual([{ userIds: [b.id], number: r.number, kind: "transferred" }]);
    const ev = (await h.store.listEvents(r.id)).find((e) => e.kind === "transferred")!;
    expect(ev.text).toBe("涉及工伤认定，转交熟悉工伤的律师");
    expect(ev.detail).toMatchObject({ from: a.id, to: b.id });
    // The former owner can no longer reply, the new one claims and owns the thread.
    await expect(h.service.reply(r.id, a.id, "再补充一句")).rejects.toMatchObject({ code: "forbidden" });
    await h.service.claim(r.id, b.id);
    expect(h.gateway.owners.get(r.threadId)).toBe(b.id);
  });

  it("returns a referral to the pool and notifies the others on duty", async () => {
    const [a, b] = await lawyers(2, ["qinghe.dongzhen"]);
    for (const u of [a, b]) await h.addRota({ userId: u.id, regions: u.regions, schedule: OFFICE_HOURS });
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    const t = await h.service.transfer(r.id, a.id, { to: null, note: "本人下班，退回待认领" });
    expect(t.assignedQueue).toBe("pool");
    expect(t.assignedTo).toBeNull();
    expect(h.notifier.of("returned_to_pool")).toEqual([{ userIds: [b.id], number: r.number, kind: "returned_to_pool" }]);
  });

  it("lets supervisors reassign a claimed referral but not lawyers", async () => {
    const [a, b] = await lawyers(2, ["qinghe.dongzhen"]);
    const sup = await h.addUser("sup", "supervisor", ["qinghe.dongzhen"]);
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await expect(h.service.reassign(r.id, b.id, b.id)).rejects.toMatchObject({ code: "forbidden" });
    const moved = await h.service.reassign(r.id, sup.id, b.id, "a律师请假");
    expect(moved.assignedTo).toBe(b.id);
    expect(moved.ownerId).toBeNull();
    expect(h.gateway.owners.get(r.threadId)).toBeNull();
    expect((await h.store.listAudit({ action: "referral.reassign" }))[0].actorId).toBe(sup.id);
  });

  it("hands the thread back to the bot while the referral stays with its owner", async () => {
    const [a] = await lawyers(1);
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await h.service.reply(r.id, a.id, "您好，已收到。");
    const back = await h.service.handBackToBot(r.id, a.id);
    expect(back.threadOwned).toBe(false);
    expect(back.ownerId).toBe(a.id);
    expect(back.status).toBe("replied");
    expect(h.gateway.owners.get(r.threadId)).toBeNull();
  });
});
