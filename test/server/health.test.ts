// Health, readiness, metrics and the security headers, over real HTTP on loopback.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Client, startTestServer, type TestServer, WAGE_QUESTION, waitFor } from "./helpers.ts";

let t: TestServer;
let c: Client;

beforeAll(async () => {
  t = await startTestServer();
  c = new Client(t.base);
});
afterAll(() => t?.close());

describe("operations endpoints", () => {
  test("/healthz answers while the process is alive", async () => {
    const res = await c.get("/healthz");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  test("/readyz checks the database and the loaded index", async () => {
    const res = await c.get("/readyz");
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("ready");
    expect(res.body.checks).toEqual({ database: true, index: true });
    expect(res.body.articles).toBe(3);
    expect(res.body.guides).toBeGreaterThan(0);
  });

  test("/metrics exposes default, message, escalation, referral and latency metrics", async () => {
    await c.post("/api/chat/messages", { id: "metrics-0001", text: WAGE_QUESTION });
    await c.post("/api/chat/messages", { id: "metrics-0002", text: "转人工" });
    // The referral is created right after the answer: wait until the metrics count it.
    const res = await waitFor(async () => {
      const r = await c.get("/metrics");
      return /lawdesk_referrals\{status="open"\} 1/.test(String(r.body)) && r;
    }, 5000, "the referral in /metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = String(res.body);
    expect(text).toContain("lawdesk_process_cpu_user_seconds_total");
    expect(text).toMatch(/lawdesk_messages_total\{channel="web",intent="legal_question"\} 1/);
    expect(text).toMatch(/lawdesk_messages_total\{channel="web",intent="ask_human"\} 1/);
    expect(text).toMatch(/lawdesk_escalations_total\{reason="asked_human",urgency="normal"\} 1/);
    expect(text).toMatch(/lawdesk_referrals\{status="open"\} 1/);
    expect(text).toMatch(/lawdesk_http_request_duration_seconds_count\{method="POST",route="\/api\/chat\/messages",status_code="200"\} 2/);
  });

  test("pages are served with a CSP that allows only the server's own scripts", async () => {
    for (const path of ["/", "/console"]) {
      const res = await c.get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/html");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await c.get("/chat/chat.js")).status).toBe(200);
    expect((await c.get("/console/static/console.js")).status).toBe(200);
  });

  test("unknown API paths get a JSON 404 in Chinese", async () => {
    const res = await c.get("/api/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error).toMatch(/不存在/);
  });
});
