import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatReferralNumber } from "../../src/store/referral-store.ts";
import { shanghai } from "../../src/referral/time.ts";
import { harness, type Harness } from "./helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

describe("audit log", () => {
  it("is append-only: the database refuses UPDATE and DELETE", async () => {
    await h.escalate();
    const count = (h.db.prepare("SELECT COUNT(*) AS n FROM audit_log").get() as { n: number }).n;
    expect(count).toBeGreaterThan(0);
    expect(() => h.db.prepare("UPDATE audit_log SET action = 'nothing'").run()).toThrow("audit_log is append-only");
    expect(() => h.db.prepare("DELETE FROM audit_log").run()).toThrow("audit_log is append-only");
    expect((h.db.prepare("SELECT COUNT(*) AS n FROM audit_log").get() as { n: number }).n).toBe(count);
    // Inserting is still allowed.
    await h.store.appendAudit([{ at: new Date().toISOString(), actorId: null, action: "test", targetType: "system", targetId: null, detail: {} }]);
    expect((h.db.prepare("SELECT COUNT(*) AS n FROM audit_log").get() as { n: number }).n).toBe(count + 1);
  });

  it("records every step of a referral's life with who did it", async () => {
    const a = await h.addUser("a", "lawyer", ["qinghe"]);
    const b = await h.addUser("b", "lawyer", ["qinghe"]);
    const r = await h.escalate();
    await h.service.claim(r.id, a.id);
    await h.service.addNote(r.id, a.id, "内部备注");
    await h.service.transfer(r.id, a.id, { to: b.id, note: "转交" });
    await h.service.claim(r.id, b.id);
    await h.service.reply(r.id, b.id, "答复");
    await h.service.close(r.id, b.id, "办结");
    await h.service.rate(r.id, 4);
    await h.service.reopen(r.id, b.id, "补充");
    const log = await h.store.listAudit({ targetType: "referral", targetId: r.id });
    expect(log.map((e) => [e.action, e.actorId])).toEqual([
      ["referral.create", null],
      ["referral.queue", null],
      ["referral.claim", a.id],
      ["referral.note", a.id],
      ["referral.transfer", a.id],
      ["referral.claim", b.id],
      ["referral.reply", b.id],
      ["referral.close", b.id],
      ["referral.rate", null],
      ["referral.reopen", b.id],
    ]);
    expect(log.every((e) => e.detail.number === r.number)).toBe(true);
  });

  it("rolls the change back when the audit entry cannot be written", async () => {
    const a = await h.addUser("a", "lawyer", ["qinghe"]);
    const r = await h.escalate();
    h.db.exec("CREATE TRIGGER break_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
    await expect(h.service.claim(r.id, a.id)).rejects.toThrow("disk full");
    expect((await h.store.getReferral(r.id))!.ownerId).toBeNull();
    h.db.exec("DROP TRIGGER break_audit");
  });
});

describe("referral numbers", () => {
  it("formats as YYYY-NNNNNN with a per-year sequence in Shanghai time", async () => {
    expect(formatReferralNumber(2026, 123)).toBe("2026-000123");
    expect(formatReferralNumber(2026, 1234567)).toBe("2026-1234567");
    h.clock.set(shanghai("2026-12-31", "23:58"));
    const a = await h.escalate();
    const b = await h.escalate();
    // 2026-12-31 16:30 UTC is already 2027 in Shanghai.
    h.clock.set(new Date("2026-12-31T16:30:00Z"));
    const c = await h.escalate();
    const d = await h.escalate();
    expect([a.number, b.number, c.number, d.number]).toEqual(["2026-000001", "2026-000002", "2027-000001", "2027-000002"]);
    for (const x of [a, b, c, d]) expect(x.number).toMatch(/^\d{4}-\d{6,}$/);
  });

  it("never hands out one number twice, even from two connections", async () => {
    const { openSqlite } = await import("../../src/store/sqlite.ts");
    const { SqlReferralStore } = await import("../../src/store/referral-store.ts");
    const { ReferralService } = await import("../../src/referral/service.ts");
    const db2 = openSqlite(h.path);
    try {
      const other = new ReferralService({ store: new SqlReferralStore(db2), gateway: h.gateway, clock: h.clock.now });
      const made = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (i % 2 ? other : h.service).createFromEscalation({
            escalationId: `e${i}`,
            threadId: `t${i}`,
            channel: "telegram",
            residentKey: `k${i}`,
            reason: "asked_human",
            urgency: "normal",
            topic: "debt",
            region: "qinghe",
            summary: "借钱不还",
            findings: { articles: [], guides: [] },
          }),
        ),
      );
      const numbers = made.map((m) => m.number).sort();
      expect(new Set(numbers).size).toBe(30);
      expect(numbers[0]).toBe("2026-000001");
      expect(numbers[29]).toBe("2026-000030");
    } finally {
      db2.close();
    }
  });
});
