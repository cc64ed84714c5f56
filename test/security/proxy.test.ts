// LAWDESK_TRUST_PROXY names the proxies (hop count or addresses); the client address is the
// one the trusted proxy saw, never the leftmost, client-written X-Forwarded-For entry
// (issue 14, point 2).

import fc from "fast-check";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { parseTrustProxy, trustProxyOption } from "../../src/server/proxy.ts";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer } from "../server/helpers.ts";

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
// What a client may write in front: addresses, garbage, spaces.
const written = fc.array(fc.oneof(ipv4, fc.constantFrom("unknown", "127.0.0.1", "::1", "10.0.0.1")), { maxLength: 5 });

async function ipSeen(setting: string, xff: string, remoteAddress: string): Promise<string> {
  const app = Fastify({ trustProxy: trustProxyOption(parseTrustProxy(setting)) });
  app.get("/", async (request) => request.ip);
  const res = await app.inject({ method: "GET", url: "/", remoteAddress, headers: { "x-forwarded-for": xff } });
  await app.close();
  return res.body;
}

describe("the client address behind proxies", () => {
  it("property: one hop (`1`) gives the address the proxy appended, whatever the client wrote before it", async () => {
    await fc.assert(
      fc.asyncProperty(written, ipv4, async (front, seen) => {
        expect(await ipSeen("1", [...front, seen].join(", "), "127.0.0.1")).toBe(seen);
      }),
      { numRuns: 200 },
    );
  });

  it("property: two hops, and named proxies (addresses and CIDR ranges), skip exactly the trusted entries", async () => {
    await fc.assert(
      fc.asyncProperty(written, ipv4.filter((a) => !a.startsWith("10.") && !a.startsWith("127.")), fc.nat(255), async (front, seen, x) => {
        const chain = [...front, seen, `10.0.3.${x}`].join(", ");
        expect(await ipSeen("2", chain, "127.0.0.1")).toBe(seen);
        expect(await ipSeen("127.0.0.1, 10.0.0.0/8", chain, "127.0.0.1")).toBe(seen);
        expect(await ipSeen("loopback,10.0.0.0/8", chain, "127.0.0.1")).toBe(seen);
        // A request that did not come through a named proxy keeps its socket address.
        expect(await ipSeen("10.0.0.0/8", chain, "192.0.2.1")).toBe("192.0.2.1");
      }),
      { numRuns: 100 },
    );
  });

  it("validates the setting by name", () => {
    for (const ok of ["0", "1", "2", "10.0.0.1", "10.0.0.0/8,::1", "loopback, uniquelocal", "fd00::/8"]) expect(() => loadConfig({ LAWDESK_TRUST_PROXY: ok } as NodeJS.ProcessEnv)).not.toThrow();
    for (const bad of ["yes", "true", "-1", "10.0.0.0/33", "10.0.0.300", "1.5", "99", "10.0.0.1/8/2"]) {
      expect(() => loadConfig({ LAWDESK_TRUST_PROXY: bad } as NodeJS.ProcessEnv)).toThrow(ConfigError);
      expect(() => loadConfig({ LAWDESK_TRUST_PROXY: bad } as NodeJS.ProcessEnv)).toThrow(/LAWDESK_TRUST_PROXY/);
    }
  });
});

describe("per-address limits behind one proxy (LAWDESK_TRUST_PROXY=1)", () => {
  let t: TestServer;
  let admin: Client;
  beforeAll(async () => {
    t = await startTestServer({ trustProxy: parseTrustProxy("1") });
    admin = new Client(t.base);
    expect((await admin.login("admin", ADMIN_PASSWORD)).status).toBe(200);
  });
  afterAll(() => t?.close());

  const login = (username: string, password: string, xff: string) =>
    fetch(`${t.base}/api/console/login`, { method: "POST", headers: { "content-type": "application/json", "x-forwarded-for": xff }, body: JSON.stringify({ username, password }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } }));

  it("a guesser rotating the leftmost X-Forwarded-For entry is still held off; the owner elsewhere signs in", async () => {
    const { password } = await createStaff(t, admin, { username: "owner2", name: "主人", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 8; i++) codes.push((await login("owner2", `wrong-password-${i}`, `198.18.${i}.${i}, 203.0.113.9`)).body.code);
    expect(codes.slice(4)).toEqual(["locked", "locked", "locked", "locked"]);
    expect((await login("owner2", password, "1.2.3.4, 203.0.113.9")).body.code).toBe("locked");
    expect((await login("owner2", password, "198.51.100.7")).status).toBe(200);
  });
});
