import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramChannel } from "../../../src/channels/telegram/channel.ts";
import { ONLY_ASKER, START_TEXT, RESET_DONE } from "../../../src/channels/telegram/texts.ts";
import { RATING_THANKS } from "../../../src/conversation/replies.ts";
import { openConsole } from "../console-desk.ts";
import { createTestApp, waitFor, type TestApp } from "../wechaty/app-fixture.ts";
import { BOT, floodLimitProxy, LocalBotApi, TOKEN } from "./local-bot-api.ts";

const LAWYERS_CHAT = -100200;
const RESIDENT = 101;

let api: LocalBotApi;
let t: TestApp;
let channel: TelegramChannel;
/** Every Bot API call the channel made, with its payload (the local API keeps no record of answerCallbackQuery). */
let calls: { method: string; payload: Record<string, any> }[];

async function startChannel(apiRoot: string, extra: Record<string, string> = {}): Promise<void> {
  t = await createTestApp({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: apiRoot, TELEGRAM_LAWYERS_CHAT_ID: String(LAWYERS_CHAT), ...extra });
  channel = new TelegramChannel({ app: t.app });
  calls = [];
  channel.bot.api.config.use((prev, method, payload, signal) => {
    calls.push({ method, payload: payload as Record<string, any> });
    return prev(method, payload, signal);
  });
  await channel.start();
}

beforeEach(async () => {
  api = await LocalBotApi.start();
});

afterEach(async () => {
  await channel?.stop();
  await t?.close();
  await api.stop();
});

const resident = () => api.client({ userId: RESIDENT, name: "张三" });

async function ask(text: string): Promise<void> {
  const c = resident();
  await c.sendMessage(c.makeMessage(text));
}

/** Waits for the n-th message the bot sends to a chat. */
const nth = (chatId: number, n: number, what = `message ${n} to ${chatId}`) => waitFor(() => api.sent(chatId)[n - 1], 8000, what);

