// The official account's server endpoint (服务器配置 URL): GET verifies the URL, POST
// carries messages in plain, compatible or safe (AES) mode. Every request is authenticated
// (signature, and timestamp within the replay window) before its body is even parsed; a
// refused or malformed request gets a 4xx and a log line without its payload.
//
// Mount it (the plugin is encapsulated: its XML body parser and error handler stay inside):
//   buildServer(app, { channels: app.config.WECHAT_OA_TOKEN ? [{ name: "wechat_oa", plugin: wechatOaPlugin }] : [] })
// or directly: await server.register(wechatOaPlugin, { app }) — settings come from app.config.

import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { randomInt } from "node:crypto";
import { createWechatOaChannel, type CreateChannelOptions, type WechatOaApp, type WechatOaChannel } from "./channel.ts";
import { msgSignature, signaturesEqual, urlSignature, WechatCryptoError } from "./crypto.ts";
import { interpret, type Decision, type Envelope } from "./message.ts";
import type { Config } from "../../config.ts";
import { wechatOaSettingsFrom, type WechatOaSettings } from "./settings.ts";
import { encryptedReplyXml, parseWechatXml, textReplyXml, WechatXmlError, type WechatFields } from "./xml.ts";

/** What the official account's endpoint did with one request (for tests and logs). */
export interface ReplyEvent {
  /** passive: the answer in the reply; fixed: a canned reply; ack: "success"; refused: a 4xx/5xx. */
  kind: "passive" | "fixed" | "ack" | "refused";
  status: number;
  /** From the request's arrival to the reply being handed to the socket. */
  ms: number;
}

/** What the official-account endpoint is mounted with; settings and channel default to the app's. */
export interface WechatOaPluginOptions extends CreateChannelOptions {
  app: WechatOaApp & { config?: Config };
  /** Default: built from the app's configuration. */
  settings?: WechatOaSettings;
  /** An already assembled channel (tests, or a server that keeps a handle on it). */
  channel?: WechatOaChannel;
  /** Told about every reply (metrics, the benchmark). */
  onReply?: (e: ReplyEvent) => void;
}

interface Query {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
  encrypt_type?: string;
  msg_signature?: string;
  openid?: string;
}

/** Why a request was refused; logged as such, never with the body. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const ARRIVAL = Symbol("wechatOaArrival");
type Timed = FastifyRequest & { [ARRIVAL]?: number };

/**
 * The official account's message endpoint: checks WeChat's signature, decrypts, answers within
 * WeChat's 5 seconds when it can, and leaves the rest to the customer-service API.
 *
 * @example
 * ```ts
 * await server.register(wechatOaPlugin, { app });   // settings from WECHAT_OA_* in the app's config
 * ```
 */
