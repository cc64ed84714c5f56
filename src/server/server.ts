// The HTTP server: residents' web chat at /, the lawyers' console at /console, their JSON
// APIs, health and Prometheus metrics, and a hook for other channels' webhooks. Built but
// not listening, so tests can listen on port 0 and `lawdesk serve` on the configured port.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import securityHeaders, { type HelmetOptions } from "helmet";
import rateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from "fastify";
import type { App } from "../app.ts";
import type { GroupBotAdmin, LawyerLinkAdmin } from "../channel-admin.ts";
import { WebChannelSender, WebChatLive } from "../channels/web/live.ts";
import { webChatPlugin } from "../channels/web/plugin.ts";
import { ConsoleLive } from "../console/live.ts";
import { consoleApiPlugin } from "../console/routes.ts";
import { adminApiPlugin } from "../console/admin/plugin.ts";
import { dashboardPlugin } from "../console/dashboard/routes.ts";
import { errorHandler, frameworkErrorHandler, HttpError } from "./errors.ts";
import { buildOpsServer, opsSettingsFrom, registerOpsRoutes } from "./ops.ts";
import { createMetrics, instrumentHttp } from "./metrics.ts";
import { sqlRateLimitStore } from "./rate-limit-store.ts";
import { loadOrCreateSecret, loadOrCreateSharedSecret } from "./secrets.ts";
import { parseTrustProxy, trustProxyOption } from "./proxy.ts";
import { SseHub } from "./sse.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const CHAT_PUBLIC = join(HERE, "../channels/web/public");
const CONSOLE_PUBLIC = join(HERE, "../console/public");

/** What a channel plugin (WeChat, Telegram webhooks …) receives when mounted. */
export interface ChannelPluginOptions {
  app: App;
}

/** A channel's webhook plugin and where it is mounted. */
export interface ChannelRegistration {
  /** For logs: "wechat_oa", "telegram" … */
  name: string;
  plugin: FastifyPluginAsync<ChannelPluginOptions>;
  /** Route prefix, e.g. "/wechat". */
  prefix?: string;
}

/** What {@link buildServer} builds the HTTP server with; every field is optional. */
export interface BuildServerOptions {
  /** Running chat-app channels as the console administers them (login QR, group needs, account links): a port, not the channels. */
  wechaty?: GroupBotAdmin | null;
  telegram?: LawyerLinkAdmin | null;
  /** Webhook plugins of other channels, mounted after the core routes. */
  channels?: ChannelRegistration[];
  /** Signs the residents' cookie; default: a secret kept in the data directory. */
  cookieSecret?: string;
  /** Set the Secure flag on cookies (when served over HTTPS). */
  secureCookies?: boolean;
  /**
   * Reverse proxies to trust for the client address (rate limits, login lock-out, logs): a hop
   * count or their addresses (server/proxy.ts). Default: LAWDESK_TRUST_PROXY. Never `true`,
   * which would take the leftmost, client-written X-Forwarded-For entry.
   */
  trustProxy?: false | number | string[];
  loginRateLimit?: { max: number; timeWindow: number };
  chatRateLimit?: { max: number; timeWindow: number };
}

/** The Fastify server with lawdesk's live-update hubs and its separate operations server. */
export interface LawdeskServer extends FastifyInstance {
  webLive: WebChatLive;
  consoleLive: ConsoleLive;
  /** /metrics and /readyz on their own port (LAWDESK_METRICS_PORT), not listening yet; closed with the server. */
  ops: FastifyInstance | null;
}

const HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'self'"],
    },
  },
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The HTTP server of `lawdesk serve`: residents' web chat, the console and its API, channel
 * webhooks, /healthz, /readyz and /metrics, with the security headers, rate limits and request
 * timeouts described in the README. Not listening yet.
 *
 * @example
 * ```ts
 * const app = await createApp(loadConfig());
 * const server = await buildServer(app);
 * await server.listen({ port: app.config.PORT, host: app.config.HOST });
 * ```
 */