describe("residents on Telegram", () => {
  beforeEach(() => startChannel(api.url));

  it("greets on /start and answers a question in HTML with 【详细】【法条】 and feedback buttons", async () => {
    const c = resident();
    await c.sendCommand(c.makeCommand("/start"));
    expect((await nth(RESIDENT, 1)).text).toBe(START_TEXT);

    await ask("老板欠我三个月工资不给怎么办？<急>");
    const answer = await nth(RESIDENT, 2, "the answer");
    expect(answer.parseMode).toBe("HTML");
    expect(answer.text).toContain("《中华人民共和国劳动合同法》第三十条");
    expect(answer.text).toMatch(/^<b>【[^】]+】<\/b>/);
    // The offers of more are buttons, so the text no longer words them.
    expect(answer.text).not.toContain("回复【详细】");
    expect(answer.text).not.toContain("回复【法条】");
    const sent = calls.filter((x) => x.method === "sendMessage").at(-1)!;
    expect(sent.payload.reply_markup.inline_keyboard).toEqual([
      [
        { text: "📄 详细内容", callback_data: `more:detail:${RESIDENT}` },
        { text: "📜 法条原文", callback_data: `more:statutes:${RESIDENT}` },
      ],
      [
        { text: "👍 有帮助", callback_data: `fb:up:${RESIDENT}` },
        { text: "👎 没帮助", callback_data: `fb:down:${RESIDENT}` },
        { text: "🧑‍⚖️ 转人工", callback_data: `fb:human:${RESIDENT}` },
      ],
    ]);

    // 有帮助 is feedback on the answer, through the core; the feedback row goes, the offers stay.
    await c.sendCallback(c.makeCallbackQuery(`fb:up:${RESIDENT}`, { message: { message_id: answer.messageId, reply_markup: answer.markup } }));
    await nth(RESIDENT, 3, "the reply to the feedback");
    const rows = await t.app.sql.all<{ text: string }>("SELECT text FROM inbound_messages WHERE channel = 'telegram' ORDER BY id");
    expect(rows.map((r) => r.text)).toEqual(["老板欠我三个月工资不给怎么办？<急>", "有用"]);
    const edit = calls.find((x) => x.method === "editMessageReplyMarkup" && x.payload.message_id === answer.messageId);
    expect(edit?.payload.reply_markup.inline_keyboard).toEqual([sent.payload.reply_markup.inline_keyboard[0]]);
  });

  it("the 【详细】 and 【法条】 buttons answer the callback and reply as if the resident had typed them", async () => {
    const c = resident();
    await ask("老板欠我三个月工资不给怎么办");
    const answer = await nth(RESIDENT, 1, "the answer");
    const press = async (data: string) => {
      const before = calls.length;
      await c.sendCallback(c.makeCallbackQuery(data, { message: { message_id: answer.messageId, reply_markup: answer.markup } }));
      return waitFor(() => calls.slice(before).find((x) => x.method === "answerCallbackQuery"), 8000, `the answer to ${data}`);
    };

    const detailAck = await press(`more:detail:${RESIDENT}`);
    expect(detailAck.payload.callback_query_id).toBeTruthy();
    const detail = await nth(RESIDENT, 2, "the detail page");
    // The next page of the full answer: what typing 详细 gives.
    const thread = (await t.app.conversations.findThread("telegram", `chat:${RESIDENT}`))!;
    expect(thread.context.lastDetailPart).toBe(1);
    expect(detail.text).toContain("劳动合同法");

    const lawAck = await press(`more:statutes:${RESIDENT}`);
    expect(lawAck.payload.callback_query_id).toBeTruthy();
    const law = await nth(RESIDENT, 3, "the statutes' text");
    expect(law.text).toMatch(/《中华人民共和国劳动合同法》第三十条（[^）]+）\n/);

    await channel.idle();
    const rows = await t.app.sql.all<{ text: string; platform_message_id: string }>("SELECT text, platform_message_id FROM inbound_messages WHERE channel = 'telegram' ORDER BY id");
    expect(rows.map((r) => r.text)).toEqual(["老板欠我三个月工资不给怎么办", "详细", "法条"]);
    expect(rows.slice(1).every((r) => r.platform_message_id.startsWith("cb:"))).toBe(true);
    // The offers may be pressed again: no press removed them.
    expect(calls.some((x) => x.method === "editMessageReplyMarkup")).toBe(false);
  });

  it("only the asker may press an answer's 【详细】 in a group", async () => {
    const group = api.client({ userId: 102, chatId: -300, name: "李四", type: "supergroup", chatTitle: "东镇乡亲群" });
    const mention = `@${BOT.username}`;
    await group.sendMessage(group.makeMessage(`${mention} 老板欠我工资不给怎么办`, { entities: [{ type: "mention", offset: 0, length: mention.length }] }));
    const answer = await nth(-300, 1, "the group answer");
    expect(answer.buttons[0]).toEqual({ text: "📄 详细内容", data: "more:detail:102" });
    const other = api.client({ userId: 103, chatId: -300, name: "王五", type: "supergroup", chatTitle: "东镇乡亲群" });
    await other.sendCallback(other.makeCallbackQuery("more:detail:102", { message: { message_id: answer.messageId, reply_markup: answer.markup } }));
    const refusal = await waitFor(() => calls.find((x) => x.method === "answerCallbackQuery"), 8000, "the refusal");
    expect(refusal.payload.text).toBe(ONLY_ASKER);
    await channel.idle();
    expect(await t.app.sql.all("SELECT text FROM inbound_messages ORDER BY id")).toEqual([{ text: "老板欠我工资不给怎么办" }]);
  });

  it("an emergency gets the safety reply at once, no statute, and an urgent referral", async () => {
    await ask("他喝醉了又在打我 我躲在厕所里");
    const reply = await nth(RESIDENT, 1, "the safety reply");
    expect(reply.text).toContain("110");
    expect(reply.text).not.toMatch(/第[一二三四五六七八九十百零]+条/);
    const thread = await waitFor(() => t.app.conversations.findThread("telegram", `chat:${RESIDENT}`), 5000, "the thread");
    const referral = await waitFor(() => t.app.referrals.latestForThread(String(thread.id)), 5000, "the referral");
    expect(referral).toMatchObject({ channel: "telegram", reason: "emergency", urgency: "emergency" });
    expect(referral!.summary).toMatch(/暴力/);
  });

  it("/human hands the thread to a duty lawyer", async () => {
    const c = resident();
    await c.sendCommand(c.makeCommand("/human"));
    expect((await nth(RESIDENT, 1)).text).toContain("已转给值班律师");
    const thread = await waitFor(() => t.app.conversations.findThread("telegram", `chat:${RESIDENT}`), 5000, "the thread");
    const referral = await waitFor(() => t.app.referrals.latestForThread(String(thread.id)), 5000, "the referral");
    expect(referral).toMatchObject({ channel: "telegram", reason: "asked_human", residentKey: String(RESIDENT) });
  });

  it("a lawyer's reply posted in the console (the production path) reaches the resident, then the rating buttons", async () => {
    await t.addLawyer("tglawyer", ["qinghe"]);
    const desk = await openConsole(t.app, "tglawyer");
    try {
      const c = resident();
      await c.sendCommand(c.makeCommand("/human"));
      await nth(RESIDENT, 1, "the hand-over notice");
      const thread = await waitFor(() => t.app.conversations.findThread("telegram", `chat:${RESIDENT}`), 5000, "the thread");
      const referral = await waitFor(() => t.app.referrals.latestForThread(String(thread.id)), 5000, "the referral");
      await desk.reply(referral.id, "您好，我是值班律师，请问工资拖欠了几个月？");
      const reply = await nth(RESIDENT, 2, "the lawyer's reply");
      expect(reply.text).toContain("【律师回复】");
      expect(reply.text).toContain("请问工资拖欠了几个月？");
      await desk.close(referral.id, "已电话解答");
      const ask5 = await nth(RESIDENT, 3, "the rating request");
      expect(ask5.text).toContain("请为本次服务打分");
      expect(ask5.buttons.map((b) => b.data)).toEqual([1, 2, 3, 4, 5].map((n) => `rate:${n}:${RESIDENT}`));
    } finally {
      await desk.stop();
    }
  });

  it("/reset clears the thread's context", async () => {
    await ask("老板欠我工资不给怎么办");
    await nth(RESIDENT, 1);
    await channel.idle();
    const c = resident();
    await c.sendCommand(c.makeCommand("/reset"));
    expect((await nth(RESIDENT, 2)).text).toBe(RESET_DONE);
    const thread = await t.app.conversations.findThread("telegram", `chat:${RESIDENT}`);
    expect(thread?.context).toMatchObject({ lastTopic: null, turns: 0 });
  });

  it("answers in a group only when mentioned or replied to, replying to the member's message", async () => {
    const group = api.client({ userId: 102, chatId: -300, name: "李四", type: "supergroup", chatTitle: "东镇乡亲群" });
    await group.sendMessage(group.makeMessage("老板欠我工资不给怎么办"));
    const mention = `@${BOT.username}`;
    await group.sendMessage(group.makeMessage(`${mention} 老板欠我工资不给怎么办`, { entities: [{ type: "mention", offset: 0, length: mention.length }] }));
    const answer = await nth(-300, 1, "the group answer");
    expect(answer.text).toContain("劳动合同法");
    expect(answer.replyTo).toBeGreaterThan(0);
    await channel.idle();
    const rows = await t.app.sql.all("SELECT thread_key, group_key, text FROM inbound_messages ORDER BY id");
    expect(rows).toEqual([{ thread_key: "group:-300:102", group_key: "-300", text: "老板欠我工资不给怎么办" }]);
  });

  it("hands the thread to the lawyers' group; a linked lawyer claims it and answers by replying to the post", async () => {
    const lawyer = await t.addLawyer("wanglv", ["qinghe"]);
    const rival = await t.addLawyer("zhaolv", ["qinghe"]);
    const unlinked = api.client({ userId: 503, chatId: LAWYERS_CHAT, name: "孙律师", type: "supergroup", chatTitle: "律师群" });
    const inGroup = api.client({ userId: 501, chatId: LAWYERS_CHAT, name: "王律师", type: "supergroup", chatTitle: "律师群" });

    // The lawyer links their Telegram account with the one-time code the console shows.
    const { code } = await channel.createLinkCode(lawyer.id);
    const privately = api.client({ userId: 501, name: "王律师" });
    await privately.sendCommand(privately.makeCommand(`/link ${code}`));
    expect((await nth(501, 1)).text).toContain("已绑定值班账号：wanglv律师");
    expect(await channel.store.userFor(501)).toBe(lawyer.id);

    // The resident asks, then presses 转人工 under the answer.
    await ask("老板欠我三个月工资不给怎么办");
    const answer = await nth(RESIDENT, 1, "the answer");
    const c = resident();
    await c.sendCallback(c.makeCallbackQuery(`fb:human:${RESIDENT}`, { message: { message_id: answer.messageId } }));
    expect((await nth(RESIDENT, 2, "the hand-over notice")).text).toContain("值班律师");

    // The referral appears in the lawyers' group with a 认领 button.
    const post = await nth(LAWYERS_CHAT, 1, "the referral post");
    const referral = (await t.app.referrals.latestForThread(String((await t.app.conversations.findThread("telegram", `chat:${RESIDENT}`))!.id)))!;
    expect(post.text).toContain(referral.number);
    expect(post.text).toContain("工资");
    expect(post.buttons).toEqual([{ text: "认领", data: `claim:${referral.id}` }]);

    // Someone not linked to a console account cannot claim.
    await unlinked.sendCallback(unlinked.makeCallbackQuery(`claim:${referral.id}`, { message: { message_id: post.messageId } }));
    const refusal = await waitFor(() => calls.find((x) => x.method === "answerCallbackQuery" && /link/.test(x.payload.text ?? "")), 8000, "the refusal");
    expect(refusal.payload.show_alert).toBe(true);

    // The console and Telegram claim at the same moment: exactly one wins, the other is told who.
    const consoleClaim = t.app.referrals.claim(referral.id, rival.id).then(
      () => "won",
      (e: Error) => e.message,
    );
    const seen = calls.length;
    await inGroup.sendCallback(inGroup.makeCallbackQuery(`claim:${referral.id}`, { message: { message_id: post.messageId } }));
    const telegramAnswer = await waitFor(() => calls.slice(seen).find((x) => x.method === "answerCallbackQuery"), 8000, "the claim answer");
    const consoleResult = await consoleClaim;
    const owner = (await t.app.referrals.latestForThread(referral.threadId))!.ownerId;
    if (owner === lawyer.id) {
      expect(telegramAnswer.payload.text).toContain("认领成功");
      expect(consoleResult).toBe("该工单已由wanglv律师认领");
    } else {
      expect(owner).toBe(rival.id);
      expect(consoleResult).toBe("won");
      expect(telegramAnswer.payload.text).toBe("该工单已由zhaolv律师认领");
      // Hand it over so the Telegram lawyer can carry on with the rest of the story.
      await t.app.referrals.transfer(referral.id, rival.id, { to: lawyer.id, note: "转给王律师" });
      await t.app.referrals.claim(referral.id, lawyer.id);
    }

    // Replying to the post answers the resident.
    await inGroup.sendMessage(
      inGroup.makeMessage("您好，我是值班律师。请带上劳动合同和工资条，明天上午到东镇司法所找我。", {
        reply_to_message: { message_id: post.messageId, chat: { id: LAWYERS_CHAT, type: "supergroup", title: "律师群" }, date: 0, from: { id: BOT.id, is_bot: true, first_name: "Bot" } },
      } as never),
    );
    const delivered = await waitFor(() => api.sent(RESIDENT).find((m) => m.text.includes("明天上午到东镇司法所找我")), 8000, "the lawyer's reply");
    expect(delivered.text).toContain("【律师回复】");
    await waitFor(() => api.sent(LAWYERS_CHAT).find((m) => m.text.includes("已发送给居民")), 8000, "the confirmation");

    // "/close …" as a reply closes it; the resident gets rating buttons and rates 5.
    await inGroup.sendMessage(
      inGroup.makeMessage("/close 已电话解答", {
        reply_to_message: { message_id: post.messageId, chat: { id: LAWYERS_CHAT, type: "supergroup", title: "律师群" }, date: 0, from: { id: BOT.id, is_bot: true, first_name: "Bot" } },
      } as never),
    );
    const ask5 = await waitFor(() => api.sent(RESIDENT).find((m) => m.text.includes("请为本次服务打分")), 8000, "the rating request");
    expect(ask5.buttons.map((b) => b.data)).toEqual([1, 2, 3, 4, 5].map((n) => `rate:${n}:${RESIDENT}`));
    await c.sendCallback(c.makeCallbackQuery(`rate:5:${RESIDENT}`, { message: { message_id: ask5.messageId } }));
    await waitFor(() => api.sent(RESIDENT).find((m) => m.text === RATING_THANKS), 8000, "the thanks");
    expect((await t.app.referrals.latestForThread(referral.threadId))?.rating).toBe(5);
  });
});

