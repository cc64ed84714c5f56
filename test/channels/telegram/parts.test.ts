import fc from "fast-check";
import type { Message, UserFromGetMe } from "grammy/types";
import { describe, expect, it } from "vitest";
import { addressedText } from "../../../src/channels/telegram/updates.ts";
import { afterOneTimePress, answerKeyboard, decodeCallback, encodeCallback, escapeHtml, toHtmlMessages } from "../../../src/channels/telegram/format.ts";
import { retryAfterFloodLimit } from "../../../src/channels/telegram/retry.ts";

const unescape = (html: string) => html.replace(/<\/?b>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

describe("Telegram text", () => {
  it("escapes every HTML special character and bolds only a leading 【title】", () => {
    expect(toHtmlMessages("【工资 & 加班】\n\n老板说<明天>再给")).toEqual(["<b>【工资 &amp; 加班】</b>\n\n老板说&lt;明天&gt;再给"]);
    expect(escapeHtml("a<b>&c")).toBe("a&lt;b&gt;&amp;c");
  });

  it("splits long answers at paragraph boundaries within the limit, losing nothing", () => {
    const paragraph = fc.string({ unit: fc.constantFrom("法", "律", "<", "&", ">", "a", " ", "\n"), minLength: 1, maxLength: 300 }).filter((p) => !p.includes("\n\n") && p.trim() === p && p.length > 0);
    fc.assert(
      fc.property(fc.array(paragraph, { minLength: 1, maxLength: 30 }), (paras) => {
        const text = paras.join("\n\n");
        const parts = toHtmlMessages(text, 500);
        for (const p of parts) expect([...unescape(p)].length).toBeLessThanOrEqual(500);
        // Every paragraph shorter than the limit arrives whole, in order.
        expect(parts.map(unescape).join("\n\n")).toBe(text);
      }),
      { numRuns: 10_000 },
    );
  });

  it("keeps a 9,000-character answer within Telegram's 4,096 characters per message", () => {
    const text = Array.from({ length: 30 }, (_, i) => `第${i + 1}段：${"劳动者可以依法申请劳动仲裁。".repeat(20)}`).join("\n\n");
    const parts = toHtmlMessages(text);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(unescape(p).length).toBeLessThanOrEqual(4096);
    for (const p of parts) expect(p.startsWith("第")).toBe(true);
  });

  it("round-trips button data within 64 bytes and refuses anything else", () => {
    const id = "0b8e6c1e-0d5c-4c7e-9a44-2f1c3e5b7a90";
    for (const a of [
      { kind: "more", offer: "statutes", askerId: 7_123_456_789 },
      { kind: "more", offer: "detail", askerId: 42 },
      { kind: "feedback", value: "human", askerId: 7_123_456_789 },
      { kind: "rate", stars: 5, askerId: 42 },
      { kind: "claim", referralId: id },
    ] as const) {
      const data = encodeCallback(a);
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(decodeCallback(data)).toEqual(a);
    }
    expect(decodeCallback("rate:9:1")).toBeNull();
    expect(decodeCallback("claim:'; DROP TABLE")).toBeNull();
  });
});

describe("answer keyboards", () => {
  it("puts the offers of more above feedback, and keeps only them once a one-time button was pressed", () => {
    const full = answerKeyboard(7, ["detail", "statutes"], true)!;
    expect(full.inline_keyboard.map((row) => row.map((b) => b.text))).toEqual([["📄 详细内容", "📜 法条原文"], ["👍 有帮助", "👎 没帮助", "🧑‍⚖️ 转人工"]]);
    expect(afterOneTimePress(full).inline_keyboard).toEqual([full.inline_keyboard[0]]);
    expect(answerKeyboard(7, ["detail"], false)!.inline_keyboard.map((row) => row.length)).toEqual([1]);
    expect(answerKeyboard(7, [], true)!.inline_keyboard.map((row) => row.length)).toEqual([3]);
    expect(answerKeyboard(7, [], false)).toBeNull();
    expect(afterOneTimePress(undefined)).toEqual({ inline_keyboard: [] });
  });
});

describe("group addressing", () => {
  const me = { id: 666, username: "LawdeskBot", is_bot: true, first_name: "法律助手" } as UserFromGetMe;
  const msg = (text: string, extra: Partial<Message> = {}) => ({ message_id: 1, date: 0, chat: { id: -1, type: "group", title: "g" }, text, ...extra }) as Message;

  it("takes a mention of the bot or a reply to it, and nothing else", () => {
    expect(addressedText(msg("@LawdeskBot 老板欠薪咋办", { entities: [{ type: "mention", offset: 0, length: 11 }] }), me)).toBe("老板欠薪咋办");
    expect(addressedText(msg("请问 @lawdeskbot 欠薪", { entities: [{ type: "mention", offset: 3, length: 11 }] }), me)).toBe("请问  欠薪");
    expect(addressedText(msg("那要多久", { reply_to_message: { message_id: 9, date: 0, chat: { id: -1, type: "group", title: "g" }, from: { id: 666, is_bot: true, first_name: "b" } } as Message["reply_to_message"] }), me)).toBe("那要多久");
    expect(addressedText(msg("@SomeoneElse 吃了吗", { entities: [{ type: "mention", offset: 0, length: 12 }] }), me)).toBeNull();
    expect(addressedText(msg("老板欠我工资不给怎么办"), me)).toBeNull();
  });
});

describe("flood-limit retries", () => {
  const tooMany = (retry_after: number) => ({ ok: false as const, error_code: 429, description: "Too Many Requests", parameters: { retry_after } });

  it("sleeps retry_after seconds between tries and gives up after maxRetries", async () => {
    const slept: number[] = [];
    let tries = 0;
    const transformer = retryAfterFloodLimit({ maxRetries: 2, sleep: async (ms) => void slept.push(ms) });
    const prev = (async () => {
      tries += 1;
      return tooMany(3);
    }) as never;
    const res = await transformer(prev, "sendMessage", { chat_id: 1, text: "x" } as never);
    expect(res).toMatchObject({ ok: false, error_code: 429 });
    expect(tries).toBe(3);
    expect(slept).toEqual([3000, 3000]);
  });

  it("does not sit out a wait longer than maxWaitSeconds, nor retry other errors", async () => {
    const slept: number[] = [];
    const transformer = retryAfterFloodLimit({ maxWaitSeconds: 30, sleep: async (ms) => void slept.push(ms) });
    expect(await transformer((async () => tooMany(120)) as never, "sendMessage", {} as never)).toMatchObject({ error_code: 429 });
    expect(await transformer((async () => ({ ok: false, error_code: 403, description: "Forbidden" })) as never, "sendMessage", {} as never)).toMatchObject({ error_code: 403 });
    expect(slept).toEqual([]);
  });
});
