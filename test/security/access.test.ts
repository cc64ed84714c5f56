// Who may see what, through the HTTP API (not the UI): a lawyer or supervisor of another
// township can neither read nor act on a referral, before or after it is claimed or closed;
// and one resident can never read another resident's conversation.
// (test/server/console.test.ts already covers view + claim for an unknown-region referral.)

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, waitFor, type TestServer } from "../server/helpers.ts";

let t: TestServer;
let admin: Client;

beforeAll(async () => {
  t = await startTestServer({ logLevel: "warn" });
  admin = new Client(t.base);
  expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
});
afterAll(() => t?.close());

/** A resident of `region` asks for a lawyer; resolves with the resident and the referral id. */
async function referralIn(region: string, text: string): Promise<{ resident: Client; id: string }> {
  const resident = new Client(t.base);
  await resident.get("/api/chat/history");
  const res = await resident.post("/api/chat/messages", { id: `acc-${Math.random().toString(36).slice(2, 12)}`, text, region });
  expect(res.status).toBe(200);
  const row = await waitFor(async () => (await admin.get("/api/console/queue?view=unclaimed")).body.rows.find((r: { summary: string }) => r.summary === text), 10_000, "the referral");
  expect(row.region).toBe(region);
  return { resident, id: row.id };
}

const ACTIONS: [string, unknown][] = [
  ["claim", {}],
  ["reply", { text: "越权回复" }],
  ["notes", { text: "越权备注" }],
  ["close", { outcome: "越权办结" }],
  ["transfer", { to: null, note: "越权转交" }],
  ["reassign", { to: "someone", note: "越权改派" }],
  ["hand-back", {}],
  ["reopen", { reason: "越权重开" }],
];

describe("region scoping of referrals over HTTP", () => {
  test("outsiders get 403 on detail and every action at every stage, and see nothing in their queues", async () => {
    const insider = await createStaff(t, admin, { username: "dong-lawyer", name: "东镇律师", role: "lawyer", regions: ["qinghe.dongzhen"] });
    const outsider = await createStaff(t, admin, { username: "xi-lawyer", name: "西河律师", role: "lawyer", regions: ["qinghe.xihe"] });
    const outsideSupervisor = await createStaff(t, admin, { username: "xi-super", name: "西河督导", role: "supervisor", regions: ["qinghe.xihe"] });
    const { resident, id } = await referralIn("qinghe.dongzhen", "转人工 我家宅基地被邻居占了");

    const probe = async (who: Client, stage: string) => {
      const detail = await who.get(`/api/console/referrals/${id}`);
      expect(detail.status, `${stage}: detail`).toBe(403);
      expect(JSON.stringify(detail.body)).not.toContain("宅基地"); // not even a fragment of the case
      for (const [action, body] of ACTIONS) {
        const res = await who.post(`/api/console/referrals/${id}/${action}`, body);
        expect(res.status, `${stage}: ${action} → ${res.status} ${JSON.stringify(res.body)}`).toBe(403);
      }
      for (const view of ["mine", "unclaimed", "overdue", "closed"]) {
        const q = await who.get(`/api/console/queue?view=${view}`);
        expect(q.status).toBe(200);
        expect(q.body.rows.some((r: { id: string }) => r.id === id), `${stage}: ${view} queue`).toBe(false);
      }
    };

    await probe(outsider.client, "open");
    await probe(outsideSupervisor.client, "open");
    // The failed claims changed nothing: still unowned and open.
    expect((await insider.client.get(`/api/console/referrals/${id}`)).body.referral).toMatchObject({ ownerId: null, status: "open" });

    expect((await insider.client.post(`/api/console/referrals/${id}/claim`)).status).toBe(200);
    expect((await insider.client.post(`/api/console/referrals/${id}/reply`, { text: "请带上宅基地证明来东镇司法所" })).status).toBe(200);
    await probe(outsider.client, "replied");
    await probe(outsideSupervisor.client, "replied");

    expect((await insider.client.post(`/api/console/referrals/${id}/close`, { outcome: "已解答" })).status).toBe(200);
    await probe(outsider.client, "closed");

    // The resident got exactly the insider's reply, nothing from the outsiders.
    const history = (await resident.get("/api/chat/history")).body.messages as { role: string; text: string }[];
    expect(history.filter((m) => m.role === "lawyer").map((m) => m.text)).toEqual(["请带上宅基地证明来东镇司法所"]);
    expect(JSON.stringify(history)).not.toContain("越权");
    // Refusals are audited as nothing: the timeline holds only the insider's work.
    const events = (await admin.get(`/api/console/referrals/${id}`)).body.events as { kind: string; text: string | null }[];
    expect(events.some((e) => (e.text ?? "").includes("越权"))).toBe(false);
  });

  test("a lawyer's own region does not leak other regions' referrals through ids or guessing", async () => {
    const { id } = await referralIn("qinghe.nanling", "转人工 南岭的土地承包纠纷");
    const beipo = await createStaff(t, admin, { username: "bei-lawyer", name: "北坡律师", role: "lawyer", regions: ["qinghe.beipo"] });
    // Case and encoding tricks on the id reach the same check (or no referral at all).
    for (const path of [id, id.toUpperCase(), encodeURIComponent(id), `${id}%00`, `${id}/`, `../referrals/${id}`]) {
      const res = await beipo.client.get(`/api/console/referrals/${path}`);
      expect([403, 404], `${path} → ${res.status}`).toContain(res.status);
      expect(JSON.stringify(res.body)).not.toContain("土地承包");
    }
  });
});

