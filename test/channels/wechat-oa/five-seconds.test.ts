// The 5-second rule with a held pipeline: the test decides when each answer is ready, and
// fake WeChat drops and retries its requests like the real one. The budget is 300 ms here
// (4.5 s in production) so the timings stay short; WeChat's own deadline is modelled by
// each try's `deadlineMs`.

import { afterEach, describe, expect, it } from "vitest";
import { answer, gate } from "../../conversation/helpers.ts";
import { nextMsgId, textMessage, until, type PushResult } from "./fake-wechat.ts";
import { coreRig, type CoreRig } from "./harness.ts";

let rig: CoreRig;
afterEach(async () => {
  await rig?.close();
});

/** Holds the answer to each question until its gate opens. */
function holdAnswers(r: CoreRig): Map<string, { promise: Promise<void>; open: () => void }> {
  const gates = new Map<string, { promise: Promise<void>; open: () => void }>();
  r.pipeline.behaviour = async (text) => {
    await gates.get(text)?.promise;
    return answer(text);
  };
  return gates;
}

function held(gates: ReturnType<typeof holdAnswers>, text: string) {
  const g = gate();
  gates.set(text, g);
  return g;
}

/** Everything the resident saw for one openid: passive contents plus customer-service messages. */
function answersSeen(r: CoreRig, openid: string, results: PushResult[]): string[] {
  return [...results.map((x) => x.content).filter((c): c is string => c !== null), ...r.wechat.messagesTo(openid).map((m) => m.content)];
}

