// One error shape for every JSON API: { error: 中文说明, code }. The referral module's typed
// errors carry the message meant for the user; anything else is a 500 with a generic text
// (the details go to the log, which masks personal data).

import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AuthError, ConflictError, ForbiddenError, NotFoundError, ReferralError, ValidationError } from "../referral/types.ts";

/** An HTTP error raised by the server's own routes, with a message shown to the user. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly code: string = "error",
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** The HTTP status an error maps to: validation 400, sign-in 401, forbidden 403, not found 404, conflict 409, a framework error its own, else 500. */
export function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.statusCode;
  if (err instanceof ValidationError) return 400;
  if (err instanceof AuthError) return 401;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof NotFoundError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof ReferralError) return 400;
  const status = (err as FastifyError)?.statusCode;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 500;
}

/** Framework errors (body too large, bad JSON, rate limit) in words a user understands. */
function frameworkMessage(status: number, err: FastifyError): string {
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "内容过长，请精简后再发送";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "请求格式不正确";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return "请求内容为空或不完整";
  }
  if (status === 429) return "操作太频繁，请稍后再试";
  if (status === 404) return "页面或记录不存在";
  if (status === 403) return "无权访问";
  if (status === 401) return "请先登录";
  if (status === 408) return "请求超时，请重试";
  if (status === 405) return "不支持这种请求方式";
  if (status === 413) return "内容过长，请精简后再发送";
  if (status < 500) return "请求内容不正确";
  return "服务器内部错误，请稍后再试";
}

/**
 * Requests the router refuses before any route or hook runs (a malformed percent-encoding
 * such as /%E0%A4%A): answered like every other error — in Chinese, the URL not echoed —
 * with the security headers the hooks would have set (`headers`, from helmet).
 */
export function frameworkErrorHandler(headers: (req: FastifyRequest, reply: FastifyReply) => void) {
  return (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    headers(request, reply);
    request.log.info({ status: 400, code: err.code }, "request rejected");
    void reply.status(400).send({ error: "网址格式不正确", code: "bad_url" });
  };
}

/**
 * Answers any error in Chinese, with a code and never a stack; 5xx are logged as errors.
 *
 * @example
 * ```ts
 * api.setErrorHandler(errorHandler);
 * ```
 */
export function errorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = statusOf(err);
  const known = err instanceof HttpError || err instanceof ReferralError;
  if (status >= 500) request.log.error({ err }, "request failed");
  else request.log.info({ status, code: known ? (err as HttpError).code : err.code }, "request rejected");
  const message = known ? err.message : frameworkMessage(status, err);
  const code = known ? (err as HttpError).code : status === 429 ? "rate_limited" : status === 413 ? "too_large" : (err.code ?? "error");
  void reply.status(status).send({ error: message, code });
}
