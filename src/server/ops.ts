// The operators' endpoints: /readyz (database and search index) and /metrics (Prometheus).
// By default on the public port, open as before. LAWDESK_METRICS_TOKEN makes both ask for
// `Authorization: Bearer <token>`; LAWDESK_METRICS_PORT moves them to a listener of their own
// (LAWDESK_METRICS_HOST, default 127.0.0.1) and the public port no longer has them.
// /healthz (liveness, says nothing) stays public.

import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { App } from "../app.ts";
import type { ServerMetrics as Metrics } from "./metrics.ts";
import { databaseAnswers } from "../store/server-secrets.ts";

export interface OpsSettings {
  token: string | null;
  port: number | null;
  host: string;
}

export function opsSettingsFrom(config: App["config"]): OpsSettings {
  return { token: config.LAWDESK_METRICS_TOKEN ?? null, port: config.LAWDESK_METRICS_PORT ?? null, host: config.LAWDESK_METRICS_HOST };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim() ?? "");
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** Adds /readyz and /metrics to `server`, behind the token when one is set. */
export function registerOpsRoutes(server: FastifyInstance, app: App, metrics: Metrics, token: string | null): void {
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    if (token && !tokenMatches(request.headers.authorization, token)) {
      return reply.status(401).header("www-authenticate", "Bearer").send({ error: "需要访问令牌", code: "token_required" });
    }
  };

  server.get("/readyz", { onRequest: guard }, async (request, reply) => {
    const checks: Record<string, boolean> = { database: false, index: false };
    checks.database = await databaseAnswers(app.sql);
    try {
      app.knowledge.queryTerms("劳动");
      checks.index = app.knowledge.hasIndex();
    } catch {
      /* no index loaded */
    }
    const ready = checks.database && checks.index;
    void reply.status(ready ? 200 : 503);
    return { status: ready ? "ready" : "not_ready", checks, articles: app.knowledge.articleCount, guides: app.knowledge.guideCount };
  });

  server.get("/metrics", { onRequest: guard }, async (request, reply) => {
    void reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

/** The separate listener when LAWDESK_METRICS_PORT is set (not listening yet), else null. */
export function buildOpsServer(app: App, metrics: Metrics, settings: OpsSettings): FastifyInstance | null {
  if (settings.port === null) return null;
  const ops = Fastify({ logger: false });
  registerOpsRoutes(ops, app, metrics, settings.token);
  return ops;
}
