// Smaller console hardening (issue 14, point 8): common and look-alike passwords refused,
// a user who must change their password reads nothing else, malformed rota entries are a
// 400, display names bounded.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPasswordPolicy } from "../../src/referral/passwords.ts";
import { ValidationError } from "../../src/referral/types.ts";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer } from "../server/helpers.ts";

describe("password policy", () => {
  it("refuses common passwords however they are decorated", () => {
    for (const p of ["Password1", "password123", "P@ssw0rd!", "Passw0rd2026", "Qwerty123", "12345678a", "abcd1234", "Admin123!", "Welcome2026", "Woaini1314", "Lawdesk2026!", "aaaaaaa1A"]) {
      expect(() => checkPasswordPolicy(p), p).toThrow(ValidationError);
    }
  });

  it("refuses passwords that contain the username, also reversed or with 0 for o", () => {
    for (const p of ["Zhangsan99!", "zhangsan-2026", "ZHANGSAN#2026x", "Nasgnahz-2026", "Zh4ngs4n-2026"]) expect(() => checkPasswordPolicy(p, "zhangsan"), p).toThrow("密码不能包含用户名");
  });

  it("accepts ordinary strong passwords", () => {
    for (const p of ["Qh-secret-2026", "Brand-New-Passw0rd", "Admin-Passw0rd-2026", "Xi4n-Mediation-77", "tea&rice*Lamp9"]) expect(() => checkPasswordPolicy(p, "zhangsan"), p).not.toThrow();
  });

  it("property: a common word with digits and symbols around it is refused", () => {
    fc.assert(
      fc.property(fc.constantFrom("password", "Password", "PASSWORD", "passw0rd", "p@ssword", "admin", "qwerty", "welcome", "iloveyou"), fc.stringMatching(/^[0-9!@#$%^&*._-]{0,6}$/), fc.stringMatching(/^[0-9!#%^&*._-]{1,6}$/), (word, before, after) => {
        const p = `${before}${word}${after}`;
        if (p.length < 8) return;
        expect(() => checkPasswordPolicy(p)).toThrow(ValidationError);
      }),
      { numRuns: 500 },
    );
  });
});

describe("over HTTP", () => {
  let t: TestServer;
  let admin: Client;
  beforeAll(async () => {
    t = await startTestServer();
    admin = new Client(t.base);
    expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
  });
  afterAll(() => t?.close());

  it("a user who must change their password cannot read the dashboard, its CSV, articles, guides or live updates", async () => {
    const created = await admin.post("/api/console/users", { username: "fresh", name: "新人", role: "supervisor", regions: ["qinghe"] });
    expect(created.status).toBe(200);
    const c = new Client(t.base);
    const login = await c.login("fresh", created.body.oneTimePassword);
    expect(login.body.mustChangePassword).toBe(true);
    for (const path of ["/api/console/dashboard", "/api/console/dashboard/meta", "/api/console/dashboard/summary", "/api/console/dashboard/summary/csv", "/api/console/articles/anything", "/api/console/guides/anything", "/api/console/templates", "/api/console/duty", "/api/console/events", "/api/console/queue?view=mine"]) {
      const res = await c.get(path);
      expect(res.status, path).toBe(403);
      expect(res.body.error, path).toBe("请先修改初始密码");
    }
    expect((await c.get("/api/console/me")).status).toBe(200);
    // Not even with a password like the common ones.
    const weak = await c.post("/api/console/password", { oldPassword: created.body.oneTimePassword, newPassword: "Password1" });
    expect(weak.status).toBe(400);
    const changed = await c.post("/api/console/password", { oldPassword: created.body.oneTimePassword, newPassword: "Brand-New-Passw0rd" });
    expect(changed.status).toBe(200);
    c.csrf = changed.body.csrfToken;
    expect((await c.get("/api/console/dashboard/summary/csv")).status).toBe(200);
    expect((await c.get("/api/console/dashboard")).status).toBe(200);
  });

  it("a rota entry with null or malformed dates and slots is a 400, not a 500", async () => {
    const { id } = await createStaff(t, admin, { username: "rota-null", name: "值班", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const bodies = [
      { datesOn: [null] },
      { datesOn: [{ date: null }] },
      { datesOn: [{ date: 20260301 }] },
      { datesOn: [{ date: "2026-03-01", start: 9 }] },
      { datesOn: [5] },
      { schedule: [null] },
      { schedule: [{ day: 1, start: null, end: "17:00" }] },
    ];
    for (const extra of bodies) {
      const res = await admin.post("/api/console/rota", { userId: id, regions: ["qinghe"], ...extra });
      expect(res.status, JSON.stringify(extra)).toBe(400);
      expect(typeof res.body.error).toBe("string");
      const viaAdmin = await admin.post("/api/console/admin/rota", { userId: id, regions: ["qinghe"], ...extra });
      expect(viaAdmin.status, `admin ${JSON.stringify(extra)}`).toBe(400);
    }
  });

  it("a display name is trimmed and 1 to 60 characters, on creation and on edit", async () => {
    const { id } = await createStaff(t, admin, { username: "named", name: "有名", role: "lawyer", regions: ["qinghe"], onDuty: false });
    for (const name of ["", "   ", "名".repeat(61), "x".repeat(60_000), "a\u0000b"]) {
      const res = await admin.post(`/api/console/users/${id}`, { name });
      expect(res.status, name.slice(0, 10)).toBe(400);
    }
    const ok = await admin.post(`/api/console/users/${id}`, { name: `  ${"名".repeat(60)}  ` });
    expect(ok.status).toBe(200);
    expect(ok.body.user.name).toBe("名".repeat(60));
    const tooLong = await admin.post("/api/console/users", { username: "longname", name: "名".repeat(61), role: "lawyer", regions: ["qinghe"] });
    expect(tooLong.status).toBe(400);
  });
});