export const wechatOaPlugin: FastifyPluginAsync<WechatOaPluginOptions> = async (server, opts) => {
  const settings = opts.settings ?? settingsFromApp(opts.app);
  const channel = opts.channel ?? createWechatOaChannel(opts.app, settings, opts);
  const { log } = channel;
  /** Answers still being handed over (passive or customer-service) after the core finished. */
  const settling = new Set<Promise<unknown>>();
  const observe = (request: FastifyRequest, kind: ReplyEvent["kind"], status: number) =>
    opts.onReply?.({ kind, status, ms: performance.now() - ((request as Timed)[ARRIVAL] ?? performance.now()) });

  installBodyHandling(server, settings.maxBodyBytes);
  // On shutdown, let answers being delivered finish before the app closes its database.
  server.addHook("onClose", async () => {
    await Promise.allSettled([...settling]);
    await channel.delivery.idle();
  });
  server.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    // The error may quote the body: log its code only.
    log.warn({ status, code: err.code ?? err.name, method: request.method }, "wechat_oa: request refused");
    observe(request, "refused", status);
    return reply.code(status).type("text/plain").send(status === 500 ? "error" : "bad request");
  });

  const verify = async (request: FastifyRequest, reply: FastifyReply) => {
    (request as Timed)[ARRIVAL] = performance.now();
    try {
      checkSignature(request.query as Query, settings, channel.now());
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      log.warn({ status: e.status, reason: e.reason, method: request.method, ip: request.ip }, "wechat_oa: request refused");
      observe(request, "refused", e.status);
      return reply.code(e.status).type("text/plain").send("forbidden");
    }
  };

  server.get(settings.path, { onRequest: verify }, async (request, reply) => {
    const { echostr } = request.query as Query;
    if (typeof echostr !== "string" || echostr.length === 0 || echostr.length > 512) return refuse(request, reply, new Refusal(400, "missing echostr"));
    observe(request, "fixed", 200);
    return reply.type("text/plain").send(echostr);
  });

  server.post(settings.path, { onRequest: verify }, async (request, reply) => {
    const query = request.query as Query;
    // A signed URL is good for one body: WeChat's re-send passes, a replay with another body does not.
    const expiresAt = (Number(query.timestamp) + settings.replayWindowSeconds) * 1000;
    if (!(await channel.nonces.admit(`${query.timestamp}:${query.nonce}`, String(request.body ?? ""), expiresAt, channel.now()))) {
      return refuse(request, reply, new Refusal(403, "signed URL replayed with another body"));
    }
    let message: { fields: WechatFields; encrypted: boolean };
    try {
      message = openMessage(String(request.body ?? ""), query, channel);
    } catch (e) {
      if (e instanceof Refusal) return refuse(request, reply, e);
      if (e instanceof WechatXmlError) return refuse(request, reply, new Refusal(400, e.message));
      if (e instanceof WechatCryptoError) return refuse(request, reply, new Refusal(e.reason === "wrong_app_id" ? 403 : 400, `decrypt: ${e.reason}`));
      throw e;
    }
    let envelope: Envelope;
    let decision: Decision;
    try {
      ({ envelope, decision } = interpret(message.fields, channel.menu));
    } catch (e) {
      if (e instanceof WechatXmlError) return refuse(request, reply, new Refusal(400, e.message));
      throw e;
    }
    const render = (text: string) => renderReply(channel, envelope, text, message.encrypted);

    if (!(envelope.msgType === "event" && /^unsubscribe$/i.test(message.fields.Event ?? ""))) void channel.delivery.catchUp(envelope.openid);
    if (decision.kind === "ack") {
      observe(request, "ack", 200);
      return ack(reply);
    }
    if (decision.kind === "reply") {
      observe(request, "fixed", 200);
      return reply.type("application/xml").send(render(decision.text));
    }
    return answerInTime(request, reply, channel, envelope, decision, render, observe, (p) => {
      settling.add(p);
      void p.finally(() => settling.delete(p));
    });
  });

  function refuse(request: FastifyRequest, reply: FastifyReply, e: Refusal): FastifyReply {
    log.warn({ status: e.status, reason: e.reason, method: request.method, ip: request.ip }, "wechat_oa: request refused");
    observe(request, "refused", e.status);
    return reply.code(e.status).type("text/plain").send(e.status === 403 ? "forbidden" : "bad request");
  }
};

/** The body arrives as a size-limited string whatever the content type says. */
function installBodyHandling(server: FastifyInstance, maxBodyBytes: number): void {
  server.removeAllContentTypeParsers();
  server.addContentTypeParser("*", { parseAs: "string", bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));
}

function settingsFromApp(app: WechatOaPluginOptions["app"]): WechatOaSettings {
  const settings = app.config ? wechatOaSettingsFrom(app.config) : null;
  if (!settings) throw new Error("wechatOaPlugin: pass `settings` or set WECHAT_OA_TOKEN");
  return settings;
}

const TIMESTAMP = /^[0-9]{1,12}$/;

/** The `signature` every request carries, and its timestamp within the replay window. */
export function checkSignature(q: Query, settings: WechatOaSettings, nowMs: number): void {
  const { signature, timestamp, nonce } = q;
  if (typeof signature !== "string" || typeof timestamp !== "string" || typeof nonce !== "string") throw new Refusal(401, "missing signature");
  if (!TIMESTAMP.test(timestamp) || nonce.length === 0 || nonce.length > 64) throw new Refusal(401, "malformed signature parameters");
  if (!signaturesEqual(urlSignature(settings.token, timestamp, nonce), signature)) throw new Refusal(401, "bad signature");
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > settings.replayWindowSeconds) throw new Refusal(403, "stale timestamp");
}