export async function buildServer(app: App, opts: BuildServerOptions = {}): Promise<LawdeskServer> {
  const secure = opts.secureCookies ?? false;
  const server = Fastify({
    loggerInstance: app.log as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // A client must send headers and body within the request timeout (a body trickled a byte
    // at a time is cut off with 408); Node checks every second instead of every 30.
    requestTimeout: app.config.LAWDESK_REQUEST_TIMEOUT_SECONDS * 1000,
    http: { headersTimeout: app.config.LAWDESK_REQUEST_TIMEOUT_SECONDS * 1000, connectionsCheckingInterval: 1000 },
    // An idle kept-alive connection is closed after 5 s (Node's default; fastify's is 72 s).
    keepAliveTimeout: 5000,
    trustProxy: trustProxyOption(opts.trustProxy ?? parseTrustProxy(app.config.LAWDESK_TRUST_PROXY)),
    // Malformed URLs (/%E0%A4%A) are refused before any hook runs: same shape, same headers.
    frameworkErrors: frameworkErrorHandler(headersFor(secure)),
  });

  const metrics = createMetrics(app.sql);
  const hub = new SseHub((n) => metrics.sseClients.set({ stream: "all" }, n), {
    perClient: app.config.LAWDESK_LIVE_STREAMS_PER_CLIENT,
    perAddress: app.config.LAWDESK_LIVE_STREAMS_PER_ADDRESS,
    total: app.config.LAWDESK_LIVE_STREAMS_MAX,
  });
  const webLive = new WebChatLive(hub);
  const consoleLive = new ConsoleLive(app, hub);
  app.dispatcher.register(new WebChannelSender(webLive, app.bus));

  server.setErrorHandler(errorHandler);
  server.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: "页面或记录不存在", code: "not_found" });
  });
  instrumentHttp(server, metrics.registry);

  const cookieSecret =
    opts.cookieSecret ?? (app.store === "postgres" ? await loadOrCreateSharedSecret(app.sql) : loadOrCreateSecret(app.config.dataDir));
  await server.register(cookie, { secret: cookieSecret });
  // Served over plain HTTP on a county's LAN as well: do not force HTTPS from here.
  await server.register(helmet, { ...HELMET, strictTransportSecurity: secure } as Parameters<typeof helmet>[1]);
  // Several processes on PostgreSQL share one count; one process keeps it in memory.
  await server.register(rateLimit, { global: false, ...(app.store === "postgres" ? { store: sqlRateLimitStore(app.sql) } : {}) });

  // Cross-site requests are refused outright for anything that changes state (the login
  // form included, which has no CSRF token yet).
  server.addHook("onRequest", async (request) => {
    if (SAFE_METHODS.has(request.method) || !request.url.startsWith("/api/")) return;
    const origin = request.headers.origin;
    if (origin && origin !== "null") {
      const host = request.headers.host;
      let originHost = "";
      try {
        originHost = new URL(origin).host;
      } catch {
        /* malformed: refused below */
      }
      if (!host || originHost !== host) throw new HttpError(403, "跨站请求已拒绝", "cross_site");
    }
  });

  // ------------------------------------------------------------ health and metrics

  server.get("/healthz", async () => ({ status: "ok" }));

  // /readyz and /metrics: here, or on their own port (src/server/ops.ts).
  const opsSettings = opsSettingsFrom(app.config);
  const ops = buildOpsServer(app, metrics, opsSettings);
  if (ops) server.addHook("onClose", async () => void (await ops.close()));
  else registerOpsRoutes(server, app, metrics, opsSettings.token);

  // ------------------------------------------------------------ pages

  await server.register(fastifyStatic, { root: CHAT_PUBLIC, prefix: "/chat/", index: false, maxAge: 0 });
  await server.register(fastifyStatic, { root: CONSOLE_PUBLIC, prefix: "/console/static/", index: false, decorateReply: false, maxAge: 0 });
  server.get("/", (request, reply) => reply.sendFile("index.html", CHAT_PUBLIC));
  server.get("/console", (request, reply) => reply.sendFile("index.html", CONSOLE_PUBLIC));

  // ------------------------------------------------------------ APIs and channels

  await server.register(webChatPlugin, { app, live: webLive, secureCookies: secure, messageRateLimit: opts.chatRateLimit ?? { max: app.config.LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE, timeWindow: 60_000 } });
  await server.register(consoleApiPlugin, { app, live: consoleLive, secureCookies: secure, loginRateLimit: opts.loginRateLimit ?? { max: 20, timeWindow: 60_000 } });
  await server.register(adminApiPlugin, { app, wechaty: opts.wechaty ?? null, telegram: opts.telegram ?? null });
  await server.register(dashboardPlugin, { app, wechaty: opts.wechaty ?? null });
  for (const ch of opts.channels ?? []) {
    await server.register(ch.plugin, { app, prefix: ch.prefix });
    app.log.info({ channel: ch.name, prefix: ch.prefix ?? "/" }, "channel mounted");
  }

  // Open SSE streams would keep close() waiting forever.
  server.addHook("preClose", async () => {
    consoleLive.close();
    hub.closeAll();
  });

  return Object.assign(server, { webLive, consoleLive, ops }) as LawdeskServer;
}

/** Sets the security headers helmet's hooks set, for replies made before any hook runs. */
function headersFor(secure: boolean): (request: FastifyRequest, reply: FastifyReply) => void {
  const apply = securityHeaders({ ...HELMET, strictTransportSecurity: secure } as HelmetOptions);
  return (request, reply) => apply(request.raw, reply.raw, () => undefined);
}
