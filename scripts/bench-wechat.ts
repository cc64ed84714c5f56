// Official-account benchmark on loopback: signed text messages from many residents against
// /wechat/oa of a whole lawdesk app (real answering pipeline over the bundled guides and a
// one-law corpus, SQLite), with autocannon. Reports requests per second, the passive-reply
// latency (p50/p95/p99, from the request's arrival to the reply handed to the socket, and
// as autocannon saw it), and the share of messages answered in the passive reply.
//   node bin/run-script.js scripts/bench-wechat.ts [--seconds 10] [--connections 20] [--aes]
// Bounded: 127.0.0.1 only, a fixed duration and connection count.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { createApp } from "../src/app.ts";
import { WechatCipher, msgSignature, urlSignature } from "../src/channels/wechat-oa/crypto.ts";
import { wechatOaPlugin, type ReplyEvent } from "../src/channels/wechat-oa/plugin.ts";
import { wechatOaSettings } from "../src/channels/wechat-oa/settings.ts";
import { cdata } from "../src/channels/wechat-oa/xml.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { machineLine } from "./eval.ts";

// autocannon ships no types (and @types/autocannon is not installed): the part used here.
interface CannonRequest {
  method?: string;
  path?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
}
interface CannonResult {
  requests: { total: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
interface CannonInstance extends PromiseLike<CannonResult> {
  on(event: "response", listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): void;
}
type Cannon = (o: {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: { setupRequest: (req: CannonRequest) => CannonRequest }[];
}) => CannonInstance;
const autocannon = createRequire(import.meta.url)("autocannon") as Cannon;

export interface BenchWechatOptions {
  seconds?: number;
  connections?: number;
  /** Safe mode: requests encrypted, replies encrypted. */
  aes?: boolean;
  replyBudgetMs?: number;
}

export interface BenchWechatResult {
  mode: "plain" | "aes";
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
  /** Share of answered messages whose answer came in the passive reply. */
  passiveShare: number;
  /** Server side, arrival → passive reply handed to the socket. */
  passiveLatencyMs: { p50: number; p95: number; p99: number; n: number };
  /** Client side (autocannon), every response, queueing included. */
  clientLatencyMs: { p50: number; p95: number; p99: number };
  /** Load average when the run ended (other processes on the machine skew the numbers). */
  loadAverage: number;
  /** Answers that missed the budget and went through the (local fake) customer-service API. */
  customerServiceSends: number;
}

const TOKEN = "benchToken2025";
const APP_ID = "wxbench0000000001";
const AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

const QUESTIONS = [
  "老板欠我三个月工资不给咋办",
  "厂里一直拖着不发工资，能告他吗",
  "没签劳动合同被辞退了怎么办",
  "离婚孩子抚养权归谁",
  "借钱不还打了欠条怎么要回来",
  "交通事故对方全责赔偿怎么算",
  "邻居占了我家宅基地怎么办",
  "怎么申请法律援助",
  "网上买东西被骗了怎么维权",
  "工伤认定要多久",
  "父母去世没留遗嘱房子怎么分",
  "房东不退押金怎么办",
];

const LAW_MD = [
  "# 中华人民共和国劳动合同法",
  "",
  "2007年6月29日 第十届全国人民代表大会常务委员会第二十八次会议通过",
  "",
  "<!-- INFO END -->",
  "",
  "## 第三章 劳动合同的履行和变更",
  "",
  "第三十条 用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。",
  "",
].join("\n");

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A local stand-in for WeChat's API host: tokens and customer-service sends, counted. */
async function fakeApiHost(): Promise<{ base: string; sends: () => number; close: () => Promise<void> }> {
  const api = Fastify();
  let sends = 0;
  api.get("/cgi-bin/token", async () => ({ access_token: "BENCH_TOKEN", expires_in: 7200 }));
  api.post("/cgi-bin/message/custom/send", async () => {
    sends += 1;
    return { errcode: 0, errmsg: "ok" };
  });
  const base = await api.listen({ host: "127.0.0.1", port: 0 });
  return { base, sends: () => sends, close: () => api.close() };
}

export async function benchWechat(opts: BenchWechatOptions = {}): Promise<BenchWechatResult> {
  const seconds = opts.seconds ?? 10;
  const connections = opts.connections ?? 20;
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-bench-wechat-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LAW_MD);
  const apiHost = await fakeApiHost();
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LOG_LEVEL: "silent", LAWDESK_RATE_LIMIT_PER_MINUTE: "100000", LAWDESK_TRAINING: "off" }, dir);
  const app = await createApp(config, { log: createLogger("silent") });
  const settings = wechatOaSettings({
    token: TOKEN,
    appId: APP_ID,
    appSecret: "bench-secret",
    aesKey: AES_KEY,
    apiBase: apiHost.base,
    replyBudgetMs: opts.replyBudgetMs ?? 4500,
  });
  const events: ReplyEvent[] = [];
  const server = Fastify({ forceCloseConnections: true });
  await server.register(wechatOaPlugin, { app, settings, onReply: (e) => events.push(e) });
  const address = await server.listen({ host: "127.0.0.1", port: 0 });
  const cipher = new WechatCipher(AES_KEY, APP_ID);

  // Every request is a new message (fresh MsgId) from one of many residents, freshly signed.
  let seq = 0n;
  const base = 8_000_000_000_000_000_000n;
  const setupRequest = (req: CannonRequest): CannonRequest => {
    seq += 1n;
    const n = Number(seq % 100_000n);
    const openid = `oBench${n % 997}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = String(n);
    const xml =
      `<xml><ToUserName>${cdata("gh_bench")}</ToUserName><FromUserName>${cdata(openid)}</FromUserName>` +
      `<CreateTime>${timestamp}</CreateTime><MsgType>${cdata("text")}</MsgType>` +
      `<Content>${cdata(QUESTIONS[n % QUESTIONS.length])}</Content><MsgId>${(base + seq).toString()}</MsgId></xml>`;
    const query = new URLSearchParams({ signature: urlSignature(TOKEN, timestamp, nonce), timestamp, nonce, openid });
    let body = xml;
    if (opts.aes) {
      const encrypt = cipher.encrypt(xml);
      query.set("encrypt_type", "aes");
      query.set("msg_signature", msgSignature(TOKEN, timestamp, nonce, encrypt));
      body = `<xml><ToUserName>${cdata("gh_bench")}</ToUserName><Encrypt>${cdata(encrypt)}</Encrypt></xml>`;
    }
    return { ...req, method: "POST", path: `/wechat/oa?${query}`, body, headers: { "content-type": "text/xml" } };
  };

  try {
    // Warm-up: the first answers load the dictionaries.
    for (let i = 0; i < 20; i++) {
      const r = setupRequest({});
      await (await fetch(`${address}${r.path}`, { method: "POST", body: typeof r.body === "string" ? r.body : r.body ? new Uint8Array(r.body) : undefined, headers: r.headers })).text();
    }
    events.length = 0;
    const sendsBefore = apiHost.sends();

    const cannon = autocannon({ url: address, connections, duration: seconds, timeout: 10, requests: [{ setupRequest }] });
    const clientTimes: number[] = [];
    cannon.on("response", (_client, _status, _bytes, ms) => clientTimes.push(ms));
    const result = await cannon;
    const loadAverage = loadavg()[0];
    clientTimes.sort((a, b) => a - b);
    // Late answers still going out through the API.
    await new Promise((r) => setTimeout(r, 500));

    const passive = events.filter((e) => e.kind === "passive").map((e) => e.ms).sort((a, b) => a - b);
    const acks = events.filter((e) => e.kind === "ack").length;
    return {
      mode: opts.aes ? "aes" : "plain",
      seconds,
      connections,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      passiveShare: passive.length / Math.max(1, passive.length + acks),
      passiveLatencyMs: { p50: percentile(passive, 50), p95: percentile(passive, 95), p99: percentile(passive, 99), n: passive.length },
      clientLatencyMs: { p50: percentile(clientTimes, 50), p95: percentile(clientTimes, 95), p99: percentile(clientTimes, 99) },
      loadAverage,
      customerServiceSends: apiHost.sends() - sendsBefore,
    };
  } finally {
    await server.close();
    await apiHost.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatBenchWechat(r: BenchWechatResult): string {
  return [
    `wechat_oa (${r.mode}, ${r.connections} connections, ${r.seconds} s on 127.0.0.1)`,
    `  requests/s        ${r.requestsPerSecond.toFixed(0)} (${r.requests} requests, ${r.non2xx} non-2xx, ${r.errors} errors)`,
    `  answered passively ${(r.passiveShare * 100).toFixed(1)} % (${r.customerServiceSends} via the customer-service API)`,
    `  passive reply     p50 ${r.passiveLatencyMs.p50.toFixed(1)} ms, p95 ${r.passiveLatencyMs.p95.toFixed(1)} ms, p99 ${r.passiveLatencyMs.p99.toFixed(1)} ms (server side, n=${r.passiveLatencyMs.n})`,
    `  client latency    p50 ${r.clientLatencyMs.p50.toFixed(1)} ms, p95 ${r.clientLatencyMs.p95.toFixed(1)} ms, p99 ${r.clientLatencyMs.p99.toFixed(1)} ms (autocannon, queueing included)`,
    `  load average      ${r.loadAverage.toFixed(2)} at the end of the run`,
  ].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const num = (flag: string) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : undefined);
  console.log(machineLine());
  const r = await benchWechat({ seconds: num("--seconds"), connections: num("--connections"), aes: args.includes("--aes") });
  console.log(formatBenchWechat(r));
}

if (process.argv[1]?.endsWith("scripts/bench-wechat.ts")) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
