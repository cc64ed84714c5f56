// Random and hostile requests over real HTTP against the web chat JSON API and the console's
// forms and JSON APIs: always a clear 4xx (JSON {error, code}) or a 200, never a 5xx, and
// the server keeps serving. 10,000 cases per property, each a real loopback round trip
// (about 70 s for the file on 2 cores; PROPERTY_HTTP_RUNS to change it while developing).

import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN_PASSWORD, Client, startTestServer, type TestServer } from "../server/helpers.ts";

const RUNS = Number(process.env.PROPERTY_HTTP_RUNS ?? 10_000);
// Ten thousand round trips take tens of seconds, more on a loaded CI machine.
vi.setConfig({ testTimeout: 600_000 });

let t: TestServer;
let admin: Client;
let referralId: string;

beforeAll(async () => {
  // Generous per-IP limits: every case comes from 127.0.0.1, and 429 is not what is under test.
  t = await startTestServer({ logLevel: "silent", chatRateLimit: { max: 1_000_000, timeWindow: 60_000 }, loginRateLimit: { max: 1_000_000, timeWindow: 60_000 } });
  admin = new Client(t.base);
  expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
  const r = new Client(t.base);
  await r.post("/api/chat/messages", { id: "prop-escalate-1", text: "转人工" });
  for (let i = 0; i < 100 && !referralId; i++) {
    referralId = (await admin.get("/api/console/queue?view=unclaimed")).body.rows[0]?.id;
    if (!referralId) await new Promise((res) => setTimeout(res, 50));
  }
  expect(referralId).toBeTruthy();
});
afterAll(() => t?.close());

const jsonValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
  fc.constantFrom("__proto__", "constructor", "", " ", "\u0000", "😀".repeat(600), "第三十条", "转人工", "<script>alert(1)</script>", "' OR 1=1 --"),
);

/** A body: a JSON object with the expected keys holding anything, or raw junk. */
const body = (keys: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record(Object.fromEntries(keys.map((k) => [k, jsonValue])), { requiredKeys: [] }).map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "[]", "null", '{"__proto__":{"admin":true}}', '{"a":' + "[".repeat(5000) + "]".repeat(5000) + "}", "\u0000\u0001") },
  );

const contentType = fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "");

async function send(method: string, path: string, payload: string | undefined, type: string, who: Client | null) {
  const headers: Record<string, string> = {};
  if (type) headers["content-type"] = type;
  if (who?.cookie("ld_session")) headers.cookie = `ld_session=${who.cookie("ld_session")}`;
  if (who?.csrf) headers["x-csrf-token"] = who.csrf;
  const res = await fetch(t.base + path, { method, headers, body: method === "GET" ? undefined : payload });
  const text = await res.text();
  return { status: res.status, text };
}

/** The contract for every response: no 5xx; a 4xx is JSON with a Chinese error and a code. */
function expectClear(res: { status: number; text: string }, what: string) {
  expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 200)}`).toBeLessThan(500);
  if (res.status >= 400) {
    const b = JSON.parse(res.text) as { error: string; code: string };
    expect(typeof b.error, what).toBe("string");
    expect(b.error, what).toMatch(/[\u4e00-\u9fff]/);
    expect(typeof b.code, what).toBe("string");
  }
}

async function stillServing() {
  expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
  expect((await admin.get("/api/console/me")).status).toBe(200);
}

describe("web chat API under random input", () => {
  it(`POST /api/chat/messages: random bodies and content types → 200 or a clear 4xx (${RUNS} runs)`, async () => {
    const resident = new Client(t.base);
    await resident.get("/api/chat/history");
    await fc.assert(
      fc.asyncProperty(body(["id", "text", "region"]), contentType, async (payload, type) => {
        const headers: Record<string, string> = { cookie: `ld_rk=${resident.cookie("ld_rk")}` };
        if (type) headers["content-type"] = type;
        const res = await fetch(`${t.base}/api/chat/messages`, { method: "POST", headers, body: payload });
        const text = await res.text();
        expectClear({ status: res.status, text }, `chat ${type} ${payload.slice(0, 80)}`);
        if (res.status === 200) expect(JSON.parse(text)).toHaveProperty("duplicate");
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  });

  it(`random cookies, paths and query strings on the chat GETs → never 5xx (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.constantFrom("/api/chat/history", "/api/chat/regions", "/api/chat/nope"), fc.string({ maxLength: 30 }), async (cookie, path, query) => {
        const safeCookie = cookie.replace(/[^\x21-\x7e]/g, "");
        const res = await fetch(`${t.base}${path}?${encodeURIComponent(query)}`, { headers: { cookie: `ld_rk=${safeCookie}` } });
        expectClear({ status: res.status, text: await res.text() }, `${path} ${safeCookie}`);
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  });
});

describe("console API under random input", () => {
  it(`login form: random bodies and content types → 400/401/415, never 5xx (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(body(["username", "password"]), contentType, async (payload, type) => {
        const res = await send("POST", "/api/console/login", payload, type, null);
        expectClear(res, `login ${type} ${payload.slice(0, 80)}`);
        expect(res.status).not.toBe(200); // nobody logs in with random credentials
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  });

  const endpoints: [string, string, string[]][] = [
    ["POST", "/api/console/users", ["username", "name", "role", "password", "regions", "topics", "phone"]],
    ["POST", "/api/console/rota", ["userId", "regions", "topics", "schedule", "datesOn", "datesOff", "note"]],
    ["POST", "/api/console/templates", ["id", "title", "body", "shared"]],
    ["POST", "/api/console/password", ["oldPassword", "newPassword"]],
    ["POST", "/api/console/referrals/:id/notes", ["text"]],
    ["POST", "/api/console/referrals/:id/transfer", ["to", "note"]],
    ["POST", "/api/console/referrals/:id/reassign", ["to", "note"]],
    ["POST", "/api/console/referrals/:id/close", ["outcome"]],
    ["POST", "/api/console/referrals/:id/reopen", ["reason"]],
    ["POST", "/api/console/referrals/:id/reply", ["text"]],
    ["POST", "/api/console/users/:id", ["active", "regions", "topics", "name", "role"]],
  ];

  it(`authenticated JSON APIs: random bodies, ids and content types → 200 or a clear 4xx (${RUNS} runs)`, async () => {
    const randomId = fc.oneof(fc.constant(() => referralId), fc.string({ maxLength: 40 }).map((s) => () => encodeURIComponent(s) || "x"), fc.uuid().map((u) => () => u));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), randomId, contentType, fc.context(), async ([method, path, keys], id, type, ctx) => {
        const payload = fc.sample(body(keys), 1)[0];
        ctx.log(`${path} ${payload.slice(0, 100)}`);
        const res = await send(method, path.replace(":id", id()), payload, type, admin);
        expectClear(res, `${path} ${type} ${payload.slice(0, 80)}`);
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  });

  it(`GETs with random ids and query strings → never 5xx (${RUNS} runs)`, async () => {
    const paths = ["/api/console/queue?view=", "/api/console/referrals/", "/api/console/articles/", "/api/console/guides/", "/api/console/users?x="];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.string({ maxLength: 60 }), async (prefix, raw) => {
        const res = await send("GET", prefix + encodeURIComponent(raw), undefined, "", admin);
        expectClear(res, prefix + raw);
      }),
      { numRuns: RUNS },
    );
    await stillServing();
  });
});
