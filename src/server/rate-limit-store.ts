// A store for @fastify/rate-limit over the shared database counters (store/rate-counter.ts),
// so that every process of a PostgreSQL installation counts against one allowance. The
// library ships memory and Redis stores; lawdesk has no Redis.

import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import { SqlRateCounter } from "../store/rate-counter.ts";
import type { SqlDb } from "../store/sql.ts";

export function sqlRateLimitStore(sql: SqlDb, now: () => Date = () => new Date()): FastifyRateLimitStoreCtor {
  const counter = new SqlRateCounter(sql);

  class SqlRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options?: FastifyRateLimitOptions,
      private readonly prefix = "http|",
    ) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counter.hit(`${this.prefix}${key}`, timeWindow, now()).then(
        (r) => callback(null, { current: r.count, ttl: r.ttlMs }),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }

    child(params: object): FastifyRateLimitStore {
      // A route's limit counts apart from every other route's (the plugin passes routeInfo).
      const route = (params as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ?? {};
      return new SqlRateLimitStore(undefined, `http|${[route.method ?? ""].flat().join(",")} ${route.url ?? ""}|`);
    }
  }
  return SqlRateLimitStore;
}
