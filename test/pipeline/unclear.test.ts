// Nonsense and repeated text (issue 14.5): gibberish gets a Simplified Chinese request to
// describe the problem, never a referral; the same message sent again gets a short "已收到"
// and no second escalation. The real answering pipeline over a one-law knowledge base, and
// the real conversation core over a SQLite file, so escalations are counted where they land.

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConversationCore } from "../../src/conversation/core.ts";
import type { Answerer } from "../../src/pipeline/answer.ts";
import { REPEATED_REFERRED, UNCLEAR } from "../../src/pipeline/replies.ts";
import { EMPTY_CONTEXT } from "../../src/pipeline/types.ts";
import { isNonsense, isPinyin } from "../../src/pipeline/unclear.ts";
import { inbound, silentLogger, tempDb, type TempDb } from "../conversation/helpers.ts";
import { labourAnswerer } from "./answerer-fixture.ts";
import { CHANNEL_PROFILES, profileOf } from "../../src/channels/profiles.ts";

let answerer: Answerer;
let close = () => {};

beforeAll(async () => {
  ({ answerer, close } = await labourAnswerer("lawdesk-unclear-"));
}, 120_000);
afterAll(() => close());

const CONSONANTS = "bcdfghjklmnpqrstvwxzBCDFGHJKLMNPQRSTVWXZ";
const mash = fc
  .array(fc.constantFrom(...CONSONANTS.split("")), { minLength: 2, maxLength: 40 })
  .chain((letters) => fc.array(fc.constantFrom(" ", "", "", "", "1", "7", "!", "?", ".", "#", "~"), { minLength: letters.length, maxLength: letters.length }).map((gaps) => letters.map((l, i) => l + gaps[i]).join("")));
const rows = fc.constantFrom("qwertyuiop", "asdfghjkl", "zxcvbnm", "QWERTY", "jkl;", "sdfsdf", "hjkhjk");
const keyboard = fc.array(rows, { minLength: 1, maxLength: 4 }).map((a) => a.join(fc.sample(fc.constantFrom("", " ", "  "), 1)[0]));
const symbols = fc.array(fc.constantFrom(..."0123456789!@#$%^&*()_+-=[]{}|;:,.<>?/~`…—·".split("")), { minLength: 1, maxLength: 30 }).map((a) => a.join(""));
const emoji = fc.array(fc.constantFrom("😀", "😂", "👍", "🙏", "❤️", "🎉", "😭", "🔥", " "), { minLength: 1, maxLength: 12 }).map((a) => a.join(""));
const oneChar = fc.tuple(fc.constantFrom("啊", "哦", "嗯", "哈", "呃", "a", "6"), fc.integer({ min: 3, max: 20 })).map(([c, n]) => c.repeat(n));
const nonsense = fc.oneof(mash, keyboard, symbols, emoji, oneChar).filter((s) => s.trim().length > 0);

const SIMPLIFIED_CHINESE = /^[^A-Za-z]*[\p{Script=Han}][^A-Za-z]*$/u;

describe("nonsense", () => {
  it("property: gibberish gets a Simplified Chinese request to describe the problem, never an escalation", async () => {
    await fc.assert(
      fc.asyncProperty(nonsense, async (text) => {
        const r = await answerer.run(text, { ...EMPTY_CONTEXT }, profileOf("web").format);
        expect(r.escalation, text).toBeNull();
        expect(r.kind).toBe("reply");
        expect(r.text, text).toMatch(SIMPLIFIED_CHINESE);
        expect(r.text).toMatch(/说说您遇到了什么事|说说遇到了什么事|请用文字简单说一下|直接说遇到的事/);
      }),
      { numRuns: 1000 },
    );
  });

  it("real questions are not nonsense, in characters or in pinyin", () => {
    for (const t of ["老板欠我工资", "laoban bu gei wo gongzi zenme ban", "lihun", "工资", "110救命"]) expect(isNonsense(t), t).toBe(false);
    expect(isPinyin("qianzhai")).toBe(true);
    for (const t of ["asdfghjkl", "xkcd qwrt", "hahaha", "!!!???", "123456", "啊啊啊啊", "bv V "]) expect(isNonsense(t), t).toBe(true);
    expect(isPinyin("lvshi")).toBe(true);
    expect(UNCLEAR).toMatch(SIMPLIFIED_CHINESE);
  });
});

describe("in a conversation (real core, SQLite file)", () => {
  let t: TempDb;
  let core: ConversationCore;
  beforeAll(() => {
    t = tempDb();
    core = new ConversationCore({ channels: CHANNEL_PROFILES, store: t.store, pipeline: answerer, log: silentLogger(), rateLimitPerMinute: 1000 });
  });
  afterAll(() => t.cleanup());

  const escalations = (threadKey: string) =>
    (t.db.prepare("SELECT COUNT(*) AS n FROM escalations e JOIN threads th ON th.id = e.thread_id WHERE th.thread_key = ?").get(threadKey) as { n: number }).n;
  const send = async (threadKey: string, text: string) => (await core.receive(inbound({ channel: "web", threadKey, senderKey: threadKey, text }))).outcome.result;

  it("ten different kinds of gibberish from one resident: ten requests to describe the problem, no referral", async () => {
    for (const text of ["asdfgh", "qwerqwer", "😀😀😀", "xzkq vbnm", "?!?!", "jjjjjj", "啊啊啊啊", "kkkk 888", "sdf;lkj", "ZXCVB"]) {
      const r = await send("nonsense-1", text);
      expect(r.escalation, text).toBeNull();
      expect(r.text, text).toMatch(SIMPLIFIED_CHINESE);
    }
    expect(escalations("nonsense-1")).toBe(0);
  });

  it("an unclear question sent five times: referred once, then a short 已收到 without escalating again", async () => {
    const text = "我想问一下我家那个事情到底该咋弄";
    const first = await send("repeat-1", text);
    expect(first.escalation).not.toBeNull();
    for (let i = 0; i < 4; i++) {
      const again = await send("repeat-1", i % 2 ? `${text}？` : ` ${text} `);
      expect(again.escalation).toBeNull();
      expect(again.text).toBe(REPEATED_REFERRED);
    }
    expect(escalations("repeat-1")).toBe(1);
  });

  it("an answered question sent again is answered again (the first may not have arrived), with no referral", async () => {
    const first = await send("repeat-2", "老板欠我三个月工资不给咋办");
    expect(first.escalation).toBeNull();
    expect(first.citations.length).toBeGreaterThan(0);
    const again = await send("repeat-2", "老板欠我三个月工资不给咋办");
    expect(again.escalation).toBeNull();
    expect(again.citations.map((c) => c.articleId)).toEqual(first.citations.map((c) => c.articleId));
    expect(escalations("repeat-2")).toBe(0);
    expect((await send("repeat-2", "单位不签劳动合同能要双倍工资吗")).intent).not.toBe("repeated");
  });

  it("转人工 sent again joins nothing new; an emergency sent again still gets the safety reply", async () => {
    await send("repeat-3", "转人工");
    expect((await send("repeat-3", "转人工")).text).toBe(REPEATED_REFERRED);
    expect(escalations("repeat-3")).toBe(1);
    const help = "救命 他拿刀要砍我";
    await send("repeat-4", help);
    const again = await send("repeat-4", help);
    expect(again.intent).toBe("emergency");
    expect(again.text).toContain("110");
  });
});
