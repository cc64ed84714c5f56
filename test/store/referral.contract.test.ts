// ReferralStore contract: the same tests against SQLite (temp file) and PostgreSQL (fresh schema),
// partly through the ReferralService that the console uses, partly on the store directly.

import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReferralService } from "../../src/referral/service.ts";
import { RotaService } from "../../src/referral/rota-service.ts";
import { ConflictError, type EscalationInput, type Referral, type Role, type User, type UserRecord } from "../../src/referral/types.ts";
import type { NewAuditEntry, ReferralStore } from "../../src/store/referral-store.ts";
import { MemoryThreadGateway, MONDAY_10, OFFICE_HOURS, RecordingNotifier, TestClock } from "../referral/helpers.ts";
import { BACKENDS, skipped, title, type Backend } from "./backends.ts";

const iso = (d: Date) => d.toISOString();

function userRecord(username: string, role: Role, at: string, regions: string[] = ["qinghe"]): UserRecord {
  return {
    id: `u-${username}`,
    username,
    name: `${username}律师`,
    passwordHash: "scrypt$1$1$1$AA==$AA==",
    role,
    regions,
    topics: [],
    phone: null,
    active: true,
    failedLogins: 0,
    lockedUntil: null,
    mustChangePassword: false,
    createdAt: at,
    updatedAt: at,
  };
}

