// What every admin route shares: the role check, body helpers, and the audit entry each
// administrative action leaves behind (the same append-only log the referral module writes).

import type { FastifyRequest } from "fastify";
import type { App } from "../../app.ts";
import type { Role, User } from "../../referral/index.ts";
import { HttpError } from "../../server/errors.ts";
import { SqlReferralStore } from "../../store/referral-store.ts";
import { staffOf } from "../session.ts";

export type Body = Record<string, unknown>;

/** The signed-in user, refused with 403 unless they hold one of the roles. */
export function requireRole(request: FastifyRequest, ...roles: Role[]): User {
  const { user } = staffOf(request);
  if (user.mustChangePassword) throw new HttpError(403, "请先修改初始密码", "must_change_password");
  if (!roles.includes(user.role)) throw new HttpError(403, "您的账号无权使用该功能", "forbidden");
  return user;
}

export function str(body: Body | undefined, key: string, max = 10_000): string {
  const v = body?.[key];
  return typeof v === "string" ? v.slice(0, max) : "";
}

export function strList(body: Body | undefined, key: string): string[] {
  const v = body?.[key];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string").map((s) => s.trim()).filter(Boolean);
  if (typeof v === "string") return v.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
  return [];
}

/** Appends one audit entry for an administrative action (knowledge, channels) to the referral store's log. */
export async function audit(app: App, actorId: string, action: string, targetId: string | null, detail: Record<string, unknown>): Promise<void> {
  // The App holds the SqlDb rather than the referral store; a store over it is only a wrapper.
  await new SqlReferralStore(app.sql).appendAudit([{ at: new Date().toISOString(), actorId, action, targetType: "system", targetId, detail }]);
}
