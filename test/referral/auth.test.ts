import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashToken, maskPhone } from "../../src/referral/auth.ts";
import { checkPasswordPolicy, hashPassword, verifyPassword } from "../../src/referral/passwords.ts";
import { AuthError } from "../../src/referral/types.ts";
import { harness, type Harness } from "./helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

describe("passwords", () => {
  it("hashes with scrypt and a per-user salt, and verifies", async () => {
    const a = await hashPassword("Qinghe2026!");
    const b = await hashPassword("Qinghe2026!");
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b); // different salts
    expect(await verifyPassword("Qinghe2026!", a)).toBe(true);
    expect(await verifyPassword("qinghe2026!", a)).toBe(false);
    expect(await verifyPassword("Qinghe2026!", "garbage")).toBe(false);
  });

  it("enforces a minimal policy with Chinese messages", () => {
    expect(() => checkPasswordPolicy("short1")).toThrow("至少需要8位");
    expect(() => checkPasswordPolicy("abcdefghij")).toThrow("至少两类");
    expect(() => checkPasswordPolicy("zhangsan123", "zhangsan")).toThrow("不能包含用户名");
    expect(() => checkPasswordPolicy("Qinghe2026")).not.toThrow();
  });
});

describe("first administrator", () => {
  it("creates admin once with a one-time password that must be changed", async () => {
    // The harness has a user 'root' of role admin; use a fresh store without admins.
    const adminRow = await h.store.getUserByUsername("root");
    await h.store.updateUser(adminRow!.id, { role: "lawyer" }, h.clock.now().toISOString(), []);

    const first = await h.auth.ensureAdmin();
    expect(first.created).toBe(true);
    expect(first.oneTimePassword).toMatch(/^[A-Za-z0-9]{14}$/);
    expect((await h.auth.ensureAdmin()).created).toBe(false);

    const login = await h.auth.login("admin", first.oneTimePassword!);
    expect(login.mustChangePassword).toBe(true);
    await expect(h.service.queue(login.user.id, "unclaimed")).rejects.toThrow("请先修改初始密码");
    const changed = await h.auth.changePassword(login.user.id, first.oneTimePassword!, "Qinghe-2026-new");
    expect(changed.mustChangePassword).toBe(false);
    expect(await h.auth.validateSession(login.token)).toBeNull(); // old session revoked
    expect((await h.auth.validateSession(changed.token))!.user.username).toBe("admin");
    expect((await h.store.listAudit({ action: "user.bootstrap_admin" })).length).toBe(1);
  });

  it("uses the configured password without forcing a change", async () => {
    const adminRow = await h.store.getUserByUsername("root");
    await h.store.updateUser(adminRow!.id, { role: "lawyer" }, h.clock.now().toISOString(), []);
    const r = await h.auth.ensureAdmin({ password: "Configured-123" });
    expect(r.oneTimePassword).toBeUndefined();
    expect((await h.auth.login("admin", "Configured-123")).mustChangePassword).toBe(false);
  });
});

