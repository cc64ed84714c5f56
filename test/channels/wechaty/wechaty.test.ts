import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OWNED_NOTICE, RATING_THANKS } from "../../../src/conversation/replies.ts";
import { MORE_HINT } from "../../../src/pipeline/compose.ts";
import { openConsole } from "../console-desk.ts";
import { createTestApp, waitFor, type TestApp } from "./app-fixture.ts";
import { mockWechat, ScanStatus, type ContactMock, type MockWechat, type RoomMock } from "./mock-wechat.ts";

const TOWNSHIP = "qinghe.dongzhen";
const GROUP = "r-dongzhen@chatroom";

let t: TestApp;
let w: MockWechat;
let zhang: ContactMock;
let li: ContactMock;
let room: RoomMock;
let clock: Clock;

/** Real time plus whatever the test skips ahead. */
class Clock {
  private offset = 0;
  readonly now = (): Date => new Date(Date.now() + this.offset);
  advance(ms: number): void {
    this.offset += ms;
  }
}

beforeEach(async () => {
  t = await createTestApp();
  clock = new Clock();
  w = await mockWechat(t, { regions: { 东镇法律服务群: TOWNSHIP }, now: clock.now });
  zhang = w.contact("张三");
  li = w.contact("李四");
  room = w.room(GROUP, "东镇法律服务群", [zhang, li]);
  await w.login();
});

afterEach(async () => {
  await w.stop();
  await t.close();
});

const inbound = () =>
  t.app.sql.all<{ thread_key: string; group_key: string | null; region: string | null; text: string }>(
    "SELECT thread_key, group_key, region, text FROM inbound_messages WHERE channel = 'wechaty' ORDER BY id",
  );

describe("private chat", () => {
  it("answers a resident with the law behind it, once, and ignores its own messages", async () => {
    zhang.say("老板欠我三个月工资不给怎么办").to(w.me);
    const [answer] = await waitFor(() => w.toContact(zhang.id).length > 0 && w.toContact(zhang.id), 5000, "a private answer");
    expect(answer).toContain("《中华人民共和国劳动合同法》第三十条");
    // The bot's own reply reaches its message handler too (msg.self()): it is never taken as a
    // resident's message. A second question is the barrier: once it is answered, the first reply was seen.
    zhang.say("谢谢").to(w.me);
    await waitFor(() => w.toContact(zhang.id).length === 2, 5000, "the second answer");
    await w.settle();
    expect(w.toContact(zhang.id)).toHaveLength(2);
    expect(await inbound()).toEqual([
      { thread_key: `dm:${zhang.id}`, group_key: null, region: null, text: "老板欠我三个月工资不给怎么办" },
      { thread_key: `dm:${zhang.id}`, group_key: null, region: null, text: "谢谢" },
    ]);
  });
});

