// Console accounts and sessions: users with scrypt-hashed passwords and lock-out, the first
// administrator, session tokens stored only as SHA-256, a CSRF token per session, rotation
// on login and revocation on logout and password change. Every change is audited.

import { createHash, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { NewAuditEntry as Audit, ReferralStore, UserPatch } from "../store/referral-store.ts";
import { loginAttemptKey, MemoryLoginAttempts, type LoginAttempts } from "./login-attempts.ts";
import { isRegionId } from "./regions.ts";
import { checkPasswordPolicy, dummyPasswordHash, generateOneTimePassword, hashPassword, verifyPassword } from "./passwords.ts";
import { AuthError, ForbiddenError, NotFoundError, ValidationError, type Role, type SessionRecord, type User, type UserRecord } from "./types.ts";

/** Lock-out after failed logins and how long sessions last. */
export interface AuthPolicy {
  maxFailedLogins: number;
  lockMinutes: number;
  /** Absolute session lifetime. */
  sessionHours: number;
  /** A session unused this long is dead. */
  idleMinutes: number;
}

/** Five failed logins lock for 15 minutes; a session lasts 12 hours, or 2 idle hours. */
export const DEFAULT_AUTH_POLICY: AuthPolicy = { maxFailedLogins: 5, lockMinutes: 15, sessionHours: 12, idleMinutes: 120 };

export interface NewUserInput {
  username: string;
  name: string;
  role: Role;
  password?: string;
  regions?: string[];
  topics?: string[];
  phone?: string | null;
}

export type UserUpdate = Partial<Pick<User, "name" | "role" | "regions" | "topics" | "phone" | "active">>;

/** A successful login: the session and CSRF tokens, when it expires, and whether the password must change first. */
export interface LoginResult {
  /** The raw session token for the cookie; only its hash is stored. */
  token: string;
  csrfToken: string;
  expiresAt: string;
  user: User;
  mustChangePassword: boolean;
}

/** The user and session behind a valid session token. */
export interface SessionInfo {
  user: User;
  session: SessionRecord;
}

/** The SHA-256 of a session token: only the hash is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Drops the hash: what leaves this module. */
export function publicUser(u: UserRecord): User {
  const { passwordHash: _omit, ...rest } = u;
  return rest;
}

/** 13812345678 → 138****5678; other numbers keep only their last 4 digits. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return phone;
  const digits = phone.replace(/\D/g, "");
  if (digits.length === 11 && digits.startsWith("1")) return `${digits.slice(0, 3)}****${digits.slice(7)}`;
  return digits.length > 4 ? `****${digits.slice(-4)}` : "****";
}

const USERNAME = /^[a-z0-9][a-z0-9_.-]{1,31}$/;
const NAME_MAX = 60;

/** A display name: trimmed, 1 to 60 characters, no control characters. */
export function validDisplayName(name: unknown): string {
  const n = typeof name === "string" ? name.trim() : "";
  if (!n) throw new ValidationError("请填写姓名");
  if ([...n].length > NAME_MAX) throw new ValidationError(`姓名最多${NAME_MAX}个字`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(n)) throw new ValidationError("姓名含有不可见字符");
  return n;
}

/**
 * Console accounts and sessions: users, passwords with lock-out, the first administrator, session
 * and CSRF tokens; every change is audited.
 *
 * @example
 * ```ts
 * await auth.ensureAdmin({ password: config.LAWDESK_ADMIN_PASSWORD });
 * const { token, csrfToken } = await auth.login("admin", password, { ip });
 * const session = await auth.validateSession(token);   // null once expired or revoked
 * ```
 */
export class AuthService {
  constructor(
    private readonly store: ReferralStore,
    private readonly clock: () => Date = () => new Date(),
    private readonly policy: AuthPolicy = DEFAULT_AUTH_POLICY,
    private readonly attempts: LoginAttempts = new MemoryLoginAttempts(),
  ) {}

  private audit(actorId: string | null, action: string, targetType: Audit["targetType"], targetId: string | null, detail: Record<string, unknown> = {}): Audit {
    return { at: this.clock().toISOString(), actorId, action, targetType, targetId, detail };
  }

  // ---------------------------------------------------------------- bootstrap

  /**
   * Creates the first administrator `admin` when there is none. Without a password, a
   * one-time password is generated and returned once (the server prints it) and must be
   * changed at first login.
   */
  async ensureAdmin(opts: { password?: string } = {}): Promise<{ created: boolean; username: string; oneTimePassword?: string }> {
    const admins = await this.store.listUsers({ role: "admin" });
    if (admins.length > 0) return { created: false, username: admins[0].username };
    const oneTime = opts.password ? undefined : generateOneTimePassword();
    const password = opts.password ?? oneTime!;
    checkPasswordPolicy(password);
    const now = this.clock().toISOString();
    const user: UserRecord = {
      id: randomUUID(),
      username: "admin",
      name: "系统管理员",
      passwordHash: await hashPassword(password),
      role: "admin",
      regions: [],
      topics: [],
      phone: null,
      active: true,
      failedLogins: 0,
      lockedUntil: null,
      mustChangePassword: oneTime !== undefined,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.store.insertUser(user, [this.audit(null, "user.bootstrap_admin", "user", user.id, { username: "admin", generated: !!oneTime })]);
    } catch (err) {
      // Another server on the same database created it a moment ago: theirs stands.
      const now = await this.store.listUsers({ role: "admin" });
      if (now.length > 0) return { created: false, username: now[0].username };
      throw err;
    }
    return { created: true, username: "admin", oneTimePassword: oneTime };
  }

  // ---------------------------------------------------------------- users

  private async requireAdmin(actorId: string): Promise<UserRecord> {
    const actor = await this.store.getUser(actorId);
    if (!actor || !actor.active || actor.role !== "admin") throw new ForbiddenError("仅管理员可管理账号");
    return actor;
  }

  private validateScopes(regions: string[] | undefined, topics: string[] | undefined): void {
    for (const r of regions ?? []) if (!isRegionId(r)) throw new ValidationError(`区域编号不正确：${r}`);
    for (const t of topics ?? []) if (!/^[a-z0-9_]+$/.test(t)) throw new ValidationError(`话题编号不正确：${t}`);
  }

  /** Admin creates an account; without a password a one-time one is generated and returned. */
  async createUser(actorId: string, input: NewUserInput): Promise<{ user: User; oneTimePassword?: string }> {
    await this.requireAdmin(actorId);
    const username = input.username.trim().toLowerCase();
    if (!USERNAME.test(username)) throw new ValidationError("用户名需为2-32位小写字母、数字或 _ . -");
    const name = validDisplayName(input.name);
    if (!["lawyer", "supervisor", "admin"].includes(input.role)) throw new ValidationError("角色不正确");
    this.validateScopes(input.regions, input.topics);
    if (await this.store.getUserByUsername(username)) throw new ValidationError("用户名已存在");
    const oneTime = input.password ? undefined : generateOneTimePassword();
    const password = input.password ?? oneTime!;
    checkPasswordPolicy(password, username);
    const now = this.clock().toISOString();
    const user: UserRecord = {
      id: randomUUID(),
      username,
      name,
      passwordHash: await hashPassword(password),
      role: input.role,
      regions: input.regions ?? [],
      topics: input.topics ?? [],
      phone: input.phone ?? null,
      active: true,
      failedLogins: 0,
      lockedUntil: null,
      // An account whose password someone else chose must change it at first login.
      mustChangePassword: true,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.insertUser(user, [
      this.audit(actorId, "user.create", "user", user.id, { username, role: user.role, regions: user.regions, topics: user.topics }),
    ]);
    return { user: publicUser(user), oneTimePassword: oneTime };
  }

  async updateUser(actorId: string, userId: string, update: UserUpdate): Promise<User> {
    await this.requireAdmin(actorId);
    const target = await this.store.getUser(userId);
    if (!target) throw new NotFoundError("账号不存在");
    this.validateScopes(update.regions, update.topics);
    if (update.role && !["lawyer", "supervisor", "admin"].includes(update.role)) throw new ValidationError("角色不正确");
    if (target.role === "admin" && (update.active === false || (update.role && update.role !== "admin"))) {
      const admins = (await this.store.listUsers({ role: "admin", activeOnly: true })).filter((u) => u.id !== userId);
      if (admins.length === 0) throw new ValidationError("不能停用或降级最后一位管理员");
    }
    const patch: UserPatch = { ...update };
    if (update.name !== undefined) patch.name = validDisplayName(update.name);
    // The phone number itself stays out of the audit log.
    const detail = { ...update, ...(patch.name !== undefined ? { name: patch.name } : {}), ...(update.phone !== undefined ? { phone: maskPhone(update.phone) } : {}) };
    const updated = await this.store.updateUser(userId, patch, this.clock().toISOString(), [this.audit(actorId, "user.update", "user", userId, detail)]);
    if (update.active === false) await this.revokeAll(userId, actorId, "deactivated");
    return publicUser(updated!);
  }

  /** Users for the console; phone numbers masked. */
  async listUsers(actorId: string): Promise<User[]> {
    const actor = await this.store.getUser(actorId);
    if (!actor || !actor.active || actor.role === "lawyer") throw new ForbiddenError("无权查看账号列表");
    return (await this.store.listUsers()).map((u) => ({ ...publicUser(u), phone: maskPhone(u.phone) }));
  }

  async getUser(userId: string): Promise<User | null> {
    const u = await this.store.getUser(userId);
    return u ? publicUser(u) : null;
  }

  /** Admin resets someone's password: a one-time password, sessions revoked, change required. */
  async resetPassword(actorId: string, userId: string): Promise<string> {
    await this.requireAdmin(actorId);
    const oneTime = generateOneTimePassword();
    const updated = await this.store.updateUser(
      userId,
      { passwordHash: await hashPassword(oneTime), mustChangePassword: true, failedLogins: 0, lockedUntil: null },
      this.clock().toISOString(),
      [this.audit(actorId, "user.reset_password", "user", userId)],
    );
    if (!updated) throw new NotFoundError("账号不存在");
    await this.revokeAll(userId, actorId, "password_reset");
    return oneTime;
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Checks the password and opens a new session. A session token presented before login
   * (`previousToken`) is revoked, never promoted: the token is always fresh (no fixation).
   */
  async login(username: string, password: string, opts: { previousToken?: string; ip?: string } = {}): Promise<LoginResult> {
    const now = this.clock();
    if (opts.previousToken) await this.store.revokeSession(hashToken(opts.previousToken), now.toISOString(), []);
    const name = username.trim().toLowerCase();
    const key = loginAttemptKey(name, opts.ip);
    const user = await this.store.getUserByUsername(name);
    const failure = (reason: string) => this.audit(user?.id ?? null, "login.failure", "user", user?.id ?? null, { username: username.slice(0, 64), reason, ip: opts.ip ?? null });
    const lockedError = () => new AuthError(`登录失败次数过多，请${this.policy.lockMinutes}分钟后再试`, "locked");

    // Held off per (name, address): the owner signs in from elsewhere, and an unknown name
    // is counted and answered exactly like a known one.
    if ((await this.attempts.failures(key, now)) >= this.policy.maxFailedLogins) {
      await this.store.appendAudit([failure("locked")]);
      throw lockedError();
    }
    const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyPasswordHash()));
    if (!user || !ok || !user.active) {
      const reason = !user ? "unknown_user" : !user.active && ok ? "inactive" : "bad_password";
      const count = await this.attempts.fail(key, this.policy.lockMinutes * 60_000, now);
      const entries = [failure(reason)];
      const locked = count >= this.policy.maxFailedLogins;
      if (locked) entries.push(this.audit(null, "user.locked", "user", user?.id ?? null, { username: name.slice(0, 64), ip: opts.ip ?? null, minutes: this.policy.lockMinutes }));
      await this.store.appendAudit(entries);
      throw locked ? lockedError() : new AuthError();
    }
    await this.attempts.clear(key);
    const session = await this.openSession(user, opts.ip ?? null, "login.success");
    return { ...session, user: publicUser(user), mustChangePassword: user.mustChangePassword };
  }

  private async openSession(user: UserRecord, ip: string | null, action: string): Promise<{ token: string; csrfToken: string; expiresAt: string }> {
    const now = this.clock();
    const token = newToken();
    const record: SessionRecord = {
      tokenHash: hashToken(token),
      userId: user.id,
      csrfToken: newToken(),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.policy.sessionHours * 3_600_000).toISOString(),
      lastSeenAt: now.toISOString(),
      revokedAt: null,
      ip,
    };
    // The audit row names the session by a prefix of its hash: enough to correlate, useless to replay.
    await this.store.insertSession(record, [this.audit(user.id, action, "session", record.tokenHash.slice(0, 16), { ip })]);
    return { token, csrfToken: record.csrfToken, expiresAt: record.expiresAt };
  }

  /** The user behind a session token, or null when it is unknown, revoked, expired or idle. */
  async validateSession(token: string): Promise<SessionInfo | null> {
    if (!token) return null;
    const now = this.clock();
    const session = await this.store.getSession(hashToken(token));
    if (!session || session.revokedAt) return null;
    if (Date.parse(session.expiresAt) <= now.getTime()) return null;
    if (Date.parse(session.lastSeenAt) + this.policy.idleMinutes * 60_000 <= now.getTime()) return null;
    const user = await this.store.getUser(session.userId);
    if (!user || !user.active) return null;
    await this.store.touchSession(session.tokenHash, now.toISOString());
    return { user: publicUser(user), session };
  }

  /** Constant-time check of the CSRF token a state-changing request carries. */
  verifyCsrf(session: SessionRecord, presented: string | undefined): boolean {
    if (!presented) return false;
    const a = Buffer.from(session.csrfToken);
    const b = Buffer.from(presented);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  async logout(token: string): Promise<void> {
    const hash = hashToken(token);
    const session = await this.store.getSession(hash);
    if (!session) return;
    await this.store.revokeSession(hash, this.clock().toISOString(), [this.audit(session.userId, "logout", "session", hash.slice(0, 16))]);
  }

  /** Changes the password, revokes every session of the user and opens a fresh one. */
  async changePassword(userId: string, oldPassword: string, newPassword: string, opts: { ip?: string } = {}): Promise<LoginResult> {
    const user = await this.store.getUser(userId);
    if (!user || !user.active) throw new AuthError("账号不可用", "inactive");
    if (!(await verifyPassword(oldPassword, user.passwordHash))) {
      await this.store.appendAudit([this.audit(userId, "password.change_failure", "user", userId)]);
      throw new AuthError("原密码不正确");
    }
    checkPasswordPolicy(newPassword, user.username);
    if (await verifyPassword(newPassword, user.passwordHash)) throw new ValidationError("新密码不能与原密码相同");
    const updated = await this.store.updateUser(
      userId,
      { passwordHash: await hashPassword(newPassword), mustChangePassword: false },
      this.clock().toISOString(),
      [this.audit(userId, "password.change", "user", userId)],
    );
    await this.revokeAll(userId, userId, "password_change");
    const session = await this.openSession(updated!, opts.ip ?? null, "session.rotate");
    return { ...session, user: publicUser(updated!), mustChangePassword: false };
  }

  private async revokeAll(userId: string, actorId: string, reason: string): Promise<number> {
    return this.store.revokeUserSessions(userId, this.clock().toISOString(), [this.audit(actorId, "session.revoke_all", "user", userId, { reason })]);
  }
}