describe("flood limits", () => {
  let proxy: Awaited<ReturnType<typeof floodLimitProxy>>;
  beforeEach(async () => {
    proxy = await floodLimitProxy(api.url, 1);
    await startChannel(proxy.url);
  });
  afterEach(async () => {
    await channel.stop();
    await proxy.close();
  });

  it("waits out a 429 retry_after and then delivers, once", async () => {
    const started = Date.now();
    await ask("老板欠我工资不给怎么办");
    const answer = await nth(RESIDENT, 1, "the answer after the flood limit");
    expect(answer.text).toContain("劳动合同法");
    expect(proxy.limited()).toBe(1);
    expect(proxy.sendMessageCalls()).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // One outbox attempt: the wait happened inside it, not as a failed delivery retried later.
    const row = await waitFor(() => t.app.sql.get("SELECT status, attempts FROM outbox WHERE channel = 'telegram' AND status = 'sent'"), 5000, "the row marked sent");
    expect(row).toEqual({ status: "sent", attempts: 1 });
    expect(api.sent(RESIDENT)).toHaveLength(1);
  });
});

describe("webhook mode", () => {
  it("accepts updates only with the secret token, and answers them", async () => {
    const Fastify = (await import("fastify")).default;
    t = await createTestApp({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: api.url, TELEGRAM_WEBHOOK_URL: "https://lawdesk.example.gov.cn/telegram/hook", TELEGRAM_WEBHOOK_SECRET: "s3cret-token" });
    channel = new TelegramChannel({ app: t.app });
    t.app.dispatcher.register(channel);
    expect(channel.webhookPath).toBe("/telegram/hook");
    const server = Fastify();
    server.post(channel.webhookPath!, channel.webhookHandler());
    const update = {
      update_id: 1,
      message: { message_id: 5, date: Math.floor(Date.now() / 1000), chat: { id: RESIDENT, type: "private", first_name: "张三" }, from: { id: RESIDENT, is_bot: false, first_name: "张三" }, text: "老板欠我工资不给怎么办" },
    };
    try {
      const refused = await server.inject({ method: "POST", url: "/telegram/hook", payload: update, headers: { "x-telegram-bot-api-secret-token": "wrong" } });
      expect(refused.statusCode).toBe(401);
      expect(await t.app.sql.get("SELECT COUNT(*) AS n FROM inbound_messages")).toEqual({ n: 0 });

      const ok = await server.inject({ method: "POST", url: "/telegram/hook", payload: update, headers: { "x-telegram-bot-api-secret-token": "s3cret-token" } });
      expect(ok.statusCode).toBe(200);
      expect((await nth(RESIDENT, 1, "the answer to the webhook update")).text).toContain("劳动合同法");
      // Telegram retries an update it thinks failed: the same update is answered once.
      await server.inject({ method: "POST", url: "/telegram/hook", payload: update, headers: { "x-telegram-bot-api-secret-token": "s3cret-token" } });
      await channel.idle();
      await t.app.dispatcher.flushAll();
      expect(api.sent(RESIDENT)).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