describe("township group", () => {
  it("answers an @-mention and a trigger word in the group, each member in their own thread with the group's region", async () => {
    zhang.say("@法律助手 老板欠我三个月工资不给怎么办", [w.me]).to(room);
    const [first] = await waitFor(() => w.toRoom(GROUP).length > 0 && w.toRoom(GROUP), 5000, "a group answer");
    expect(first).toContain("张三"); // the member is @-mentioned
    expect(first).toContain("劳动合同法");
    expect(first).not.toContain(MORE_HINT); // "回复【详细】" only works in a group when addressed: the hint says so

    li.say("问：包工头不发工资咋办").to(room);
    await waitFor(() => w.toRoom(GROUP).length === 2, 5000, "a second group answer");
    await w.settle();
    expect(w.toContact(zhang.id)).toEqual([]);

    const rows = await inbound();
    expect(rows.map((r) => [r.thread_key, r.group_key, r.region])).toEqual([
      [`room:${GROUP}:${zhang.id}`, GROUP, TOWNSHIP],
      [`room:${GROUP}:${li.id}`, GROUP, TOWNSHIP],
    ]);
    // The mention and the trigger are not part of the question.
    expect(rows.map((r) => r.text)).toEqual(["老板欠我三个月工资不给怎么办", "包工头不发工资咋办"]);

    const needs = await w.channel.groupNeeds({ from: new Date(Date.now() - 60_000), to: new Date(Date.now() + 60_000) });
    expect(needs).toEqual([
      { groupKey: GROUP, groupName: "东镇法律服务群", region: TOWNSHIP, regionName: "东镇", topic: "labour", topicLabel: expect.any(String), count: 2, sensitive: 0 },
    ]);
  });

  it("never answers chatter, even chatter about the law, unless addressed", async () => {
    zhang.say("今天赶集的人真多").to(room);
    li.say("老板欠我工资不给怎么办").to(room); // a legal question, but not addressed to the assistant
    zhang.say("我也想问：明天几点开会").to(room); // a trigger word, but not at the start
    li.say("@张三 晚上一起吃饭", [zhang]).to(room); // a mention of someone else
    // A last, addressed message: once it is answered, everything before it has been seen.
    zhang.say("@法律助手 你好", [w.me]).to(room);
    await waitFor(() => w.toRoom(GROUP).length > 0, 5000, "the answer to the addressed message");
    await w.settle();
    expect(w.sent()).toHaveLength(1);
    expect((await inbound()).map((r) => r.text)).toEqual(["你好"]);
    // A greeting is not a legal need.
    expect(await w.channel.groupNeeds({ from: new Date(0), to: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it("answers an emergency nobody addressed: safety numbers in the group, the rest privately, an urgent referral", async () => {
    li.say("救命 我男人拿着刀在砍门 我和孩子躲在屋里").to(room); // no @-mention, no trigger word
    const [inGroup] = await waitFor(() => w.toRoom(GROUP).length > 0 && w.toRoom(GROUP), 5000, "the group's safety words");
    const [inPrivate] = await waitFor(() => w.toContact(li.id).length > 0 && w.toContact(li.id), 5000, "the private reply");
    await w.settle();
    expect(inGroup).toContain("110");
    expect(inGroup).not.toContain("砍门"); // the member's words are not repeated to the group
    expect(inPrivate).toContain("110");
    expect(inPrivate).not.toMatch(/第[一二三四五六七八九十百零]+条/);
    const dm = await t.app.conversations.findThread("wechaty", `dm:${li.id}`);
    const referral = await waitFor(() => t.app.referrals.latestForThread(String(dm!.id)), 5000, "the referral");
    expect(referral).toMatchObject({ reason: "emergency", urgency: "emergency", region: TOWNSHIP });
  });

  it("moves a personal matter to a private chat: general words in the group, no personal details, the answer privately", async () => {
    zhang.say("@法律助手 我要离婚，孩子归谁？我电话13812345678", [w.me]).to(room);
    const [inGroup] = await waitFor(() => w.toRoom(GROUP).length > 0 && w.toRoom(GROUP), 5000, "the group note");
    const [inPrivate] = await waitFor(() => w.toContact(zhang.id).length > 0 && w.toContact(zhang.id), 5000, "the private answer");
    await w.settle();

    expect(inGroup).toContain("私聊");
    expect(inGroup).toContain("协商");
    expect(inGroup).not.toContain("13812345678");
    expect(inGroup).not.toContain("离婚，孩子归谁");
    expect(inGroup).toContain("请不要在群里发身份证号、电话");
    expect(w.toRoom(GROUP)).toHaveLength(1);
    // Privately: the core's full reply to the question (whatever the pipeline made of it).
    const dm = await t.app.conversations.findThread("wechaty", `dm:${zhang.id}`);
    const [firstReply] = await t.app.conversations.listOutbox({ threadId: dm!.id });
    expect(inPrivate).toBe(firstReply.text);
    expect(inPrivate.length).toBeGreaterThan(inGroup.length / 2);

    // The private thread carries the question and the group's region; the member continues there.
    zhang.say("那房子怎么分").to(w.me);
    await waitFor(() => w.toContact(zhang.id).length === 2, 5000, "a private follow-up answer");
    await w.settle();
    const thread = await t.app.conversations.findThread("wechaty", `dm:${zhang.id}`);
    expect(thread).toMatchObject({ region: TOWNSHIP, groupKey: null });
    expect(thread!.context).toMatchObject({ turns: 2 });
    const history = await t.app.conversations.listMessages(thread!.id);
    expect(history.filter((m) => m.role === "resident").map((m) => m.text)).toEqual(["我要离婚，孩子归谁？我电话13812345678", "那房子怎么分"]);
    expect(await t.app.conversations.findThread("wechaty", `room:${GROUP}:${zhang.id}`)).toBeUndefined();
    expect(w.toRoom(GROUP)).toHaveLength(1);
    expect(await w.channel.groupNeeds({ from: new Date(0), to: new Date(Date.now() + 60_000) })).toMatchObject([{ topic: "marriage", count: 1, sensitive: 1 }]);
  });

  it("routes a group's referral to its township's duty lawyer, an unmapped group's to the county", async () => {
    const township = await t.addLawyer("wanglv", [TOWNSHIP]);
    const county = await t.addLawyer("zhaolv", ["qinghe"]);
    const other = w.room("r-unmapped@chatroom", "乡亲们聊天群", [li]);

    zhang.say("@法律助手 我要找律师", [w.me]).to(room);
    li.say("@法律助手 我要找律师", [w.me]).to(other);
    await w.settle();

    const fromGroup = await waitFor(async () => t.app.referrals.latestForThread(await threadIdOf(`room:${GROUP}:${zhang.id}`)), 5000, "the township referral");
    expect(fromGroup).toMatchObject({ channel: "wechaty", region: TOWNSHIP, assignedTo: township.id, reason: "asked_human" });
    const unmapped = await waitFor(async () => t.app.referrals.latestForThread(await threadIdOf(`room:r-unmapped@chatroom:${li.id}`)), 5000, "the county referral");
    expect(unmapped).toMatchObject({ region: null, assignedTo: county.id });
  });

  it("delivers the lawyer's reply to the member's private chat, never the group, and takes the rating there", async () => {
    const lawyer = await t.addLawyer("wanglv", [TOWNSHIP]);
    zhang.say("@法律助手 转人工", [w.me]).to(room);
    await w.settle();
    const referral = await waitFor(async () => t.app.referrals.latestForThread(await threadIdOf(`room:${GROUP}:${zhang.id}`)), 5000, "the referral");
    const groupBefore = w.toRoom(GROUP).length;

    await t.app.referrals.claim(referral.id, lawyer.id);
    await t.app.referrals.reply(referral.id, lawyer.id, "您好，我是东镇值班律师。请带上劳动合同和工资条，明天上午到东镇司法所找我。");
    const [reply] = await waitFor(() => w.toContact(zhang.id).length > 0 && w.toContact(zhang.id), 5000, "the lawyer's reply");
    expect(reply).toContain("【律师回复】");
    expect(reply).toContain("明天上午到东镇司法所找我");
    expect(w.toRoom(GROUP)).toHaveLength(groupBefore);
    expect(w.toRoom(GROUP).join("\n")).not.toContain("东镇司法所找我");

    // The member answers privately: it reaches the lawyer's referral, not the bot.
    zhang.say("好的，我明天带材料过去").to(w.me);
    await waitFor(() => w.toContact(zhang.id).includes(OWNED_NOTICE), 5000, "the owned notice");
    const detail = await t.app.referrals.detail(referral.id, lawyer.id);
    expect(detail.events.map((e) => e.kind)).toContain("resident_message");

    // Closing asks for a rating privately; "5" in the private chat rates this referral.
    await t.app.referrals.close(referral.id, lawyer.id, "已当面解答");
    await waitFor(() => w.toContact(zhang.id).some((m) => m.includes("请为本次服务打分")), 5000, "the rating request");
    zhang.say("5").to(w.me);
    await waitFor(() => w.toContact(zhang.id).includes(RATING_THANKS), 5000, "the thanks");
    expect((await t.app.referrals.latestForThread(referral.threadId))?.rating).toBe(5);
    expect(w.toRoom(GROUP)).toHaveLength(groupBefore);
  });

  it("a lawyer's reply posted in the console (the production path) reaches the member privately, and so does the rating request", async () => {
    await t.addLawyer("zhoulv", [TOWNSHIP]);
    const desk = await openConsole(t.app, "zhoulv");
    try {
      zhang.say("@法律助手 转人工", [w.me]).to(room);
      await w.settle();
      const referral = await waitFor(async () => t.app.referrals.latestForThread(await threadIdOf(`room:${GROUP}:${zhang.id}`)), 5000, "the referral");
      const groupBefore = w.toRoom(GROUP).length;
      await desk.reply(referral.id, "您好，我是东镇值班律师，请把欠条拍照发给我。");
      const [reply] = await waitFor(() => w.toContact(zhang.id).length > 0 && w.toContact(zhang.id), 5000, "the lawyer's reply");
      expect(reply).toContain("【律师回复】");
      expect(reply).toContain("请把欠条拍照发给我");
      await desk.close(referral.id, "已解答");
      await waitFor(() => w.toContact(zhang.id).some((m) => m.includes("请为本次服务打分")), 5000, "the rating request");
      expect(w.toRoom(GROUP)).toHaveLength(groupBefore);
    } finally {
      await desk.stop();
    }
  });
});

describe("group events and login", () => {
  it("welcomes a new member once, follows the bot being added and removed, and a renamed group's region", async () => {
    const wang = w.contact("王五");
    room.add(wang).by(zhang);
    await waitFor(() => w.toRoom(GROUP).length === 1, 5000, "a welcome");
    expect(w.toRoom(GROUP)[0]).toContain("欢迎");
    expect(w.toRoom(GROUP)[0]).not.toContain("王五");
    // Leaves and comes back much later: not welcomed again. A newcomer then is.
    clock.advance(10 * 60_000);
    room.remove(wang).by(zhang);
    room.add(wang).by(zhang);
    room.add(w.contact("赵六")).by(zhang);
    await waitFor(() => w.toRoom(GROUP).length === 2, 5000, "the newcomer's welcome");
    await w.settle();
    expect(w.toRoom(GROUP)).toHaveLength(2);

    // Renamed to a village's group name: the region follows the mapping of the new name.
    const w2 = w.channel;
    room.topic("李家村普法群").by(zhang);
    const renamed = await waitFor(async () => (await w2.listGroups()).find((g) => g.groupKey === GROUP && g.name === "李家村普法群"), 5000, "the rename");
    expect(renamed.region).toBeNull();

    const other = w.mocker.createRoom({ id: "r-new@chatroom", topic: "东镇法律服务群", memberIdList: [zhang.id] });
    other.add(w.me).by(zhang);
    await waitFor(() => w.toRoom("r-new@chatroom").length === 1, 5000, "the introduction");
    expect(w.toRoom("r-new@chatroom")[0]).toContain("@我");
    expect((await w2.listGroups()).find((g) => g.groupKey === "r-new@chatroom")).toMatchObject({ active: true, region: TOWNSHIP });
    other.remove(w.me).by(zhang);
    await waitFor(async () => (await w2.listGroups()).find((g) => g.groupKey === "r-new@chatroom" && !g.active), 5000, "the group marked left");
  });

  it("keeps the login QR for the console until the account logs in", async () => {
    const t2 = await createTestApp();
    const w2 = await mockWechat(t2);
    try {
      expect(w2.channel.currentQr()).toBeNull();
      w2.mocker.scan("https://login.weixin.qq.com/l/lawdesk-test", ScanStatus.Waiting);
      await waitFor(() => w2.channel.currentQr(), 5000, "the QR");
      expect(w2.channel.currentQr()).toMatchObject({ qrcode: "https://login.weixin.qq.com/l/lawdesk-test", status: "waiting" });
      expect(w2.qrArt()).toContain("█"); // drawn in the terminal
      await w2.login();
      expect(w2.channel.currentQr()).toBeNull();
      expect(await w2.channel.status()).toMatchObject({ loggedIn: true, account: "法律助手" });
    } finally {
      await w2.stop();
      await t2.close();
    }
  });
});

async function threadIdOf(threadKey: string): Promise<string> {
  const row = await t.app.conversations.findThread("wechaty", threadKey);
  return row ? String(row.id) : "none";
}
