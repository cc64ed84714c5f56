// /metrics and /readyz kept from the public (issue 14.8): LAWDESK_METRICS_TOKEN makes them ask
// for a bearer token; LAWDESK_METRICS_PORT moves them to a listener of their own, and the
// public port answers 404 for them. /healthz stays public. Real servers on loopback.

import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "./helpers.ts";

const TOKEN = "ops-token-0123456789abcdef";
let t: TestServer | null = null;
afterEach(async () => {
  await t?.server.ops?.close();
  await t?.close();
  t = null;
});

describe("operators' endpoints", () => {
  it("with a token: 401 without it or with a wrong one, 200 with it; /healthz stays open", async () => {
    t = await startTestServer({ logLevel: "silent", env: { LAWDESK_METRICS_TOKEN: TOKEN } });
    for (const path of ["/metrics", "/readyz"]) {
      const none = await fetch(t.base + path);
      expect(none.status, path).toBe(401);
      expect(((await none.json()) as { error: string }).error).toBe("需要访问令牌");
      expect((await fetch(t.base + path, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
      expect((await fetch(t.base + path, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    }
    expect((await fetch(`${t.base}/healthz`)).status).toBe(200);
  });

  it("on their own port: not on the public one, served on the other", async () => {
    t = await startTestServer({ logLevel: "silent", env: { LAWDESK_METRICS_PORT: "9" } });
    expect(t.server.ops).not.toBeNull();
    await t.server.ops!.listen({ port: 0, host: "127.0.0.1" });
    const ops = `http://127.0.0.1:${(t.server.ops!.server.address() as AddressInfo).port}`;
    expect((await fetch(`${t.base}/metrics`)).status).toBe(404);
    expect((await fetch(`${t.base}/readyz`)).status).toBe(404);
    const metrics = await fetch(`${ops}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("process_cpu");
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
  });

  it("without either setting they stay where they were (compatibility)", async () => {
    t = await startTestServer({ logLevel: "silent" });
    expect(t.server.ops).toBeNull();
    expect((await fetch(`${t.base}/metrics`)).status).toBe(200);
  });
});
