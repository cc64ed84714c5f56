// The residents' web chat over HTTP: answers with citations, dedupe by message id, limits,
// history across "reloads", and a lawyer's reply arriving live over SSE.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Client, createStaff, startTestServer, type TestServer, WAGE_QUESTION, waitFor } from "./helpers.ts";

let t: TestServer;
let admin: Client;

beforeAll(async () => {
  t = await startTestServer();
  admin = new Client(t.base);
  await admin.login("admin", "Admin-Passw0rd-2026");
});
afterAll(() => t?.close());

/** Opens the resident's SSE stream and collects its events. */
async function openEvents(c: Client) {
  const controller = new AbortController();
  const res = await fetch(`${t.base}/api/chat/events`, { headers: { cookie: `ld_rk=${c.cookie("ld_rk")}` }, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const events: { event: string; data: unknown }[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) events.push({ event, data: data ? JSON.parse(data) : null });
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return { events, close: () => controller.abort() };
}

describe("web chat", () => {
  test("a question is answered with verbatim citations and kept in the history", async () => {
    const c = new Client(t.base);
    const res = await c.post("/api/chat/messages", { id: "q-0000000001", text: WAGE_QUESTION });
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(false);
    expect(res.body.reply.intent).toBe("legal_question");
    const cite = res.body.reply.citations.find((x: { article: string }) => x.article === "第三十条");
    expect(cite).toMatchObject({ law: "中华人民共和国劳动合同法", status: "现行有效" });
    expect(cite.quote).toContain("用人单位应当按照劳动合同约定和国家规定");
    // The resident cookie is httpOnly and signed.
    expect(c.cookie("ld_rk")).toMatch(/^web-[0-9a-f-]{36}\./);

    const history = await c.get("/api/chat/history");
    expect(history.body.messages.map((m: { role: string }) => m.role)).toEqual(["resident", "bot"]);
    const bot = history.body.messages[1];
    expect(bot.citations.find((x: { article: string }) => x.article === "第三十条").quote).toContain("及时足额支付劳动报酬");

    // Another browser (another resident) sees none of it.
    const other = new Client(t.base);
    expect((await other.get("/api/chat/history")).body.messages).toEqual([]);
  });

  test("an emergency is answered with the safety numbers at once, no statute, and an urgent referral in the queue", async () => {
    const c = new Client(t.base);
    const res = await c.post("/api/chat/messages", { id: "sos-00000001", text: "我妈有老年痴呆 昨天下午出门到现在还没回来" });
    expect(res.status).toBe(200);
    expect(res.body.reply.intent).toBe("emergency");
    expect(res.body.reply.text).toContain("110");
    expect(res.body.reply.text).toMatch(/24小时/); // no waiting 24 hours to report a missing person
    expect(res.body.reply.citations).toEqual([]);
    const rows = await waitFor(async () => {
      const q = await admin.get("/api/console/queue?view=unclaimed");
      return q.body.rows.find((r: { urgency: string; summary: string }) => r.urgency === "emergency" && /走失/.test(r.summary));
    }, 10_000, "the urgent referral");
    expect(rows.reason).toBe("emergency");
  });

  test("a retried or double-clicked message id yields exactly one answer", async () => {
    const c = new Client(t.base);
    await c.get("/api/chat/history"); // the page loads its history first, which sets the resident cookie
    const body = { id: "dup-00000001", text: "没签劳动合同能要双倍工资吗" };
    const [a, b] = await Promise.all([c.post("/api/chat/messages", body), c.post("/api/chat/messages", body)]);
    const again = await c.post("/api/chat/messages", body);
    expect([a.status, b.status, again.status]).toEqual([200, 200, 200]);
    expect([a.body.duplicate, b.body.duplicate].sort()).toEqual([false, true]);
    expect(again.body.duplicate).toBe(true);
    expect(again.body.reply.text).toBe(a.body.reply.text);
    const history = await c.get("/api/chat/history");
    expect(history.body.messages.filter((m: { role: string }) => m.role === "resident")).toHaveLength(1);
    expect(history.body.messages.filter((m: { role: string }) => m.role === "bot")).toHaveLength(1);

    // The same client id from another resident is a different message (ids are per resident).
    const other = new Client(t.base);
    const theirs = await other.post("/api/chat/messages", body);
    expect(theirs.body.duplicate).toBe(false);
  });

  test("empty, oversized and malformed messages are refused in Chinese", async () => {
    const c = new Client(t.base);
    const empty = await c.post("/api/chat/messages", { id: "empty-000001", text: "   " });
    expect(empty.status).toBe(400);
    expect(empty.body.error).toBe("请输入您要咨询的问题");

    const long = await c.post("/api/chat/messages", { id: "long-0000001", text: "欠".repeat(2001) });
    expect(long.status).toBe(413);
    expect(long.body.error).toMatch(/消息过长（最多2000字）/);

    const huge = await c.post("/api/chat/messages", { id: "huge-0000001", text: "欠".repeat(70_000) });
    expect(huge.status).toBe(413);
    expect(huge.body.error).toMatch(/内容过长/);

    const noId = await c.post("/api/chat/messages", { text: "你好" });
    expect(noId.status).toBe(400);
    expect(noId.body.error).toMatch(/消息编号/);

    const badJson = await c.post("/api/chat/messages", "{not json");
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toMatch(/[\u4e00-\u9fa5]/);

    expect((await c.get("/api/chat/history")).body.messages).toEqual([]);
  });

  test("a lawyer's reply reaches the resident's open page live, and the rating closes the loop", async () => {
    const lawyer = await createStaff(t, admin, { username: "wang", name: "王律师", role: "lawyer", regions: ["qinghe"] });
    const resident = new Client(t.base);
    await resident.get("/api/chat/history");
    const live = await openEvents(resident);
    try {
      const asked = await resident.post("/api/chat/messages", { id: "human-000001", text: "转人工" });
      expect(asked.body.reply.escalated).toBe(true);

      const row = await waitFor(async () => (await lawyer.client.get("/api/console/queue?view=mine")).body.rows[0], 10_000, "the referral");
      expect(row.summary).toBe("转人工");
      expect((await lawyer.client.post(`/api/console/referrals/${row.id}/claim`)).status).toBe(200);
      expect((await lawyer.client.post(`/api/console/referrals/${row.id}/reply`, { text: "您好，我是值班律师，请问具体是什么纠纷？" })).status).toBe(200);

      await waitFor(async () => live.events.some((e) => e.event === "update"), 10_000, "the live update");
      const history = await resident.get("/api/chat/history");
      const reply = history.body.messages.find((m: { role: string }) => m.role === "lawyer");
      expect(reply.text).toBe("您好，我是值班律师，请问具体是什么纠纷？");
      expect(history.body.withLawyer).toBe(true);

      // Delivered to an open page: the console shows it as sent.
      const detail = await waitFor(async () => {
        const d = (await lawyer.client.get(`/api/console/referrals/${row.id}`)).body;
        return d.events.find((e: { kind: string; delivery?: string }) => e.kind === "reply" && e.delivery === "sent") ? d : null;
      }, 10_000, "delivery");
      expect(detail.undelivered).toBe(0);

      expect((await lawyer.client.post(`/api/console/referrals/${row.id}/close`, { outcome: "已解答" })).status).toBe(200);
      await waitFor(async () => (await resident.get("/api/chat/history")).body.awaitingRating, 10_000, "the rating request");
      // The web has a rating panel: the request points to it instead of asking for a digit in reply.
      const request = (await resident.get("/api/chat/history")).body.messages.find((m: { ratingRequest?: boolean }) => m.ratingRequest);
      expect(request.text).toMatch(/已办结。请在下方为本次服务打分。$/);
      expect(request.text).not.toMatch(/回复数字/);
      const rated = await resident.post("/api/chat/messages", { id: "rate-0000001", text: "5 很耐心" });
      expect(rated.body.reply.text).toMatch(/感谢您的评价/);
      const after = await waitFor(async () => {
        const d = (await lawyer.client.get(`/api/console/referrals/${row.id}`)).body;
        return d.referral.rating === 5 ? d : null;
      }, 10_000, "the rating");
      expect(after.referral.ratingComment).toBe("很耐心");
      expect((await resident.get("/api/chat/history")).body.awaitingRating).toBe(false);
    } finally {
      live.close();
    }
  });
});
