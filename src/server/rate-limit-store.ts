// A store for @fastify/rate-limit kept in the database, so that every process of a
// PostgreSQL installation counts against one allowance (the library ships a Redis store;
// lawdesk has no Redis, and one upsert per counted request is cheap). Fixed windows, as the
// library's own stores: the first hit opens a window of `timeWindow` ms; hits after it ends
// start a new one.

import type { FastifyRateLimitOptions, FastifyRateLimitStore, FastifyRateLimitStoreCtor } from "@fastify/rate-limit";
import type { SqlDb } from "../store/sql.ts";
import { sqlValue } from "../store/sql.ts";

/** Expired windows are swept after this many counted requests in a process. */
const SWEEP_EVERY = 200;

export function sqlRateLimitStore(sql: SqlDb, now: () => Date = () => new Date()): FastifyRateLimitStoreCtor {
  let counted = 0;
  const incr = async (key: string, timeWindow: number): Promise<{ current: number; ttl: number }> => {
    const at = now();
    const reset = new Date(at.getTime() + timeWindow);
    // One statement: concurrent hits from several processes each see their own count.
    const row = await sql.get<{ count: unknown; reset_at: unknown }>(
      `INSERT INTO rate_limits (key, count, reset_at) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= ? THEN ? ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [key, reset.toISOString(), at.toISOString(), at.toISOString(), reset.toISOString()],
    );
    if (++counted % SWEEP_EVERY === 0) await sql.run("DELETE FROM rate_limits WHERE reset_at <= ?", [at.toISOString()]);
    const resetAt = Date.parse(sqlValue.iso(row?.reset_at) ?? reset.toISOString());
    return { current: sqlValue.num(row?.count), ttl: Math.max(0, resetAt - at.getTime()) };
  };

  class SqlRateLimitStore implements FastifyRateLimitStore {
    constructor(
      _options?: FastifyRateLimitOptions,
      private readonly prefix = "",
    ) {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      incr(`${this.prefix}${key}`, timeWindow).then(
        (r) => callback(null, r),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }

    child(params: object): FastifyRateLimitStore {
      // A route's limit counts apart from every other route's (the plugin passes routeInfo).
      const route = (params as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo ?? {};
      return new SqlRateLimitStore(undefined, `${[route.method ?? ""].flat().join(",")} ${route.url ?? ""}|`);
    }
  }
  return SqlRateLimitStore;
}
