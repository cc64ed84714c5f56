// `lawdesk serve`: the HTTP server with the web chat and the console, outbox delivery, the
// deadline check every minute, and the first administrator. Stops cleanly on SIGTERM/SIGINT.

import type { Config } from "../config.ts";
import { createApp } from "../app.ts";
import { createLogger } from "../log.ts";
import { buildServer, type ChannelRegistration } from "../server/server.ts";
import { wechatOaPlugin } from "../channels/wechat-oa/index.ts";
import { startTelegramChannel, type TelegramChannel } from "../channels/telegram/index.ts";
import { startWechatyChannel } from "../channels/wechaty/index.ts";
import { PurgeJob } from "../privacy-purge.ts";

/** The HTTP channels whose settings are present. */
export function configuredChannels(config: Config, telegram: TelegramChannel | null = null): ChannelRegistration[] {
  const channels: ChannelRegistration[] = [];
  if (config.WECHAT_OA_TOKEN) channels.push({ name: "wechat_oa", plugin: wechatOaPlugin });
  const path = telegram?.webhookPath;
  if (telegram && path) {
    const handler = telegram.webhookHandler();
    channels.push({ name: "telegram", plugin: async (server) => void server.post(path, handler) });
  }
  return channels;
}

const DEADLINE_CHECK_MS = 60_000;
const KNOWLEDGE_POLL_MS = 3_000;

export interface ServeOptions {
  channels?: ChannelRegistration[];
  /** Resolves when the server has stopped (tests); the CLI waits on signals. */
  signal?: AbortSignal;
}

export async function runServe(config: Config, opts: ServeOptions = {}): Promise<number> {
  const log = createLogger(config.LOG_LEVEL);
  log.info({ dataDir: config.dataDir }, "starting lawdesk (the first start builds the search index, which can take minutes)");
  const app = await createApp(config, { log });

  const admin = await app.auth.ensureAdmin({ password: config.LAWDESK_ADMIN_PASSWORD });
  if (admin.oneTimePassword) {
    // Printed once, to stdout only (never to the log): whoever starts the server the first time.
    process.stdout.write(
      `\n首次启动：已创建管理员账号 ${admin.username}，一次性密码：${admin.oneTimePassword}\n` +
        `请登录 /console 并立即修改密码。此密码不会再次显示。\n\n`,
    );
  }

  // Chat-app channels: each starts only when its settings are present.
  const wechaty = await startWechatyChannel(app);
  const telegram = await startTelegramChannel(app);
  const server = await buildServer(app, {
    channels: opts.channels ?? configuredChannels(config, telegram),
    wechaty,
    telegram,
  });
  // Knowledge changed by another process (an upload in the console) is picked up here too.
  const stopKnowledgeWatch = app.knowledge.watchForChanges(KNOWLEDGE_POLL_MS);
  const recovered = await app.recover();
  if (recovered.messages || recovered.escalations) log.info(recovered, "recovered unfinished work");

  // Several processes on one PostgreSQL: messages a dead peer claimed are picked up here
  // once their lease runs out, without waiting for that peer to restart.
  const recoveryTimer =
    app.store === "postgres"
      ? setInterval(() => {
          app.recover().catch((err) => log.error({ err }, "recovering abandoned work failed"));
        }, Math.max(1000, (config.LAWDESK_CLAIM_LEASE_SECONDS * 1000) / 2))
      : null;
  recoveryTimer?.unref();

  app.dispatcher.start();
  void app.dispatcher.flushAll();
  const deadlineTimer = setInterval(() => {
    app.referrals.runDeadlineCheck().catch((err) => log.error({ err }, "deadline check failed"));
  }, DEADLINE_CHECK_MS);
  deadlineTimer.unref();
  // Personal data past the retention period: purged now, then daily.
  const purge = new PurgeJob({ sql: app.sql, referrals: app.referrals, retentionDays: config.LAWDESK_RETENTION_DAYS, log });
  await purge.start();

  const address = await server.listen({ port: config.PORT, host: config.HOST });
  if (server.ops) log.info({ address: await server.ops.listen({ port: config.LAWDESK_METRICS_PORT, host: config.LAWDESK_METRICS_HOST }) }, "metrics and readiness listening");
  log.info({ address }, "lawdesk is listening");
  process.stdout.write(`lawdesk 已启动：居民咨询 ${address}/  律师工作台 ${address}/console\n`);

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ why }, "shutting down");
      resolve();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
    opts.signal?.addEventListener("abort", () => stop("abort"));
  });

  clearInterval(deadlineTimer);
  if (recoveryTimer) clearInterval(recoveryTimer);
  stopKnowledgeWatch();
  purge.stop();
  try {
    await server.close();
    await Promise.allSettled([wechaty?.stop(), telegram?.stop()]);
  } finally {
    await app.close();
  }
  log.info("stopped");
  return 0;
}