/** Parses the body; in safe/compatible mode checks msg_signature and decrypts (with the AppID check). */
function openMessage(body: string, q: Query, channel: WechatOaChannel): { fields: WechatFields; encrypted: boolean } {
  const outer = parseWechatXml(body);
  if (q.encrypt_type !== "aes") return { fields: outer, encrypted: false };
  const { cipher, settings } = channel;
  const encrypt = outer.Encrypt;
  if (!cipher) {
    // Compatible mode still carries the plain fields; safe mode without a key cannot be read.
    if (outer.MsgType) return { fields: outer, encrypted: false };
    throw new Refusal(400, "encrypted message but no WECHAT_OA_AES_KEY");
  }
  if (typeof encrypt !== "string" || encrypt.length === 0) throw new Refusal(400, "missing Encrypt");
  if (typeof q.msg_signature !== "string") throw new Refusal(401, "missing msg_signature");
  if (!signaturesEqual(msgSignature(settings.token, q.timestamp ?? "", q.nonce ?? "", encrypt), q.msg_signature)) throw new Refusal(401, "bad msg_signature");
  return { fields: parseWechatXml(cipher.decrypt(encrypt)), encrypted: true };
}

/** A passive text reply, encrypted when the request was. */
function renderReply(channel: WechatOaChannel, e: Envelope, text: string, encrypted: boolean): string {
  const nowSec = Math.floor(channel.now() / 1000);
  const xml = textReplyXml({ toUser: e.openid, fromUser: e.account, createTime: nowSec, content: text });
  if (!encrypted || !channel.cipher) return xml;
  const timestamp = String(nowSec);
  const nonce = String(randomInt(1e9, 1e10));
  const encrypt = channel.cipher.encrypt(xml);
  return encryptedReplyXml({ encrypt, signature: msgSignature(channel.settings.token, timestamp, nonce, encrypt), timestamp, nonce });
}

function ack(reply: FastifyReply): FastifyReply {
  return reply.type("text/plain").send("success");
}

/**
 * The 5-second rule. The request waits, until its budget (counted from arrival) runs out,
 * for the answer to be offered to it; the answer comes through the channel's delivery,
 * which offers it to the newest waiting try of this message or else sends it through the
 * customer-service API. So three tries of one MsgId give one answer.
 */
async function answerInTime(
  request: FastifyRequest,
  reply: FastifyReply,
  channel: WechatOaChannel,
  envelope: Envelope,
  decision: Extract<Decision, { kind: "ask" }>,
  render: (text: string) => string,
  observe: (request: FastifyRequest, kind: ReplyEvent["kind"], status: number) => void,
  track: (work: Promise<unknown>) => void,
): Promise<FastifyReply> {
  const arrival = (request as Timed)[ARRIVAL] ?? performance.now();
  const waiting = channel.passive.wait(decision.platformId, arrival + channel.settings.replyBudgetMs - performance.now());
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) waiting.abandon();
  });

  let ticket;
  try {
    ticket = await channel.app.core.accept({
      channel: "wechat_oa",
      threadKey: envelope.openid,
      senderKey: envelope.openid,
      platformMessageId: decision.platformId,
      text: decision.text,
      receivedAt: new Date(channel.now()),
    });
  } catch (err) {
    // Not recorded: a 5xx makes WeChat try again.
    waiting.abandon();
    channel.log.error({ err }, "wechat_oa: recording the message failed");
    observe(request, "refused", 500);
    return reply.code(500).type("text/plain").send("error");
  }

  const inboundId = ticket.inboundId;
  const settled = ticket.result
    .then(async ({ outcome }) => {
      if (outcome.outboxId !== null) await channel.delivery.deliverAnswer(outcome.outboxId);
    })
    .catch((err: unknown) => channel.log.error({ err, inboundId }, "wechat_oa: answering failed"))
    .finally(() => waiting.release());
  track(settled);

  const offer = await waiting.answer;
  if (!offer || !(await offer.ready)) {
    offer?.confirm(false);
    observe(request, "ack", 200);
    return ack(reply);
  }
  observe(request, "passive", 200);
  void sendConfirmed(reply, render(offer.text)).then(offer.confirm);
  return reply;
}

/** Sends the body; resolves whether it was handed to the socket before the connection closed. */
function sendConfirmed(reply: FastifyReply, body: string): Promise<boolean> {
  const res = reply.raw;
  // WeChat gave up on this try (its side of the connection is closed): a reply written now
  // would count as delivered and be lost; the caller falls back to a newer try or the API.
  if (res.destroyed || res.writableEnded || res.socket?.readableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    res.once("finish", () => resolve(true));
    res.once("close", () => resolve(res.writableFinished));
    reply.type("application/xml").send(body);
  });
}