describe("the 5-second rule", () => {
  it("answer ready within the budget: passive reply, nothing through the customer-service API", async () => {
    rig = await coreRig();
    const r = await rig.wechat.push(textMessage("oFast", "老板欠薪怎么办"));
    expect(r.content).toBe("答复：老板欠薪怎么办");
    expect(r.elapsedMs).toBeLessThan(300);
    await rig.dispatcher.flushAll();
    expect(rig.wechat.messages).toEqual([]);
    const [row] = await rig.db.store.listOutbox({});
    expect(row.status).toBe("sent");
  });

  it("answer too slow, WeChat still waiting: 'success' when the budget ends, then one customer-service message", async () => {
    rig = await coreRig();
    const gates = holdAnswers(rig);
    const g = held(gates, "工伤怎么认定");
    rig.wechat.sendScript.push(40001); // and the cached token has just been revoked
    const r = await rig.wechat.push(textMessage("oSlow", "工伤怎么认定"), { deadlineMs: 5000 });
    expect(r.body).toBe("success");
    expect(r.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(r.elapsedMs).toBeLessThan(1000); // far inside WeChat's 5 s
    expect(rig.wechat.messages).toEqual([]);

    g.open();
    await until(() => rig.wechat.messages.length === 1, 3000, "the customer-service message");
    expect(rig.wechat.messagesTo("oSlow").map((m) => m.content)).toEqual(["答复：工伤怎么认定"]);
    await until(async () => (await rig.db.store.listOutbox({}))[0].status === "sent", 2000, "row sent");
    await rig.settled();
    expect(rig.wechat.messages).toHaveLength(1);
  });

  it("WeChat drops two tries; the answer is ready while the third is open: passive on the third, answered once", async () => {
    rig = await coreRig({ settings: { replyBudgetMs: 1500 } });
    const gates = holdAnswers(rig);
    const g = held(gates, "离婚孩子归谁");
    const msg = textMessage("oRetry", "离婚孩子归谁");
    const results = await rig.wechat.deliver(msg, {
      deadlines: [120, 120, 5000],
      beforeTry: (i) => {
        if (i !== 2) return;
        // Open the gate once the third try has arrived and is the one waiting.
        void until(() => rig.arrivals() === 3 && rig.channel.passive.waitingFor(`${msg.FromUserName}:${msg.MsgId}`) === 1, 3000, "third try waiting").then(g.open);
      },
    });
    expect(results.map((x) => x.timedOut)).toEqual([true, true, false]);
    expect(results[2].content).toBe("答复：离婚孩子归谁");
    expect(rig.pipeline.calls).toHaveLength(1);
    await rig.settled();
    expect(answersSeen(rig, "oRetry", results)).toEqual(["答复：离婚孩子归谁"]);
  });

  it("all three tries dropped: exactly one customer-service message once the answer is ready", async () => {
    rig = await coreRig({ settings: { replyBudgetMs: 2000 } });
    const gates = holdAnswers(rig);
    const g = held(gates, "邻居占我宅基地");
    const msg = textMessage("oDropped", "邻居占我宅基地");
    const results = await rig.wechat.deliver(msg, { deadlines: [80, 80, 80] });
    expect(results.every((x) => x.timedOut)).toBe(true);
    await until(() => rig.channel.passive.waitingFor(`${msg.FromUserName}:${msg.MsgId}`) === 0, 2000, "no try waiting");
    g.open();
    await until(() => rig.wechat.messages.length >= 1, 3000, "the customer-service message");
    await rig.settled();
    expect(answersSeen(rig, "oDropped", results)).toEqual(["答复：邻居占我宅基地"]);
    expect(rig.pipeline.calls).toHaveLength(1);
  });

  it("two tries open at once: the newest carries the answer, the older gets 'success'", async () => {
    rig = await coreRig({ settings: { replyBudgetMs: 2000 } });
    const gates = holdAnswers(rig);
    const g = held(gates, "借条怎么写");
    const msg = textMessage("oTwice", "借条怎么写");
    const first = rig.wechat.push(msg, { deadlineMs: 5000 });
    await until(() => rig.channel.passive.waitingFor(`${msg.FromUserName}:${msg.MsgId}`) === 1, 2000, "first try waiting");
    const second = rig.wechat.push(msg, { deadlineMs: 5000 });
    await until(() => rig.channel.passive.waitingFor(`${msg.FromUserName}:${msg.MsgId}`) === 2, 2000, "second try waiting");
    g.open();
    const results = await Promise.all([first, second]);
    expect(results.map((x) => x.body === "success")).toEqual([true, false]);
    expect(results[1].content).toBe("答复：借条怎么写");
    await rig.settled();
    expect(answersSeen(rig, "oTwice", results)).toHaveLength(1);
  });

  it("a try that arrives after the customer-service send gets 'success' at once and nothing more", async () => {
    rig = await coreRig();
    const gates = holdAnswers(rig);
    const g = held(gates, "交通事故怎么赔");
    const msg = textMessage("oLateTry", "交通事故怎么赔");
    const first = await rig.wechat.push(msg, { deadlineMs: 5000 });
    expect(first.body).toBe("success");
    g.open();
    await until(() => rig.wechat.messages.length === 1, 3000, "the customer-service message");
    const late = await rig.wechat.push(msg);
    expect(late.body).toBe("success");
    expect(late.elapsedMs).toBeLessThan(200);
    await rig.settled();
    expect(rig.wechat.messages).toHaveLength(1);
  });

  it("the budget counts from arrival across many concurrent residents", async () => {
    rig = await coreRig();
    const gates = holdAnswers(rig);
    const slow = Array.from({ length: 10 }, (_, i) => held(gates, `慢问题${i}`));
    const pushes = Array.from({ length: 20 }, (_, i) =>
      rig.wechat.push(textMessage(`oMany${i}`, i < 10 ? `慢问题${i}` : `快问题${i}`), { deadlineMs: 5000 }),
    );
    const results = await Promise.all(pushes);
    for (const [i, r] of results.entries()) {
      expect(r.elapsedMs).toBeLessThan(1000);
      if (i < 10) expect(r.body).toBe("success");
      else expect(r.content).toBe(`答复：快问题${i}`);
    }
    for (const g of slow) g.open();
    await until(() => rig.wechat.messages.length === 10, 5000, "ten customer-service messages");
    expect(new Set(rig.wechat.messages.map((m) => m.touser)).size).toBe(10);
  });
});

describe("long and undeliverable answers", () => {
  it("an answer longer than one WeChat message goes out in parts of at most 2,000 bytes", async () => {
    rig = await coreRig();
    const long = Array.from({ length: 12 }, (_, i) => `第${i + 1}段：${"依法维护劳动者合法权益。".repeat(20)}`).join("\n\n");
    rig.pipeline.behaviour = (text) => answer(text, { text: long, fullText: long });
    const r = await rig.wechat.push(textMessage("oLong", "说详细点"));
    expect(r.body).toBe("success");
    await until(() => rig.wechat.messages.length >= 2, 3000, "the parts");
    await rig.settled();
    for (const m of rig.wechat.messages) expect(Buffer.byteLength(m.content, "utf8")).toBeLessThanOrEqual(2000);
    expect(rig.wechat.messages[0].content.startsWith("第1段")).toBe(true);
  });

  it("without AppSecret a late answer cannot be sent: it is kept as undelivered", async () => {
    rig = await coreRig({ noApi: true });
    const gates = holdAnswers(rig);
    const g = held(gates, "欠钱不还怎么办");
    const r = await rig.wechat.push(textMessage("oNoApi", "欠钱不还怎么办"));
    expect(r.body).toBe("success");
    g.open();
    await until(async () => (await rig.db.store.listOutbox({}))[0]?.status === "undelivered", 3000, "undelivered");
  });

  it("a late answer refused with 45015 waits for the resident's next message", async () => {
    rig = await coreRig();
    const gates = holdAnswers(rig);
    const g = held(gates, "房东不退押金");
    await rig.wechat.push(textMessage("oWindow", "房东不退押金"));
    rig.wechat.windowClosed.add("oWindow");
    g.open();
    await until(async () => (await rig.db.store.listOutbox({}))[0]?.status === "undelivered", 3000, "undelivered");
    rig.wechat.windowClosed.delete("oWindow");
    const next = await rig.wechat.push(textMessage("oWindow", "在吗", nextMsgId()));
    expect(next.content).toBe("答复：在吗");
    await until(() => rig.wechat.messages.length === 1, 3000, "late delivery");
    expect(rig.wechat.messages[0].content).toBe("您有一条回复之前未能送达：\n答复：房东不退押金");
  });
});
