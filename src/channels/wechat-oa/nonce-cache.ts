// The nonce cache: every signed request (timestamp + nonce, which the signature covers) is
// remembered with its body's digest until its timestamp leaves the replay window. WeChat's
// re-send of the same request (same body) passes; the same signed URL with another body is a
// replay and is refused. Kept in the database (table wechat_nonces), so that with several
// processes on one PostgreSQL a replay is caught whichever process it reaches.

import { createHash } from "node:crypto";
import type { SqlDb } from "../../store/sql.ts";

export interface NonceCache {
  /** True when `key` is new, or was seen with the same body; false for a replay with another body. */
  admit(key: string, body: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
}

/** Expired entries are swept after this many admitted requests in a process. */
const SWEEP_EVERY = 500;

const digestOf = (body: string) => createHash("sha256").update(body).digest("base64");

export class SqlNonceCache implements NonceCache {
  private admitted = 0;

  constructor(private readonly sql: SqlDb) {}

  async admit(key: string, body: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    const digest = digestOf(body);
    // One statement: of two processes inserting the same key, one inserts and both read its digest.
    await this.sql.run("INSERT INTO wechat_nonces (nonce_key, body_digest, expires_at) VALUES (?, ?, ?) ON CONFLICT (nonce_key) DO NOTHING", [key, digest, expiresAtMs]);
    const row = await this.sql.get<{ body_digest: unknown }>("SELECT body_digest FROM wechat_nonces WHERE nonce_key = ?", [key]);
    if (++this.admitted % SWEEP_EVERY === 0) await this.sql.run("DELETE FROM wechat_nonces WHERE expires_at < ?", [nowMs]);
    return String(row?.body_digest ?? "") === digest;
  }
}

/** One process without a database handle (tests of the plugin alone). */
export class MemoryNonceCache implements NonceCache {
  private readonly seen = new Map<string, { digest: string; expiresAt: number }>();

  async admit(key: string, body: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    for (const [k, v] of this.seen) if (v.expiresAt < nowMs) this.seen.delete(k);
    const digest = digestOf(body);
    const known = this.seen.get(key);
    if (!known) this.seen.set(key, { digest, expiresAt: expiresAtMs });
    return (known?.digest ?? digest) === digest;
  }
}
