// Errors the router or the static files raise before any route runs (issue 14.8): a refused
// static path is a 403 in plain words, not "服务器内部错误"; a malformed URL goes through the
// same error shape — Simplified Chinese, the URL not echoed — with the security headers.
// Raw HTTP over a socket, since fetch would normalise or refuse these URLs itself.

import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../server/helpers.ts";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ logLevel: "silent" });
}, 120_000);
afterAll(async () => {
  await t?.close();
});

/** One GET with the path exactly as written; resolves with the status, headers and body. */
function rawGet(path: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(t.base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = "";
    socket.on("data", (b) => (data += b.toString("utf8")));
    socket.on("error", reject);
    socket.on("end", () => {
      const [head, ...rest] = data.split("\r\n\r\n");
      const [statusLine, ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") });
    });
  });
}

const HAN = /\p{Script=Han}/u;

function expectHardened(r: Awaited<ReturnType<typeof rawGet>>, path: string): void {
  expect(r.headers["content-security-policy"], path).toContain("default-src 'self'");
  expect(r.headers["x-content-type-options"], path).toBe("nosniff");
  expect(r.headers["x-frame-options"], path).toBe("SAMEORIGIN");
  const body = JSON.parse(r.body) as { error: string; code: string };
  expect(body.error, path).toMatch(HAN);
  expect(body.error, path).not.toMatch(/[A-Za-z]{3}/);
  expect(body.error).not.toContain("服务器内部错误");
  expect(r.body).not.toContain(path);
  expect(body.error).not.toMatch(/url|Bad Request/i);
}

describe("errors raised before any route", () => {
  it("static paths the file server refuses are a 403 that says so, not a server error", async () => {
    for (const path of ["/chat/../x", "/console/static/%2e%2e/x", "/chat/%00", "/chat/"]) {
      const r = await rawGet(path);
      expect(r.status, path).toBe(403);
      expectHardened(r, path);
      expect(JSON.parse(r.body).error).toBe("无权访问");
    }
  });

  it("malformed URLs get the Chinese error shape with the security headers and without the URL", async () => {
    for (const path of ["/%E0%A4%A", "/chat/%E0%A4%A", "/api/chat/%E0%A4%A", "/%C0%AF", "/..%2f", "/chat/..%2f..%2fpackage.json", "/%ZZ"]) {
      const r = await rawGet(path);
      expect([400, 404], path).toContain(r.status);
      expectHardened(r, path);
    }
  });
});
