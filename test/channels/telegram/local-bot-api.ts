// A local Telegram Bot API (telegram-test-api) over real HTTP, the clients that play
// residents and lawyers, and a flaky proxy that answers 429 once.

import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { TelegramClient } from "telegram-test-api/lib/modules/telegramClient.js";
import { TelegramServer } from "telegram-test-api/lib/telegramServer.js";

export const TOKEN = "123456:lawdesk-test-token";
/** What telegram-test-api's getMe answers. */
export const BOT = { id: 666, username: "TestNameBot" };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface BotMessage {
  chatId: string;
  messageId: number;
  text: string;
  parseMode?: string;
  buttons: { text: string; data: string }[];
  /** The inline keyboard as sent, rows kept (what Telegram hands back under a pressed button's message). */
  markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
  replyTo?: number;
}

export class LocalBotApi {
  private constructor(readonly server: TelegramServer) {}

  static async start(): Promise<LocalBotApi> {
    const server = new TelegramServer({ port: await freePort(), host: "127.0.0.1", storeTimeout: 600 });
    await server.start();
    return new LocalBotApi(server);
  }

  get url(): string {
    return this.server.config.apiURL;
  }

  client(opts: { userId: number; chatId?: number; name: string; type?: "private" | "group" | "supergroup"; chatTitle?: string }): TelegramClient {
    return this.server.getClient(TOKEN, {
      userId: opts.userId,
      chatId: opts.chatId ?? opts.userId,
      firstName: opts.name,
      userName: `user${opts.userId}`,
      type: opts.type ?? "private",
      chatTitle: opts.chatTitle,
    });
  }

  /** Everything the bot sent, in order; optionally to one chat. */
  sent(chatId?: number | string): BotMessage[] {
    return this.server.storage.botMessages
      .filter((u) => chatId === undefined || String(u.message.chat_id) === String(chatId))
      .map((u) => {
        const m = u.message as Record<string, any>;
        const keyboard = (m.reply_markup?.inline_keyboard ?? []) as { text: string; callback_data: string }[][];
        return {
          chatId: String(m.chat_id),
          messageId: u.messageId,
          text: String(m.text),
          parseMode: m.parse_mode,
          buttons: keyboard.flat().map((b) => ({ text: b.text, data: b.callback_data })),
          markup: m.reply_markup,
          replyTo: m.reply_parameters?.message_id,
        };
      });
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

/** An HTTP proxy to the Bot API that answers the first sendMessage with 429 retry_after. */
export async function floodLimitProxy(target: string, retryAfter = 1): Promise<{ url: string; sendMessageCalls: () => number; limited: () => number; close: () => Promise<void> }> {
  let calls = 0;
  let limited = 0;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (req.url?.endsWith("/sendMessage")) {
      calls += 1;
      if (limited === 0) {
        limited += 1;
        res.writeHead(429, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } }));
        return;
      }
    }
    const upstream = await fetch(target + req.url, {
      method: req.method,
      headers: { "content-type": req.headers["content-type"] ?? "application/json" },
      body: req.method === "GET" ? undefined : body,
    });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    sendMessageCalls: () => calls,
    limited: () => limited,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the bot's keep-alive connections would hold close() open
      }),
  };
}