describe("login, lock-out and sessions", () => {
  async function makeUser() {
    const { user, oneTimePassword } = await h.auth.createUser(h.admin.id, { username: "lisi", name: "李四", role: "lawyer", regions: ["qinghe"], phone: "13812345678" });
    const s = await h.auth.login("lisi", oneTimePassword!);
    const changed = await h.auth.changePassword(user.id, oneTimePassword!, "Qh-secret-2026");
    return { user, first: s, session: changed };
  }

  it("holds an address off for 15 minutes after 5 wrong passwords for one account and audits every attempt", async () => {
    const { user } = await makeUser();
    const ip = "203.0.113.5";
    for (let i = 0; i < 4; i++) await expect(h.auth.login("lisi", "wrong-pass-1", { ip })).rejects.toThrow("用户名或密码错误");
    await expect(h.auth.login("lisi", "wrong-pass-1", { ip })).rejects.toMatchObject({ code: "locked" });
    // Even the right password is refused from that address while it is held off…
    await expect(h.auth.login("lisi", "Qh-secret-2026", { ip })).rejects.toMatchObject({ code: "locked" });
    h.clock.advanceMinutes(14);
    await expect(h.auth.login("lisi", "Qh-secret-2026", { ip })).rejects.toMatchObject({ code: "locked" });
    // …but not from another one.
    expect((await h.auth.login("lisi", "Qh-secret-2026", { ip: "198.51.100.1" })).user.id).toBe(user.id);
    h.clock.advanceMinutes(1);
    const ok = await h.auth.login("lisi", "Qh-secret-2026", { ip });
    expect(ok.user.id).toBe(user.id);
    const stored = (await h.store.getUser(user.id))!;
    expect(stored.failedLogins).toBe(0);
    expect(stored.lockedUntil).toBeNull();
    const failures = await h.store.listAudit({ action: "login.failure", targetId: user.id });
    expect(failures.map((f) => f.detail.reason)).toEqual(["bad_password", "bad_password", "bad_password", "bad_password", "bad_password", "locked", "locked"]);
    expect((await h.store.listAudit({ action: "user.locked" })).length).toBe(1);
  });

  it("does not tell an unknown user from a wrong password", async () => {
    await makeUser();
    const unknown = await h.auth.login("nobody", "whatever-1").catch((e: AuthError) => e);
    const wrong = await h.auth.login("lisi", "whatever-1").catch((e: AuthError) => e);
    expect(unknown).toBeInstanceOf(AuthError);
    expect((unknown as AuthError).message).toBe((wrong as AuthError).message);
    expect((await h.store.listAudit({ action: "login.failure" })).some((a) => a.detail.reason === "unknown_user")).toBe(true);
  });

  it("rotates the session on login, stores only a hash, and revokes on logout", async () => {
    await makeUser();
    const s1 = await h.auth.login("lisi", "Qh-secret-2026");
    const s2 = await h.auth.login("lisi", "Qh-secret-2026", { previousToken: s1.token });
    expect(s2.token).not.toBe(s1.token);
    expect(await h.auth.validateSession(s1.token)).toBeNull(); // the pre-login token is dead
    const info = await h.auth.validateSession(s2.token);
    expect(info!.user.username).toBe("lisi");
    // Only the SHA-256 is in the database.
    const rows = h.db.prepare("SELECT token_hash FROM sessions").all() as { token_hash: string }[];
    expect(rows.map((r) => r.token_hash)).toContain(hashToken(s2.token));
    expect(JSON.stringify(rows)).not.toContain(s2.token);
    expect(h.auth.verifyCsrf(info!.session, s2.csrfToken)).toBe(true);
    expect(h.auth.verifyCsrf(info!.session, s1.csrfToken)).toBe(false);
    expect(h.auth.verifyCsrf(info!.session, undefined)).toBe(false);
    await h.auth.logout(s2.token);
    expect(await h.auth.validateSession(s2.token)).toBeNull();
  });

  it("expires idle and old sessions", async () => {
    await makeUser();
    const s = await h.auth.login("lisi", "Qh-secret-2026");
    h.clock.advanceMinutes(119);
    expect(await h.auth.validateSession(s.token)).not.toBeNull();
    h.clock.advanceMinutes(121);
    expect(await h.auth.validateSession(s.token)).toBeNull();
    const t = await h.auth.login("lisi", "Qh-secret-2026");
    for (let i = 0; i < 7; i++) {
      h.clock.advanceMinutes(100);
      expect(await h.auth.validateSession(t.token)).not.toBeNull();
    }
    h.clock.advanceMinutes(100); // 800 min > 12 h
    expect(await h.auth.validateSession(t.token)).toBeNull();
  });

  it("revokes every session of a user who changes password or is deactivated", async () => {
    const { user } = await makeUser();
    const a = await h.auth.login("lisi", "Qh-secret-2026");
    const b = await h.auth.login("lisi", "Qh-secret-2026");
    const c = await h.auth.changePassword(user.id, "Qh-secret-2026", "Qh-secret-2027");
    expect(await h.auth.validateSession(a.token)).toBeNull();
    expect(await h.auth.validateSession(b.token)).toBeNull();
    expect(await h.auth.validateSession(c.token)).not.toBeNull();
    await h.auth.updateUser(h.admin.id, user.id, { active: false });
    expect(await h.auth.validateSession(c.token)).toBeNull();
    await expect(h.auth.login("lisi", "Qh-secret-2027")).rejects.toThrow("用户名或密码错误");
  });

  it("lets only admins manage accounts, masks phones in lists and keeps them out of the audit", async () => {
    const { user } = await makeUser();
    await expect(h.auth.createUser(user.id, { username: "x1", name: "x", role: "admin" })).rejects.toMatchObject({ code: "forbidden" });
    const list = await h.auth.listUsers(h.admin.id);
    expect(list.find((u) => u.username === "lisi")!.phone).toBe("138****5678");
    expect(JSON.stringify(list)).not.toContain("passwordHash");
    await h.auth.updateUser(h.admin.id, user.id, { phone: "13900001111", regions: ["qinghe.dongzhen"] });
    const audit = await h.store.listAudit({ action: "user.update", targetId: user.id });
    expect(audit[0].detail).toMatchObject({ phone: "139****1111", regions: ["qinghe.dongzhen"] });
    expect(JSON.stringify(audit)).not.toContain("13900001111");
    expect(maskPhone("0000-5551001")).toBe("****1001");
    await expect(h.auth.updateUser(h.admin.id, h.admin.id, { active: false })).rejects.toThrow("最后一位管理员");
  });
});
