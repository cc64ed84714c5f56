// The database-backed store for @fastify/rate-limit on both stores: fixed windows that reset
// when they end, separate counts per route and per client, and exact counts when two
// processes (two pools) count the same client at once.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FastifyRateLimitStore } from "@fastify/rate-limit";
import { sqlRateLimitStore } from "../../src/server/rate-limit-store.ts";
import { SqlLoginAttempts } from "../../src/store/rate-counter.ts";
import { BACKENDS, skipped, title, type Backend } from "../store/backends.ts";

const WINDOW = 60_000;

function hit(store: FastifyRateLimitStore, key: string): Promise<{ current: number; ttl: number }> {
  return new Promise((resolve, reject) => store.incr(key, (err, r) => (err ? reject(err) : resolve(r!)), WINDOW, 5));
}

const route = (store: FastifyRateLimitStore, url: string) => store.child({ routeInfo: { method: "POST", url } } as never);

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("SQL rate-limit store", name), () => {
    let b: Backend;
    let clock: number;
    beforeEach(async () => {
      b = await make();
      clock = Date.parse("2026-03-02T02:00:00.000Z");
    });
    afterEach(async () => b.close());

    const storeOn = (sql: Backend["sql"]) => {
      const Store = sqlRateLimitStore(sql, () => new Date(clock));
      return new Store({});
    };

    it("counts within a window, reports the time left, and starts again after it", async () => {
      const login = route(storeOn(b.sql), "/api/console/login");
      expect(await hit(login, "10.0.0.1")).toEqual({ current: 1, ttl: WINDOW });
      clock += 20_000;
      expect(await hit(login, "10.0.0.1")).toEqual({ current: 2, ttl: WINDOW - 20_000 });
      expect(await hit(login, "10.0.0.2")).toEqual({ current: 1, ttl: WINDOW });
      // Another route counts apart.
      expect((await hit(route(storeOn(b.sql), "/api/chat/messages"), "10.0.0.1")).current).toBe(1);
      clock += WINDOW;
      expect(await hit(login, "10.0.0.1")).toEqual({ current: 1, ttl: WINDOW });
    });

    it("gives every concurrent hit from two processes its own count", async () => {
      // SQLite serves one process: its concurrent hits come from one connection.
      const otherSql = name === "postgres" ? (await b.second()).sql : b.sql;
      const here = route(storeOn(b.sql), "/api/console/login");
      const there = route(storeOn(otherSql), "/api/console/login");
      const counts = await Promise.all(Array.from({ length: 40 }, (_, i) => hit(i % 2 ? there : here, "10.0.0.9")));
      expect(counts.map((c) => c.current).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it("counts failed logins per key in the shared table, reads them without counting, and clears them", async () => {
      const attempts = new SqlLoginAttempts(b.sql);
      const now = () => new Date(clock);
      expect(await attempts.failures("login|admin|10.0.0.1", now())).toBe(0);
      expect(await attempts.fail("login|admin|10.0.0.1", WINDOW, now())).toBe(1);
      expect(await attempts.fail("login|admin|10.0.0.1", WINDOW, now())).toBe(2);
      expect(await attempts.failures("login|admin|10.0.0.1", now())).toBe(2);
      expect(await attempts.failures("login|admin|10.0.0.2", now())).toBe(0);
      clock += WINDOW;
      expect(await attempts.failures("login|admin|10.0.0.1", now())).toBe(0);
      await attempts.fail("login|admin|10.0.0.1", WINDOW, now());
      await attempts.clear("login|admin|10.0.0.1");
      expect(await attempts.failures("login|admin|10.0.0.1", now())).toBe(0);
    });
  });
});
