// Test rigs: the official-account plugin on a real loopback port, over either the whole
// lawdesk app (createApp with a tiny law folder) or a conversation core with a scripted
// pipeline (to hold an answer past the reply budget), with FakeWechat on the other side.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { createApp, type App } from "../../../src/app.ts";
import { createWechatOaChannel, type WechatOaApp, type WechatOaChannel } from "../../../src/channels/wechat-oa/channel.ts";
import { wechatOaPlugin, type ReplyEvent } from "../../../src/channels/wechat-oa/plugin.ts";
import { wechatOaSettings, type WechatOaSettings } from "../../../src/channels/wechat-oa/settings.ts";
import { OutboxDispatcher } from "../../../src/channels/dispatcher.ts";
import { loadConfig } from "../../../src/config.ts";
import { ConversationCore } from "../../../src/conversation/core.ts";
import { FakePipeline, captureLogger, tempDb, type TempDb } from "../../conversation/helpers.ts";
import { ACCOUNT, FakeWechat, until, type Account } from "./fake-wechat.ts";
import { CHANNEL_PROFILES } from "../../../src/channels/profiles.ts";

export const LAW_MD = [
  "# 中华人民共和国劳动合同法",
  "",
  "2007年6月29日 第十届全国人民代表大会常务委员会第二十八次会议通过",
  "",
  "<!-- INFO END -->",
  "",
  "## 第一章 总则",
  "",
  "第一条 为了完善劳动合同制度，明确劳动合同双方当事人的权利和义务，保护劳动者的合法权益，构建和发展和谐稳定的劳动关系，制定本法。",
  "",
  "## 第三章 劳动合同的履行和变更",
  "",
  "第三十条 用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。",
  "",
].join("\n");

export interface Rig {
  server: FastifyInstance;
  wechat: FakeWechat;
  channel: WechatOaChannel;
  dispatcher: OutboxDispatcher;
  replies: ReplyEvent[];
  /** POSTs that reached the server. */
  arrivals: () => number;
  lines: () => Record<string, unknown>[];
  /**
   * Resolves once nothing more is under way: every outbox row sent or given up, a dispatcher
   * pass done, no delivery (or late delivery) running. "Sent once" is checked after this,
   * not after a fixed sleep that a slow machine outlasts.
   */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface RigOptions {
  settings?: Partial<WechatOaSettings>;
  /** The clock the replay window is checked against (epoch ms). */
  now?: () => number;
  /** Leave out AppID/secret (no customer-service API). */
  noApi?: boolean;
  /** Another official account (e.g. the one of the published test vectors). */
  account?: Account;
  /** Captured log level (default info); "silent" for high-volume property runs. */
  logLevel?: string;
}

function settingsFor(wechat: FakeWechat, o: RigOptions): WechatOaSettings {
  const account = o.account ?? ACCOUNT;
  return wechatOaSettings({
    token: account.token,
    appId: account.appId,
    appSecret: o.noApi ? null : account.appSecret,
    aesKey: account.aesKey,
    apiBase: wechat.apiBase,
    replyBudgetMs: 300,
    retry: { attempts: 3, baseDelayMs: 5 },
    ...o.settings,
  });
}

async function mount(app: WechatOaApp, dispatcher: OutboxDispatcher, lines: () => Record<string, unknown>[], o: RigOptions): Promise<Rig> {
  // The fake API host must be up first: its address goes into the settings.
  const wechat = new FakeWechat("", o.account ?? ACCOUNT);
  await wechat.start();
  const settings = settingsFor(wechat, o);
  const channel = createWechatOaChannel(app, settings, { now: o.now });
  const replies: ReplyEvent[] = [];
  // Fake WeChat drops connections mid-request; close them all at the end instead of waiting.
  const server = Fastify({ forceCloseConnections: true });
  let arrivals = 0;
  server.addHook("onRequest", async (req) => {
    if (req.method === "POST") arrivals += 1;
  });
  await server.register(wechatOaPlugin, { app, settings, channel, onReply: (e) => replies.push(e) });
  const address = await server.listen({ host: "127.0.0.1", port: 0 });
  wechat.target = `${address}${settings.path}`;
  return {
    server,
    wechat,
    channel,
    dispatcher,
    replies,
    arrivals: () => arrivals,
    lines,
    async settled() {
      const final = async () => (await app.conversations.listOutbox({})).every((r) => r.status === "sent" || r.status === "undelivered");
      await until(final, 5000, "every reply sent or given up");
      await dispatcher.flushAll();
      await channel.delivery.idle();
    },
    async close() {
      dispatcher.stop();
      await server.close();
      await wechat.stop();
    },
  };
}

/** The whole app, answering from the bundled guides and a one-law corpus. */
export async function appRig(o: RigOptions = {}): Promise<Rig & { app: App }> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-wxoa-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LAW_MD);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LOG_LEVEL: "silent", LAWDESK_RATE_LIMIT_PER_MINUTE: "1000", LAWDESK_TRAINING: "off" }, dir);
  const { log, lines } = captureLogger("info");
  const app = await createApp(config, { log });
  const rig = await mount(app, app.dispatcher, lines, o);
  return {
    ...rig,
    app,
    async close() {
      await rig.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface CoreRig extends Rig {
  db: TempDb;
  core: ConversationCore;
  pipeline: FakePipeline;
  log: Logger;
}

/** A conversation core over a scripted pipeline: the test decides when an answer is ready. */
export async function coreRig(o: RigOptions = {}): Promise<CoreRig> {
  const db = tempDb();
  const { log, lines } = captureLogger(o.logLevel ?? "info");
  const pipeline = new FakePipeline();
  const core = new ConversationCore({ channels: CHANNEL_PROFILES, store: db.store, pipeline, log, rateLimitPerMinute: 1000 });
  const dispatcher = new OutboxDispatcher({ store: db.store, log, leaseMs: 60_000 });
  core.onReply((row) => {
    if (row.status === "pending") void dispatcher.flush(row.channel);
  });
  const app: WechatOaApp = { core, conversations: db.store, dispatcher, log };
  const rig = await mount(app, dispatcher, lines, o);
  return {
    ...rig,
    db,
    core,
    pipeline,
    log,
    async close() {
      await rig.close();
      db.cleanup();
    },
  };
}
