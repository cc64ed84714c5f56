// Sessions and the browser-facing defences over HTTP: CSRF beyond the basics in
// test/server/console.test.ts (cross-origin on every state-changing API, form posts,
// tokens of dead sessions), session fixation with an attacker-chosen cookie, login rate
// limit, security headers on pages and APIs, cookie flags, and request size/type limits.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer } from "../server/helpers.ts";

/** Low enough to reach in a test, above the handful of logins the other tests make first. */
const LOGIN_MAX = 12;
let t: TestServer;
let admin: Client;

beforeAll(async () => {
  t = await startTestServer({ logLevel: "warn", loginRateLimit: { max: LOGIN_MAX, timeWindow: 60_000 } });
  admin = new Client(t.base);
  expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
});
afterAll(() => t?.close());

/** A raw POST with exactly the headers given (no cookie jar, no CSRF help). */
async function rawPost(path: string, headers: Record<string, string>, body: string) {
  const res = await fetch(t.base + path, { method: "POST", headers, body });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

describe("CSRF and cross-origin requests", () => {
  test("a foreign Origin is refused on login, chat and console APIs alike", async () => {
    const cookie = `ld_session=${admin.cookie("ld_session")}`;
    const cases: [string, string, Record<string, string>][] = [
      ["/api/console/login", JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }), {}],
      ["/api/chat/messages", JSON.stringify({ id: "xorigin-0001", text: "你好" }), {}],
      ["/api/console/users", JSON.stringify({ username: "evil", name: "x", role: "admin" }), { cookie, "x-csrf-token": admin.csrf! }],
      ["/api/console/logout", "{}", { cookie, "x-csrf-token": admin.csrf! }],
    ];
    for (const origin of ["https://evil.example", `${t.base}.evil.example`, "http://127.0.0.1:1", "not a url"]) {
      for (const [path, body, extra] of cases) {
        const res = await rawPost(path, { "content-type": "application/json", origin, ...extra }, body);
        expect(res.status, `${origin} ${path}`).toBe(403);
        expect(JSON.parse(res.text).code).toBe("cross_site");
      }
    }
    // The admin session survived all of it (the cross-site logout did nothing).
    expect((await admin.get("/api/console/me")).status).toBe(200);
    expect((await admin.get("/api/console/users")).body.users.some((u: { username: string }) => u.username === "evil")).toBe(false);
  });

  test("a cross-site HTML form post (no Origin, no token) cannot change anything", async () => {
    const cookie = `ld_session=${admin.cookie("ld_session")}`;
    const form = new URLSearchParams({ username: "formevil", name: "x", role: "admin" }).toString();
    const res = await rawPost("/api/console/users", { "content-type": "application/x-www-form-urlencoded", cookie }, form);
    expect([403, 415]).toContain(res.status);
    const plain = await rawPost("/api/console/users", { "content-type": "text/plain", cookie }, JSON.stringify({ username: "plainevil", name: "x", role: "admin" }));
    expect([403, 415]).toContain(plain.status);
    const users = (await admin.get("/api/console/users")).body.users.map((u: { username: string }) => u.username);
    expect(users).not.toContain("formevil");
    expect(users).not.toContain("plainevil");
  });

  test("the CSRF token dies with its session (logout, password change)", async () => {
    const staff = await createStaff(t, admin, { username: "csrf-life", name: "令牌测试", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const oldToken = staff.client.csrf!;
    const oldCookie = staff.client.cookie("ld_session")!;
    expect((await staff.client.post("/api/console/logout")).status).toBe(200);
    // Replaying the dead session with its token: refused as unauthenticated.
    const replay = await rawPost("/api/console/templates", { "content-type": "application/json", cookie: `ld_session=${oldCookie}`, "x-csrf-token": oldToken }, JSON.stringify({ title: "t", body: "b" }));
    expect(replay.status).toBe(401);
    // A new session does not accept the old session's token.
    const again = new Client(t.base);
    await again.login("csrf-life", staff.password);
    const stale = await again.request("POST", "/api/console/templates", { title: "t", body: "b" }, { "x-csrf-token": oldToken });
    expect(stale.status).toBe(403);
    expect((await again.post("/api/console/templates", { title: "t", body: "b" })).status).toBe(200);
  });
});

describe("session fixation", () => {
  test("an attacker-planted session cookie is never the session after login, and is useless after", async () => {
    await createStaff(t, admin, { username: "fixme", name: "固定会话", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const planted = "attacker-chosen-session-token-0123456789abcdef";
    const res = await fetch(`${t.base}/api/console/login`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: `ld_session=${planted}` },
      body: JSON.stringify({ username: "fixme", password: "Second-Passw0rd-x2" }),
    });
    expect(res.status).toBe(200);
    const issued = res.headers.getSetCookie().find((c) => c.startsWith("ld_session="))!.split(";")[0].slice("ld_session=".length);
    expect(issued).not.toBe(planted);
    expect(issued.length).toBeGreaterThanOrEqual(32);
    expect((await fetch(`${t.base}/api/console/me`, { headers: { cookie: `ld_session=${planted}` } })).status).toBe(401);
    expect((await fetch(`${t.base}/api/console/me`, { headers: { cookie: `ld_session=${issued}` } })).status).toBe(200);
  });

  test("changing the password rotates the session and revokes the old one", async () => {
    const staff = await createStaff(t, admin, { username: "rotate", name: "轮换", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const before = staff.client.cookie("ld_session")!;
    const changed = await staff.client.post("/api/console/password", { oldPassword: staff.password, newPassword: "Third-Passw0rd-x3" });
    expect(changed.status).toBe(200);
    const after = staff.client.cookie("ld_session")!;
    expect(after).not.toBe(before);
    expect((await fetch(`${t.base}/api/console/me`, { headers: { cookie: `ld_session=${before}` } })).status).toBe(401);
    expect((await fetch(`${t.base}/api/console/me`, { headers: { cookie: `ld_session=${after}` } })).status).toBe(200);
  });
});

describe("headers and cookies", () => {
  test("pages and APIs carry CSP with frame-ancestors, nosniff, frame options and a referrer policy", async () => {
    for (const path of ["/", "/console", "/api/chat/history", "/api/console/me", "/healthz", "/api/nope"]) {
      const res = await fetch(t.base + path, { headers: { cookie: `ld_session=${admin.cookie("ld_session")}` } });
      await res.arrayBuffer();
      const h = res.headers;
      const csp = h.get("content-security-policy") ?? "";
      expect(csp, path).toMatch(/frame-ancestors 'self'/);
      expect(csp, path).toMatch(/default-src 'self'/);
      expect(csp, path).toMatch(/object-src 'none'/);
      expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval/);
      expect(h.get("x-content-type-options"), path).toBe("nosniff");
      expect(h.get("x-frame-options"), path).toMatch(/^(SAMEORIGIN|DENY)$/);
      expect(h.get("referrer-policy"), path).toMatch(/no-referrer|same-origin|strict-origin/);
      expect(h.get("x-powered-by"), path).toBeNull();
    }
    // Personal answers are never cached by a shared computer's browser.
    expect((await fetch(`${t.base}/api/chat/history`)).headers.get("cache-control")).toBe("no-store");
  });

  test("the resident cookie is HttpOnly, SameSite=Lax and signed; a refused login sets no cookie", async () => {
    // (The console session cookie's HttpOnly + SameSite=Strict is checked in test/server/console.test.ts.)
    const login = await rawPost("/api/console/login", { "content-type": "application/json" }, JSON.stringify({ username: "admin", password: "wrong-password" }));
    expect(login.status).toBe(401);
    expect(login.headers.getSetCookie()).toEqual([]);
    const res = await fetch(`${t.base}/api/chat/history`);
    await res.arrayBuffer();
    const resident = res.headers.getSetCookie().find((c) => c.startsWith("ld_rk="))!;
    expect(resident).toMatch(/HttpOnly/i);
    expect(resident).toMatch(/SameSite=Lax/i);
    expect(resident).toMatch(/Path=\//i);
    expect(resident.split(";")[0]).toMatch(/^ld_rk=web-[0-9a-f-]{36}\.[A-Za-z0-9+/_-]+/);
  });

  test("oversized and wrongly typed bodies are refused with 413/415, and the server keeps serving", async () => {
    const big = await rawPost("/api/chat/messages", { "content-type": "application/json" }, JSON.stringify({ id: "big-00000001", text: "欠".repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(JSON.parse(big.text).error).toBe("内容过长，请精简后再发送");
    const multipart = await rawPost("/api/chat/messages", { "content-type": "multipart/form-data; boundary=x" }, "--x\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.exe\"\r\n\r\nMZ\r\n--x--");
    expect(multipart.status).toBe(415);
    const xml = await rawPost("/api/console/users", { "content-type": "application/xml", cookie: `ld_session=${admin.cookie("ld_session")}`, "x-csrf-token": admin.csrf! }, "<x/>");
    expect(xml.status).toBe(415);
    expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
  });
});

describe("login throttling", () => {
  test(`login is rate-limited per client (${LOGIN_MAX}/min here) with a Chinese 429, before any password check`, async () => {
    // Runs last: earlier tests logged in too, and the window counts every login from this address.
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_MAX + 3; i++) {
      const res = await rawPost("/api/console/login", { "content-type": "application/json" }, JSON.stringify({ username: `nobody${i}`, password: "wrong-password" }));
      statuses.push(res.status);
      if (res.status === 429) {
        expect(JSON.parse(res.text)).toEqual({ error: "操作太频繁，请稍后再试", code: "rate_limited" });
        expect(res.headers.get("retry-after")).toBeTruthy();
      }
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    // Even the right password is throttled now: a guesser cannot slip one in.
    expect((await rawPost("/api/console/login", { "content-type": "application/json" }, JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }))).status).toBe(429);
    // Sessions already open keep working.
    expect((await admin.get("/api/console/me")).status).toBe(200);
  });
});
