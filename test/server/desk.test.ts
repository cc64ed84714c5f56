// The lawyer's desk and the resident's screen over HTTP (issue 15): one conversation has one
// open referral that later messages join; 转人工 carries the bot's earlier findings; the
// resident sees the referral's number, expected time and state.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer, WAGE_QUESTION, waitFor } from "./helpers.ts";

let t: TestServer;
let admin: Client;
let lawyer: { client: Client; id: string };

beforeAll(async () => {
  t = await startTestServer({ logLevel: "warn" });
  admin = new Client(t.base);
  expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
  lawyer = await createStaff(t, admin, { username: "deskchen", name: "陈律师", role: "lawyer", regions: ["qinghe"] });
});
afterAll(() => t?.close());

let seq = 0;
async function say(resident: Client, text: string) {
  const res = await resident.post("/api/chat/messages", { id: `desk-${Date.now().toString(36)}-${seq++}`, text });
  expect(res.status).toBe(200);
  return res.body;
}

async function newResident(): Promise<Client> {
  const c = new Client(t.base);
  await c.get("/api/chat/history");
  return c;
}

/** The referrals raised for this resident, via the administrator's queue. */
async function referralsOf(text: string) {
  const res = await admin.get("/api/console/queue?view=unclaimed");
  return (res.body.rows as { id: string; summary: string; number: string }[]).filter((r) => r.summary.includes(text));
}

describe("one conversation, one open referral", () => {
  test("a resident escalated for low confidence who then asks for a lawyer joins the open referral", async () => {
    const resident = await newResident();
    await say(resident, "我家的狗咬了邻居的鸡，邻居要我赔一万块钱");
    const [first] = await waitFor(async () => {
      const rows = await referralsOf("狗咬了邻居的鸡");
      return rows.length ? rows : null;
    }, 10_000, "the first referral");
    await say(resident, "我要找律师");
    await say(resident, "邻居说明天就来我家要钱");
    // The lawyer sees both later messages on that referral, once the escalation has been handled.
    const residentTexts = async () => {
      const detail = await lawyer.client.get(`/api/console/referrals/${first.id}`);
      expect(detail.status).toBe(200);
      return (detail.body.events as { kind: string; text: string | null }[]).filter((e) => e.kind === "resident_message").map((e) => e.text);
    };
    const texts = await waitFor(async () => {
      const seen = await residentTexts();
      return seen.includes("我要找律师") && seen.includes("邻居说明天就来我家要钱") && seen;
    }, 10_000, "both later messages on the first referral");
    expect(texts).toContain("我要找律师");
    // Recovery finds nothing left to raise: still the one referral.
    await t.app.core.recover();
    const { threadId } = (await t.app.referrals.getByNumber(first.number, lawyer.id));
    const all = await t.app.sql.all<{ id: string }>("SELECT id FROM referrals WHERE thread_id = ?", [threadId]);
    expect(all).toHaveLength(1);
  });

  test("转人工 after an answered question carries the cited articles into the referral", async () => {
    const resident = await newResident();
    const answer = await say(resident, WAGE_QUESTION);
    expect(answer.reply.citations.length).toBeGreaterThan(0);
    const cited = answer.reply.citations.map((c: { articleId: string }) => c.articleId);
    await say(resident, "转人工");
    const referral = await waitFor(async () => {
      const rows = (await t.app.referrals.queue(lawyer.id, "mine")).filter((r) => r.referral.reason === "asked_human");
      return rows.find((r) => r.referral.findings.articles.some((a) => cited.includes(a.id))) ?? null;
    }, 10_000, "a referral with the earlier findings");
    expect(referral.referral.findings.articles.map((a) => a.id)).toEqual(expect.arrayContaining(cited));
    const detail = await lawyer.client.get(`/api/console/referrals/${referral.referral.id}`);
    expect(detail.body.findings.articles.length).toBeGreaterThan(0);
    expect(detail.body.findings.articles[0].law).toContain("劳动合同法");
  });
});
