// The bureau's administration API under /api/console/admin: duty rota editor, knowledge
// administration, test console, channels. Same session and CSRF rules as the console; each
// route then checks the role it needs (lawyers get 403).

import type { FastifyError, FastifyInstance } from "fastify";
import type { App } from "../../app.ts";
import { loadTopics } from "../../pipeline/topic.ts";
import { errorHandler } from "../../server/errors.ts";
import { requireStaff } from "../session.ts";
import type { ChannelAdmin } from "../../channel-admin.ts";
import { channelRoutes } from "./channels.ts";
import { knowledgeRoutes } from "./knowledge.ts";
import { rotaRoutes } from "./rota.ts";
import { testbenchRoutes } from "./testbench.ts";

/** The app and whichever chat-app channels run (through the ChannelAdmin port) for the admin pages. */
export interface AdminOptions extends Partial<ChannelAdmin> {
  app: App;
}

/**
 * The administration API under /api/console/admin: knowledge and uploads, the duty rota, the
 * chat-app channels (login QR, Telegram link codes) and the test bench. Registered by the server.
 */
export async function adminApiPlugin(server: FastifyInstance, opts: AdminOptions): Promise<void> {
  const { app } = opts;
  const topicIds = new Set(loadTopics(app.config.knowledgeDir).map((t) => t.id));
  await server.register(async (api) => {
    // onRequest: a request without a session is refused before a large body is read.
    api.addHook("onRequest", requireStaff(app.auth));
    // An oversized upload is refused before any handler runs: say the limit in words.
    api.setErrorHandler((err: FastifyError, request, reply) => {
      if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return void reply.status(413).send({ error: "文件不能超过 5 MB", code: "too_large" });
      errorHandler(err, request, reply);
    });
    rotaRoutes(api, app);
    knowledgeRoutes(api, app, topicIds);
    testbenchRoutes(api, app);
    channelRoutes(api, app, { wechaty: opts.wechaty ?? null, telegram: opts.telegram ?? null });
  });
}
