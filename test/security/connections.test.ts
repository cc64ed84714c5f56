// Connection caps (issue 14, point 4): live-update streams are capped per resident, per
// address and in all; a request's headers and body must arrive within the request timeout,
// so a body trickled a byte at a time is cut off within seconds, while open streams live on.

import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, Client, startTestServer, type TestServer } from "../server/helpers.ts";

let t: TestServer;
let port: number;
beforeAll(async () => {
  t = await startTestServer({
    trustProxy: 1,
    env: { LAWDESK_LIVE_STREAMS_PER_CLIENT: "3", LAWDESK_LIVE_STREAMS_PER_ADDRESS: "6", LAWDESK_LIVE_STREAMS_MAX: "8", LAWDESK_REQUEST_TIMEOUT_SECONDS: "2" },
  });
  port = Number(new URL(t.base).port);
});
afterAll(() => t?.close());

/** Opens an SSE stream and resolves with its status once the head arrives; the body stays open. */
async function openStream(path: string, cookie: string, controllers: AbortController[], from = "198.51.100.1"): Promise<number> {
  const c = new AbortController();
  controllers.push(c);
  const res = await fetch(t.base + path, { headers: { cookie, "x-forwarded-for": from }, signal: c.signal });
  if (res.status !== 200) await res.text();
  return res.status;
}

/** Live-update streams the server holds open, as its metrics report them. */
async function streamsOpen(): Promise<number> {
  const res = await (t.server.ops ?? t.server).inject({ method: "GET", url: "/metrics" });
  const m = /^lawdesk_sse_clients\{stream="all"\} (\d+)$/m.exec(res.body);
  if (!m) throw new Error(`no stream count in /metrics (${res.statusCode})`);
  return Number(m[1]);
}

/** Closes the streams and waits until the server has let every one go, so the next test starts empty. */
async function closeAll(controllers: AbortController[]): Promise<void> {
  for (const c of controllers) c.abort();
  await expect.poll(streamsOpen, { timeout: 5000 }).toBe(0);
}

function cookieOf(client: Client, name: string): string {
  return `${name}=${client.cookie(name)}`;
}

/** A raw socket that records when the server closed it and what it said. */
function rawSocket(): Promise<{ socket: Socket; closed: Promise<{ at: number; data: string }> }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      let data = "";
      socket.on("data", (d) => (data += d.toString()));
      const closed = new Promise<{ at: number; data: string }>((r) => socket.on("close", () => r({ at: Date.now(), data })));
      socket.on("error", () => {});
      resolve({ socket, closed });
    });
  });
}

describe("live-update streams are capped", () => {
  it("per resident, per address and in all; closing one frees its place", async () => {
    const controllers: AbortController[] = [];
    try {
      const resident = new Client(t.base);
      await resident.get("/api/chat/history");
      const rk = cookieOf(resident, "ld_rk");
      const first = [];
      for (let i = 0; i < 5; i++) first.push(await openStream("/api/chat/events", rk, controllers));
      expect(first).toEqual([200, 200, 200, 429, 429]);
      const refused = await fetch(t.base + "/api/chat/events", { headers: { cookie: rk, "x-forwarded-for": "198.51.100.1" } });
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: string }).error).toBe("打开的页面过多，请关闭一些页面后再试");
      expect(refused.headers.get("x-content-type-options")).toBe("nosniff");

      // Fresh cookies from the same address: 6 per address.
      const others = [];
      for (let i = 0; i < 4; i++) {
        const r = new Client(t.base);
        await r.get("/api/chat/history");
        others.push(await openStream("/api/chat/events", cookieOf(r, "ld_rk"), controllers));
      }
      expect(others).toEqual([200, 200, 200, 429]);

      // Other addresses fill the server: 8 in all, then 503.
      const elsewhere = [];
      for (let i = 0; i < 3; i++) {
        const r = new Client(t.base);
        await r.get("/api/chat/history");
        elsewhere.push(await openStream("/api/chat/events", cookieOf(r, "ld_rk"), controllers, `203.0.113.${i}`));
      }
      expect(elsewhere).toEqual([200, 200, 503]);

      // One closed: its place is free again (once the server has seen it close).
      controllers[0].abort();
      await expect.poll(streamsOpen, { timeout: 5000 }).toBe(7);
      expect(await openStream("/api/chat/events", rk, controllers)).toBe(200);
    } finally {
      await closeAll(controllers);
    }
  });

  it("a console user's tabs count apart from residents' and are capped too", async () => {
    const controllers: AbortController[] = [];
    try {
      const admin = new Client(t.base);
      expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
      const session = cookieOf(admin, "ld_session");
      const tabs = [];
      for (let i = 0; i < 4; i++) tabs.push(await openStream("/api/console/events", session, controllers));
      expect(tabs).toEqual([200, 200, 200, 429]);
    } finally {
      await closeAll(controllers);
    }
  });
});

describe("request timeouts", () => {
  it("cuts off a body trickled a byte at a time within a few seconds", async () => {
    const { socket, closed } = await rawSocket();
    const start = Date.now();
    socket.write(`POST /api/chat/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`);
    const timer = setInterval(() => socket.writable && socket.write(" "), 500);
    const end = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    clearInterval(timer);
    socket.destroy();
    expect(end).not.toBeNull();
    expect(end!.at - start).toBeLessThan(5000);
    expect(end!.data).toMatch(/^HTTP\/1\.1 408/);
  });

  it("cuts off headers trickled a byte at a time", async () => {
    const { socket, closed } = await rawSocket();
    const start = Date.now();
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const timer = setInterval(() => socket.writable && socket.write("X"), 500);
    const end = await Promise.race([closed, new Promise<null>((r) => setTimeout(() => r(null), 10_000))]);
    clearInterval(timer);
    socket.destroy();
    expect(end).not.toBeNull();
    expect(end!.at - start).toBeLessThan(5000);
  });

  it("leaves an open live-update stream alone past the timeout", async () => {
    const resident = new Client(t.base);
    await resident.get("/api/chat/history");
    const c = new AbortController();
    const res = await fetch(t.base + "/api/chat/events", { headers: { cookie: cookieOf(resident, "ld_rk") }, signal: c.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, 4000));
    // Still open: a push arrives.
    t.server.webLive.push(resident.cookie("ld_rk")!.split(".")[0], { kind: "test" });
    const pushed = t.server.webLive.connected(resident.cookie("ld_rk")!.split(".")[0]);
    c.abort();
    expect(pushed).toBe(1);
  });
});
