// Secrets several server processes must share (the residents' cookie-signing key), kept in
// table server_secrets on PostgreSQL so every process behind a load balancer signs alike.

import { randomBytes } from "node:crypto";
import type { SqlDb } from "./sql.ts";

/** Named secrets in the database; the first process to ask for one creates it. */
export class SqlServerSecrets {
  constructor(private readonly sql: SqlDb) {}

  /** The secret `name`; created as 32 random bytes (base64url) when none is stored yet. */
  async loadOrCreate(name: string, now: Date = new Date()): Promise<string> {
    // Insert-or-keep first, then read: two processes starting together end with one value.
    await this.sql.run("INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", [
      name,
      randomBytes(32).toString("base64url"),
      now.toISOString(),
    ]);
    const row = await this.sql.get<{ value: string }>("SELECT value FROM server_secrets WHERE name = ?", [name]);
    if (!row) throw new Error(`secret ${name} could not be stored`);
    return row.value;
  }
}

/** True when the database answers a trivial query (the readiness probe). */
export async function databaseAnswers(sql: SqlDb): Promise<boolean> {
  try {
    return Number((await sql.get<{ ok: unknown }>("SELECT 1 AS ok"))?.ok) === 1;
  } catch {
    return false;
  }
}
