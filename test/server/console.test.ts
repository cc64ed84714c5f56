// The console API over HTTP: login, session cookie flags, CSRF, lock-out, forced password
// change, region-scoped access, and the typed referral errors as HTTP statuses.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, waitFor, type TestServer } from "./helpers.ts";

let t: TestServer;
let admin: Client;

beforeAll(async () => {
  t = await startTestServer();
  admin = new Client(t.base);
  const res = await admin.login("admin", ADMIN_PASSWORD);
  expect(res.status).toBe(200);
});
afterAll(() => t?.close());

async function escalate(text = "转人工"): Promise<void> {
  const resident = new Client(t.base);
  await resident.get("/api/chat/history");
  await resident.post("/api/chat/messages", { id: `esc-${Math.random().toString(36).slice(2, 12)}`, text });
}

describe("console sign-in", () => {
  test("login sets an httpOnly SameSite=Strict session cookie and rotates it", async () => {
    const c = new Client(t.base);
    const first = await fetch(`${t.base}/api/console/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) });
    const cookie = first.headers.getSetCookie().find((x) => x.startsWith("ld_session="))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const oldToken = cookie.split(";")[0].slice("ld_session=".length);

    // Logging in again with the old cookie revokes it: a fresh token every time.
    await c.login("admin", ADMIN_PASSWORD);
    expect(c.cookie("ld_session")).not.toBe(oldToken);
    const stale = await fetch(`${t.base}/api/console/me`, { headers: { cookie: `ld_session=${oldToken}` } });
    expect(stale.status).toBe(200); // a different browser's session stays valid…
    const relogin = await fetch(`${t.base}/api/console/login`, { method: "POST", headers: { "content-type": "application/json", cookie: `ld_session=${oldToken}` }, body: JSON.stringify({ username: "admin", password: ADMIN_PASSWORD }) });
    expect(relogin.status).toBe(200);
    const after = await fetch(`${t.base}/api/console/me`, { headers: { cookie: `ld_session=${oldToken}` } });
    expect(after.status).toBe(401); // …but the one presented at login is revoked, never promoted
  });

  test("without a session the API answers 401 in Chinese", async () => {
    const res = await new Client(t.base).get("/api/console/queue?view=mine");
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("请先登录");
  });

  test("state-changing requests without or with a wrong CSRF token are refused with 403", async () => {
    const c = new Client(t.base);
    await c.login("admin", ADMIN_PASSWORD);
    const body = { username: "csrf-test", name: "测试", role: "lawyer", regions: ["qinghe"] };
    const missing = await c.request("POST", "/api/console/users", body, { "x-csrf-token": "" });
    expect(missing.status).toBe(403);
    expect(missing.body.code).toBe("csrf");
    const wrong = await c.request("POST", "/api/console/users", body, { "x-csrf-token": "not-the-token" });
    expect(wrong.status).toBe(403);
    // Another session's token does not work either.
    const otherToken = admin.csrf!;
    const crossed = await c.request("POST", "/api/console/users", body, { "x-csrf-token": otherToken });
    expect(crossed.status).toBe(403);
    const crossSite = await c.request("POST", "/api/console/users", body, { origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    expect((await c.post("/api/console/users", body)).status).toBe(200);
  });

  test("repeated failures hold the address off with a clear message", async () => {
    await createStaff(t, admin, { username: "locky", name: "锁定测试", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const c = new Client(t.base);
    const statuses: number[] = [];
    let last: { error: string; code: string } | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await c.login("locky", "wrong-password-1");
      statuses.push(res.status);
      last = res.body;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(last?.code).toBe("locked");
    expect(last?.error).toMatch(/登录失败次数过多，请15分钟后再试/);
    // Even the right password is refused while locked.
    const right = await c.login("locky", "Second-Passw0rd-x2");
    expect(right.status).toBe(401);
    expect(right.body.code).toBe("locked");
  });

  test("a first login must change the password before touching referrals", async () => {
    const created = await admin.post("/api/console/users", { username: "newbie", name: "新律师", role: "lawyer", regions: ["qinghe"] });
    expect(created.status).toBe(200);
    expect(created.body.oneTimePassword).toBeTruthy();
    const c = new Client(t.base);
    const login = await c.login("newbie", created.body.oneTimePassword);
    expect(login.body.mustChangePassword).toBe(true);
    const queue = await c.get("/api/console/queue?view=mine");
    expect(queue.status).toBe(403);
    expect(queue.body.error).toBe("请先修改初始密码");
    const changed = await c.post("/api/console/password", { oldPassword: created.body.oneTimePassword, newPassword: "Brand-New-Passw0rd" });
    expect(changed.status).toBe(200);
    c.csrf = changed.body.csrfToken;
    expect((await c.get("/api/console/queue?view=mine")).status).toBe(200);
  });
});

describe("referrals through the console API", () => {
  test("a lawyer outside the referral's region gets 403; errors map to 400/404/409", async () => {
    const county = await createStaff(t, admin, { username: "li", name: "李律师", role: "lawyer", regions: ["qinghe"] });
    const township = await createStaff(t, admin, { username: "zhao", name: "赵顾问", role: "lawyer", regions: ["qinghe.dongzhen"], onDuty: false });
    await escalate("转人工");
    const row = await waitFor(async () => (await county.client.get("/api/console/queue?view=unclaimed")).body.rows.find((r: { summary: string }) => r.summary === "转人工"), 10_000, "the referral");

    // The web chat's region is unknown: only county-wide staff may see it.
    const view = await township.client.get(`/api/console/referrals/${row.id}`);
    expect(view.status).toBe(403);
    expect(view.body.error).toBe("无权查看该工单");
    expect((await township.client.post(`/api/console/referrals/${row.id}/claim`)).status).toBe(403);
    expect((await township.client.get("/api/console/queue?view=unclaimed")).body.rows.some((r: { id: string }) => r.id === row.id)).toBe(false);

    expect((await county.client.post(`/api/console/referrals/${row.id}/reply`, { text: "先回复" })).status).toBe(403); // claim first
    expect((await county.client.post(`/api/console/referrals/${row.id}/claim`)).status).toBe(200);
    const again = await admin.post(`/api/console/referrals/${row.id}/claim`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/已由李律师认领/);
    const emptyReply = await county.client.post(`/api/console/referrals/${row.id}/reply`, { text: " " });
    expect(emptyReply.status).toBe(400);
    expect(emptyReply.body.error).toBe("回复内容不能为空");
    const noNote = await county.client.post(`/api/console/referrals/${row.id}/transfer`, { to: null, note: "" });
    expect(noNote.status).toBe(400);
    expect((await county.client.get("/api/console/referrals/00000000-0000-0000-0000-000000000000")).status).toBe(404);

    const detail = (await county.client.get(`/api/console/referrals/${row.id}`)).body;
    expect(detail.actions).toMatchObject({ claim: false, reply: true, close: true, transfer: true });
    expect(detail.history.map((h: { role: string }) => h.role)).toEqual(["resident", "bot"]);
  });

  test("what the bot found links to the article's full text", async () => {
    const id = (await t.app.knowledge.store.allArticles()).find((a) => a.article === "第三十条")!.id;
    const res = await admin.get(`/api/console/articles/${encodeURIComponent(id)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ law: "中华人民共和国劳动合同法", article: "第三十条", status: "现行有效" });
    expect(res.body.text).toContain("人民法院应当依法发出支付令");
    expect((await admin.get("/api/console/articles/nope")).status).toBe(404);
    expect((await new Client(t.base).get(`/api/console/articles/${encodeURIComponent(id)}`)).status).toBe(401);
    const guide = await admin.get("/api/console/guides/wage-arrears");
    expect(guide.status).toBe(200);
    expect(guide.body.title).toBeTruthy();
  });

  test("only an administrator creates accounts", async () => {
    const lawyer = await createStaff(t, admin, { username: "qian", name: "钱律师", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const res = await lawyer.client.post("/api/console/users", { username: "sneaky", name: "x", role: "admin" });
    expect(res.status).toBe(403);
    expect((await lawyer.client.get("/api/console/users")).status).toBe(403);
  });
});
