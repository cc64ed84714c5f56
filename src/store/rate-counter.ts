// Fixed-window hit counters in the database (table rate_limits), shared by every process on
// one PostgreSQL: the console login limit and the residents' flood limit count here, so a
// load balancer spreading requests over N servers does not multiply the allowance by N.

import { sqlValue, type SqlDb } from "./sql.ts";

/** Expired windows are swept after this many counted hits in a process. */
const SWEEP_EVERY = 200;

export class SqlRateCounter {
  private counted = 0;

  constructor(private readonly sql: SqlDb) {}

  /**
   * Counts one hit of `key` at `now`: the first hit opens a window of `windowMs`, later hits
   * in it add up, the first hit after it opens a new one. One statement, so concurrent hits
   * from several processes each get their own count.
   */
  async hit(key: string, windowMs: number, now: Date): Promise<{ count: number; ttlMs: number }> {
    const at = now.toISOString();
    const reset = new Date(now.getTime() + windowMs).toISOString();
    const row = await this.sql.get<{ count: unknown; reset_at: unknown }>(
      `INSERT INTO rate_limits (key, count, reset_at) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_limits.reset_at <= ? THEN 1 ELSE rate_limits.count + 1 END,
         reset_at = CASE WHEN rate_limits.reset_at <= ? THEN ? ELSE rate_limits.reset_at END
       RETURNING count, reset_at`,
      [key, reset, at, at, reset],
    );
    if (++this.counted % SWEEP_EVERY === 0) await this.sql.run("DELETE FROM rate_limits WHERE reset_at <= ?", [at]);
    const resetAt = Date.parse(sqlValue.iso(row?.reset_at) ?? reset);
    return { count: sqlValue.num(row?.count), ttlMs: Math.max(0, resetAt - now.getTime()) };
  }
}

/** Failed logins in the same table, so every process of one database shares the count. */
export class SqlLoginAttempts {
  private readonly counter: SqlRateCounter;

  constructor(private readonly sql: SqlDb) {
    this.counter = new SqlRateCounter(sql);
  }

  async failures(key: string, now: Date): Promise<number> {
    const row = await this.sql.get<{ count: unknown }>("SELECT count FROM rate_limits WHERE key = ? AND reset_at > ?", [key, now.toISOString()]);
    return row ? sqlValue.num(row.count) : 0;
  }

  async fail(key: string, windowMs: number, now: Date): Promise<number> {
    return (await this.counter.hit(key, windowMs, now)).count;
  }

  async clear(key: string): Promise<void> {
    await this.sql.run("DELETE FROM rate_limits WHERE key = ?", [key]);
  }
}
