// Console sessions: the session token in an httpOnly, SameSite=Strict cookie; every
// state-changing request must also carry the session's CSRF token in a header the page
// sends (a cross-site form cannot set it, and cannot read it from /api/console/me).

import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthService, SessionInfo } from "../referral/index.ts";
import { HttpError } from "../server/errors.ts";

export const SESSION_COOKIE = "ld_session";
export const CSRF_HEADER = "x-csrf-token";

export interface Staff extends SessionInfo {
  token: string;
}

declare module "fastify" {
  interface FastifyRequest {
    staff?: Staff;
  }
}

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: string, secure: boolean): void {
  void reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "strict",
    secure,
    path: "/",
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "strict", secure, path: "/" });
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** All a user who must change their password may do until they have. */
const BEFORE_PASSWORD_CHANGE = new Set(["GET /api/console/me", "HEAD /api/console/me", "POST /api/console/logout", "POST /api/console/password"]);

/** preHandler: a valid session, the CSRF header on anything that changes state, and a changed first password. */
export function requireStaff(auth: AuthService) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = request.cookies[SESSION_COOKIE];
    const info = token ? await auth.validateSession(token) : null;
    if (!info || !token) throw new HttpError(401, "请先登录", "unauthenticated");
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers[CSRF_HEADER];
      if (!auth.verifyCsrf(info.session, typeof presented === "string" ? presented : undefined)) {
        throw new HttpError(403, "安全校验失败，请刷新页面后重试", "csrf");
      }
    }
    // A password someone else chose (first login, reset) opens nothing but the change itself:
    // no queue, dashboard, CSV export, articles or live updates before it is changed.
    if (info.user.mustChangePassword && !BEFORE_PASSWORD_CHANGE.has(`${request.method} ${request.routeOptions.url ?? ""}`)) {
      throw new HttpError(403, "请先修改初始密码", "must_change_password");
    }
    request.staff = { ...info, token };
  };
}

export function staffOf(request: FastifyRequest): Staff {
  if (!request.staff) throw new HttpError(401, "请先登录", "unauthenticated");
  return request.staff;
}