describe("residents are isolated from each other", () => {
  test("no resident reads another's history, by cookie forgery or by reusing message ids", async () => {
    const alice = new Client(t.base);
    await alice.get("/api/chat/history");
    const secret = "我叫王秀英，电话13912345678，老板欠我工资";
    expect((await alice.post("/api/chat/messages", { id: "alice-msg-0001", text: secret })).status).toBe(200);
    const aliceKey = alice.cookie("ld_rk")!;
    const [aliceValue] = aliceKey.split("."); // web-<uuid>.<signature>

    // Bob has his own cookie and sees nothing of Alice's.
    const bob = new Client(t.base);
    expect((await bob.get("/api/chat/history")).body.messages).toEqual([]);
    // The same client message id from Bob is Bob's own message, not Alice's answer.
    const bobSame = await bob.post("/api/chat/messages", { id: "alice-msg-0001", text: "你好" });
    expect(bobSame.body.duplicate).toBe(false);
    expect(JSON.stringify(bobSame.body)).not.toContain("13912345678");

    // Forged cookies: Alice's key unsigned, with a wrong signature, or with a tampered key.
    // The tampered key always differs in its last character (a fixed "0" would equal it one time in 16).
    const tampered = `${aliceValue.slice(0, -1)}${aliceValue.endsWith("0") ? "1" : "0"}`;
    const forged = [aliceValue, `${aliceValue}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`, `${tampered}.${aliceKey.split(".")[1]}`];
    for (const cookie of forged) {
      const res = await fetch(`${t.base}/api/chat/history`, { headers: { cookie: `ld_rk=${cookie}` } });
      const body = await res.text();
      expect(res.status).toBe(200);
      expect(body, cookie).not.toContain("王秀英");
      expect(JSON.parse(body).messages).toEqual([]);
      // …and is handed a fresh identity instead.
      expect(res.headers.getSetCookie().some((c) => c.startsWith("ld_rk=") && !c.startsWith(`ld_rk=${aliceValue}`))).toBe(true);
      const sse = await fetch(`${t.base}/api/chat/events`, { headers: { cookie: `ld_rk=${cookie}` } });
      expect(sse.status).toBe(401);
      await sse.body?.cancel();
    }
    // Alice, with her real cookie, still has her conversation.
    expect((await alice.get("/api/chat/history")).body.messages[0].text).toBe(secret);
  });
});