const auditOf = (at: string, action: string, targetId: string | null = null, detail: Record<string, unknown> = {}): NewAuditEntry => ({
  at,
  actorId: "u-root",
  action,
  targetType: "user",
  targetId,
  detail,
});

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("ReferralStore contract", name), () => {
    let b: Backend;
    let store: ReferralStore;
    let clock: TestClock;
    let gateway: MemoryThreadGateway;
    let service: ReferralService;
    let seq = 0;

    const serviceOn = (s: ReferralStore, g = new MemoryThreadGateway()) =>
      new ReferralService({ store: s, gateway: g, notifier: new RecordingNotifier(), clock: clock.now });
    const addUser = async (username: string, role: Role, regions: string[] = ["qinghe"]): Promise<User> => {
      const u = userRecord(username, role, iso(clock.now()), regions);
      await store.insertUser(u, []);
      const { passwordHash: _omit, ...user } = u;
      return user;
    };
    const escalation = (over: Partial<EscalationInput> = {}): EscalationInput => ({
      escalationId: `esc-${++seq}-${randomUUID()}`,
      threadId: `thread-${seq}`,
      channel: "wechat_oa",
      residentKey: `openid-${seq}`,
      reason: "low_confidence",
      urgency: "normal",
      topic: "labour",
      region: "qinghe.dongzhen.lijiacun",
      summary: "老板欠我三个月工资不给咋办",
      findings: { articles: [{ id: "a1", law: "中华人民共和国劳动合同法", article: "第三十条", score: 0.4 }], guides: [] },
      ...over,
    });

    beforeEach(async () => {
      b = await make();
      store = b.referral;
      clock = new TestClock(MONDAY_10);
      gateway = new MemoryThreadGateway();
      service = new ReferralService({ store, gateway, notifier: new RecordingNotifier(), clock: clock.now });
      await addUser("root", "admin", []);
    });
    afterEach(async () => b.close());

    it("stores users: case-insensitive unique usernames, patches, lockout and ordering", async () => {
      const at = iso(clock.now());
      await store.insertUser(userRecord("Zhang", "lawyer", at), [auditOf(at, "user.create", "u-Zhang")]);
      await store.insertUser(userRecord("li", "supervisor", at, []), []);
      await expect(store.insertUser({ ...userRecord("ZHANG", "lawyer", at), id: "u-other" }, [])).rejects.toThrow(/unique/i);
      expect((await store.getUserByUsername("zhang"))?.id).toBe("u-Zhang");
      expect(await store.getUserByUsername("nobody")).toBeNull();
      expect(await store.getUser("u-Zhang")).toEqual(userRecord("Zhang", "lawyer", at));
      expect((await store.listUsers()).map((u) => u.username)).toEqual(["li", "root", "Zhang"]);
      expect((await store.listUsers({ role: "lawyer" })).map((u) => u.id)).toEqual(["u-Zhang"]);

      const later = iso(clock.advanceMinutes(5));
      const updated = await store.updateUser("u-Zhang", { regions: ["qinghe.dongzhen"], active: false, phone: "138", mustChangePassword: true }, later, [
        auditOf(later, "user.update", "u-Zhang"),
      ]);
      expect(updated).toMatchObject({ regions: ["qinghe.dongzhen"], active: false, phone: "138", mustChangePassword: true, updatedAt: later });
      expect(await store.updateUser("u-none", { name: "x" }, later, [auditOf(later, "never")])).toBeNull();
      expect((await store.listUsers({ activeOnly: true })).map((u) => u.id)).toEqual(["u-li", "u-root"]);

      const lockUntil = iso(clock.advanceMinutes(15));
      const fails = [];
      for (let i = 0; i < 3; i++) fails.push(await store.recordLoginFailure("u-li", 3, lockUntil, []));
      expect(fails.map((u) => [u?.failedLogins, u?.lockedUntil])).toEqual([
        [1, null],
        [2, null],
        [0, lockUntil],
      ]);
      expect(await store.recordLoginFailure("u-none", 3, lockUntil, [])).toBeNull();
      expect((await store.listAudit({ targetType: "user" })).map((a) => a.action)).toEqual(["user.create", "user.update"]);
    });

    it("stores sessions: touch, revoke once, revoke all of a user", async () => {
      await addUser("a", "lawyer");
      const at = iso(clock.now());
      const expires = iso(clock.advanceMinutes(60));
      for (const t of ["t1", "t2", "t3"]) {
        await store.insertSession({ tokenHash: t, userId: "u-a", csrfToken: `c-${t}`, createdAt: at, expiresAt: expires, lastSeenAt: at, revokedAt: null, ip: "127.0.0.1" }, []);
      }
      const seen = iso(clock.advanceMinutes(1));
      await store.touchSession("t1", seen);
      expect(await store.getSession("t1")).toEqual({ tokenHash: "t1", userId: "u-a", csrfToken: "c-t1", createdAt: at, expiresAt: expires, lastSeenAt: seen, revokedAt: null, ip: "127.0.0.1" });
      expect(await store.getSession("nope")).toBeNull();
      expect(await store.revokeSession("t1", seen, [auditOf(seen, "session.revoke")])).toBe(true);
      expect(await store.revokeSession("t1", seen, [auditOf(seen, "session.revoke")])).toBe(false);
      expect(await store.revokeUserSessions("u-a", seen, [])).toBe(2);
      expect((await store.getSession("t3"))?.revokedAt).toBe(seen);
      expect((await store.listAudit({ action: "session.revoke" })).length).toBe(1);
      await expect(store.insertSession({ tokenHash: "t9", userId: "u-ghost", csrfToken: "c", createdAt: at, expiresAt: at, lastSeenAt: at, revokedAt: null, ip: null }, [])).rejects.toThrow(/foreign key/i);
    });

    it("stores the rota with its JSON fields", async () => {
      await addUser("a", "lawyer");
      const rota = new RotaService(store, clock.now);
      const entry = await rota.add("u-root", { userId: "u-a", regions: ["qinghe"], topics: ["labour"], schedule: OFFICE_HOURS, datesOff: ["2026-03-03"], datesOn: [{ date: "2026-03-07", start: "09:00", end: "12:00" }], note: "周一到周五" });
      expect(await store.getRotaEntry(entry.id)).toEqual(entry);
      clock.advanceMinutes(1);
      const updated = await rota.update("u-root", entry.id, { regions: ["qinghe.dongzhen"], note: "改" });
      expect(await store.getRotaEntry(entry.id)).toEqual(updated);
      expect((await store.listRotaEntries({ userId: "u-a", activeOnly: true })).map((e) => e.regions)).toEqual([["qinghe.dongzhen"]]);
      expect(await store.listRotaEntries({ userId: "u-none" })).toEqual([]);
      expect(await store.getRotaEntry("nope")).toBeNull();
    });

    it("numbers referrals per year, and creates once per escalation", async () => {
      const e = escalation();
      const first = await service.createFromEscalation(e);
      const again = await service.createFromEscalation({ ...e, summary: "重复" });
      expect(again).toEqual(first);
      expect(first).toMatchObject({ number: "2026-000001", status: "open", cycle: 1, threadOwned: false, createdAt: iso(MONDAY_10), clockStartedAt: iso(MONDAY_10), rating: null });
      expect(first.findings).toEqual(e.findings);
      expect((await service.createFromEscalation(escalation())).number).toBe("2026-000002");
      clock.set(new Date("2027-01-05T02:00:00.000Z"));
      expect((await service.createFromEscalation(escalation())).number).toBe("2027-000001");
      expect(await store.getReferralByNumber("2026-000002")).toMatchObject({ number: "2026-000002" });
      expect(await store.getReferralByNumber("2030-000001")).toBeNull();
      expect(await store.getReferral("nope")).toBeNull();
      const created = await store.listAudit({ action: "referral.create" });
      expect(created.map((a) => a.detail.number)).toEqual(["2026-000001", "2026-000002", "2027-000001"]);
      expect((await store.listEvents(first.id)).map((ev) => ev.kind)).toEqual(["created", "queued"]);
    });

    it("creates concurrently from two processes: one referral per escalation, numbers without gaps or repeats", async () => {
      const other = await b.second();
      const service2 = serviceOn(other.referral);
      const shared = escalation();
      const distinct = Array.from({ length: 8 }, () => escalation());
      const results = await Promise.all([
        ...Array.from({ length: 6 }, (_, i) => (i % 2 ? service2 : service).createFromEscalation(shared)),
        ...distinct.map((e, i) => (i % 2 ? service2 : service).createFromEscalation(e)),
      ]);
      expect(new Set(results.slice(0, 6).map((r) => r.id)).size).toBe(1);
      const numbers = [...new Set(results.map((r) => r.number))].sort();
      expect(numbers).toEqual(Array.from({ length: 9 }, (_, i) => `2026-${String(i + 1).padStart(6, "0")}`));
      expect(await b.count("referrals")).toBe(9);
    });

    it("one conversation, one open referral, from two processes at once: each escalation opens it or joins it exactly once", async () => {
      const other = await b.second();
      const service2 = serviceOn(other.referral);
      const threadId = `thread-shared-${randomUUID()}`;
      const escalations = Array.from({ length: 5 }, () => escalation({ threadId }));
      // Every escalation twice (a live hand-over and a recovery retry), spread over both processes.
      const results = await Promise.all(escalations.flatMap((e, i) => [service, service2].map((s, k) => ((i + k) % 2 ? service2 : service).createFromEscalation(e))));
      expect(new Set(results.map((r) => r.id)).size).toBe(1);
      expect(await b.count("referrals")).toBe(1);
      const [opened] = await store.listReferrals({ threadId });
      const joined = (await store.listEvents(opened.id)).filter((e) => e.kind === "resident_message" && e.detail?.joined);
      const homes = escalations.map((e) => (opened.escalationId === e.escalationId ? 1 : 0) + joined.filter((j) => j.detail?.escalationId === e.escalationId).length);
      expect(homes).toEqual([1, 1, 1, 1, 1]);
    });

    it("20 concurrent claims of one referral from two pools: exactly one owner", async () => {
      const people: User[] = [];
      for (let i = 0; i < 20; i++) people.push(await addUser(`l${String(i).padStart(2, "0")}`, "lawyer"));
      const r = await service.createFromEscalation(escalation());
      const other = await b.second();
      const gateway2 = new MemoryThreadGateway();
      const service2 = serviceOn(other.referral, gateway2);
      const results = await Promise.allSettled(people.map((p, i) => (i % 2 ? service2 : service).claim(r.id, p.id)));
      const winners = results.filter((x): x is PromiseFulfilledResult<Referral> => x.status === "fulfilled");
      expect(winners).toHaveLength(1);
      for (const l of results.filter((x): x is PromiseRejectedResult => x.status === "rejected")) expect(l.reason).toBeInstanceOf(ConflictError);
      const winner = winners[0].value.ownerId;
      expect(await other.referral.getReferral(r.id)).toMatchObject({ ownerId: winner, status: "claimed", threadOwned: true, claimedAt: iso(MONDAY_10) });
      expect([...gateway.setOwnerCalls, ...gateway2.setOwnerCalls]).toEqual([{ threadId: r.threadId, userId: winner }]);
      expect((await store.listAudit({ action: "referral.claim" })).map((a) => a.actorId)).toEqual([winner]);
      expect((await store.listEvents(r.id)).filter((e) => e.kind === "claimed")).toHaveLength(1);
    });

    it("runs a referral's life: reply, close, one rating per cycle, reopen, then redaction", async () => {
      const lawyer = await addUser("wang", "lawyer");
      const r = await service.createFromEscalation(escalation());
      await service.claim(r.id, lawyer.id);
      clock.advanceMinutes(30);
      const { referral: replied, outboxId } = await service.reply(r.id, lawyer.id, "请携带劳动合同来中心");
      expect(replied).toMatchObject({ status: "replied", respondedAt: iso(clock.now()), firstResponseAt: iso(clock.now()) });
      expect((await store.findEventByOutbox(outboxId))?.kind).toBeDefined();
      expect(await store.findEventByOutbox("no-such-outbox")).toBeNull();
      clock.advanceMinutes(30);
      const closed = await service.close(r.id, lawyer.id, "已解答");
      expect(closed).toMatchObject({ status: "closed", closedAt: iso(clock.now()), outcome: "已解答", threadOwned: false });

      const rated = await service.rate(r.id, 5, "很好");
      expect(rated).toMatchObject({ rating: 5, ratingComment: "很好" });
      await expect(service.rate(r.id, 1)).rejects.toBeInstanceOf(ConflictError);
      expect(await store.listRatings({ referralId: r.id })).toEqual([{ referralId: r.id, cycle: 1, stars: 5, comment: "很好", ownerId: lawyer.id, at: iso(clock.now()) }]);

      clock.advanceMinutes(60);
      const reopened = await service.reopen(r.id, lawyer.id, "又来了");
      expect(reopened).toMatchObject({ status: "reopened", cycle: 2, ownerId: null, assignedTo: lawyer.id, respondedAt: null, rating: null, firstResponseAt: replied.firstResponseAt });
      await service.claim(r.id, lawyer.id);
      await service.close(r.id, lawyer.id, "二次办结");
      await service.rate(r.id, 2, "一般");
      expect((await store.listRatings({ ownerId: lawyer.id })).map((x) => [x.cycle, x.stars])).toEqual([
        [1, 5],
        [2, 2],
      ]);
      expect((await store.listEvents(r.id)).map((e) => e.kind)).toEqual(
        expect.arrayContaining(["created", "claimed", "closed", "rated", "reopened"]),
      );
      expect(await store.countOpen([lawyer.id, "u-root"])).toEqual(new Map([[lawyer.id, 0], ["u-root", 0]]));

      // Redaction blanks resident text of referrals closed before the cutoff, once.
      clock.advanceMinutes(24 * 60);
      const at = iso(clock.now());
      expect(await store.redactClosedBefore(at, at, [{ at, actorId: null, action: "referral.redact", targetType: "system", targetId: null, detail: {} }])).toBe(1);
      expect(await store.redactClosedBefore(at, at, [])).toBe(0);
      const red = (await store.getReferral(r.id))!;
      expect(red).toMatchObject({ summary: "[已清除]", residentKey: "[已清除]", outcome: null, ratingComment: null, redactedAt: at });
      expect((await store.listEvents(r.id)).every((e) => e.text === null)).toBe(true);
      expect((await store.listRatings({ referralId: r.id })).every((x) => x.comment === null)).toBe(true);
      expect((await store.listAudit({ action: "referral.redact" }))[0].detail).toEqual({ count: 1 });
    });

    it("refuses a change whose guard no longer holds, writing nothing", async () => {
      const r = await service.createFromEscalation(escalation());
      const at = iso(clock.now());
      const change = { guard: { statuses: ["claimed" as const] }, patch: { outcome: "x" }, events: [{ at, actorId: null, kind: "note" as const, text: "n" }], audit: [auditOf(at, "never")] };
      expect(await store.applyChange(r.id, change, at)).toBeNull();
      expect(await store.applyChange(r.id, { guard: { ownerId: "u-root" }, patch: { outcome: "x" } }, at)).toBeNull();
      expect(await store.applyChange(r.id, { guard: { cycle: 2 }, patch: { outcome: "x" } }, at)).toBeNull();
      expect(await store.applyChange("nope", { patch: { outcome: "x" } }, at)).toBeNull();
      expect((await store.listEvents(r.id)).map((e) => e.kind)).toEqual(["created", "queued"]);
      expect(await store.listAudit({ action: "never" })).toEqual([]);
      const ok = await store.applyChange(r.id, { guard: { statuses: ["open"], ownerId: null, cycle: 1, unrated: true }, patch: { outcome: "y", threadOwned: true, respondedAtIfUnset: at } }, at);
      expect(ok).toMatchObject({ outcome: "y", threadOwned: true, respondedAt: at, firstResponseAt: at });
      const later = iso(clock.advanceMinutes(1));
      expect(await store.applyChange(r.id, { patch: { respondedAtIfUnset: later } }, later)).toMatchObject({ respondedAt: at, updatedAt: later });
      // A rating outside 1-5 violates the CHECK and the whole change is rolled back.
      await expect(store.applyChange(r.id, { patch: { rating: 9 }, events: [{ at, actorId: null, kind: "note", text: "x" }] }, later)).rejects.toThrow(/check/i);
      expect((await store.listEvents(r.id)).map((e) => e.kind)).toEqual(["created", "queued"]);
    });

    it("queries referrals: visibility by region, involvement, overdue, order and paging, open load", async () => {
      const a = await addUser("a", "lawyer", ["qinghe.dongzhen"]);
      const c = await addUser("c", "lawyer", ["hexi"]);
      const r1 = await service.createFromEscalation(escalation({ region: "qinghe.dongzhen.lijiacun" }));
      clock.advanceMinutes(1);
      const r2 = await service.createFromEscalation(escalation({ region: "hexi", urgency: "emergency" }));
      clock.advanceMinutes(1);
      const r3 = await service.createFromEscalation(escalation({ region: null }));
      clock.advanceMinutes(1);
      const r4 = await service.createFromEscalation(escalation({ region: "qinghe.dongzhenx" }));
      await service.claim(r1.id, a.id);
      await service.claim(r2.id, c.id);

      const ids = (rs: Referral[]) => rs.map((r) => r.id);
      const visibleA = await store.listReferrals({ visibleTo: { userId: a.id, regions: ["qinghe.dongzhen"], all: false }, order: "created_desc" });
      // "qinghe.dongzhen" covers its villages but not "qinghe.dongzhenx"; only a top-level scope sees unknown regions.
      expect(ids(visibleA)).toEqual([r1.id]);
      expect(ids(await store.listReferrals({ visibleTo: { userId: "u-x", regions: ["qinghe"], all: false }, order: "created_desc" }))).toEqual([r4.id, r3.id, r1.id]);
      expect(ids(await store.listReferrals({ visibleTo: { userId: "u-x", regions: [], all: false } }))).toEqual([]);
      expect(ids(await store.listReferrals({ involving: a.id }))).toEqual([r1.id]);
      expect(ids(await store.listReferrals({ unowned: true, order: "created_desc" }))).toEqual([r4.id, r3.id]);
      expect(ids(await store.listReferrals({ ownerId: c.id }))).toEqual([r2.id]);
      expect(ids(await store.listReferrals({ statuses: ["claimed"], order: "created_desc" }))).toEqual([r2.id, r1.id]);
      expect(ids(await store.listReferrals({ threadId: r3.threadId }))).toEqual([r3.id]);
      // Default order: most urgent first, then the nearest deadline.
      expect(ids(await store.listReferrals({}))[0]).toBe(r2.id);
      expect(ids(await store.listReferrals({ order: "created_desc", limit: 2, offset: 1 }))).toEqual([r3.id, r2.id]);
      const far = new Date(clock.now().getTime() + 30 * 86_400_000).toISOString();
      expect(ids(await store.listReferrals({ overdueAt: far, order: "created_desc" }))).toEqual([r4.id, r3.id, r2.id, r1.id]);
      expect(await store.listReferrals({ overdueAt: iso(MONDAY_10) })).toEqual([]);
      expect(await store.countOpen([a.id, c.id, "u-root"])).toEqual(new Map([[a.id, 1], [c.id, 1], ["u-root", 0]]));
      expect(await store.countOpen([])).toEqual(new Map());

      await service.close(r1.id, a.id, "好", { requestRating: false });
      clock.advanceMinutes(1);
      await service.close(r2.id, c.id, "好", { requestRating: false });
      expect(ids(await store.listReferrals({ closedSince: iso(MONDAY_10), order: "closed_desc" }))).toEqual([r2.id, r1.id]);
      expect(ids(await store.listReferrals({ clockRunning: true, order: "created_desc" }))).toEqual([r4.id, r3.id]);
    });

    it("records each deadline notice once, also from two processes at once", async () => {
      const r = await service.createFromEscalation(escalation());
      clock.advanceMinutes(14 * 24 * 60);
      const first = await service.runDeadlineCheck();
      expect(first.overdue.map((o) => o.referralId)).toEqual([r.id]);
      expect(await service.runDeadlineCheck()).toEqual({ reminders: [], overdue: [] });
      const notices = await store.listNotices(r.id);
      expect(notices).toEqual([{ referralId: r.id, cycle: 1, kind: "overdue", at: iso(clock.now()), recipients: expect.any(Array) }]);

      const other = await b.second();
      const at = iso(clock.now());
      const notice = { referralId: r.id, cycle: 1, kind: "reminder" as const, at, recipients: ["u-root"] };
      const ev = { at, actorId: null, kind: "reminder" as const };
      const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other.referral : store).recordNotice(notice, ev, [])));
      expect(sent.filter(Boolean)).toHaveLength(1);
      expect((await store.listNotices(r.id)).map((n) => n.kind).sort()).toEqual(["overdue", "reminder"]);
    });

    it("saves reply templates: shared first, then own, by title", async () => {
      await addUser("a", "lawyer");
      const at = iso(clock.now());
      const t = (id: string, ownerId: string | null, title: string) => ({ id, ownerId, title, body: `body ${id}`, createdBy: "u-a", createdAt: at, updatedAt: at });
      await store.upsertTemplate(t("t1", "u-a", "B 私有"), []);
      await store.upsertTemplate(t("t2", null, "Z 共享"), []);
      await store.upsertTemplate(t("t3", null, "A 共享"), []);
      await store.upsertTemplate(t("t4", "u-root", "C 别人"), []);
      expect((await store.listTemplates("u-a")).map((x) => x.id)).toEqual(["t3", "t2", "t1"]);
      const later = iso(clock.advanceMinutes(1));
      await store.upsertTemplate({ ...t("t1", "u-a", "B 改"), createdAt: later, updatedAt: later, body: "新" }, [auditOf(later, "template.save", "t1")]);
      expect(await store.getTemplate("t1")).toEqual({ ...t("t1", "u-a", "B 改"), body: "新", updatedAt: later });
      expect(await store.deleteTemplate("t1", [auditOf(later, "template.delete", "t1")])).toBe(true);
      expect(await store.deleteTemplate("t1", [auditOf(later, "template.delete", "t1")])).toBe(false);
      expect(await store.getTemplate("t1")).toBeNull();
      expect((await store.listAudit({ targetId: "t1" })).map((x) => x.action)).toEqual(["template.save", "template.delete"]);
    });

    it("keeps the audit log append-only in the database itself", async () => {
      const at = iso(clock.now());
      await store.appendAudit([auditOf(at, "a.one", "x", { n: 1 }), auditOf(at, "a.two", "x", { nested: { ok: true } })]);
      await store.appendAudit([]);
      const rows = await store.listAudit({ targetId: "x" });
      expect(rows.map((r) => [r.action, r.detail, r.at, r.actorId, r.targetType])).toEqual([
        ["a.one", { n: 1 }, at, "u-root", "user"],
        ["a.two", { nested: { ok: true } }, at, "u-root", "user"],
      ]);
      expect(rows[0].id).toBeLessThan(rows[1].id);
      expect(await store.listAudit({ actorId: "u-root", limit: 1 })).toHaveLength(1);
      await expect(b.exec("UPDATE audit_log SET action = 'forged'")).rejects.toThrow(/append-only/);
      await expect(b.exec("DELETE FROM audit_log")).rejects.toThrow(/append-only/);
      expect((await store.listAudit({ targetId: "x" })).map((r) => r.action)).toEqual(["a.one", "a.two"]);
    });
  });
});
