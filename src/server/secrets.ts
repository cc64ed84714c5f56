// The cookie-signing secret, created once: residents keep their anonymous key (and so their
// chat history) across restarts. One process (SQLite): a file in the data directory. Several
// processes on PostgreSQL: a row in the database, so a resident's cookie signed by one server
// is valid on every other one behind the load balancer.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SqlServerSecrets } from "../store/server-secrets.ts";
import type { SqlDb } from "../store/sql.ts";

export function loadOrCreateSecret(dataDir: string, name = "cookie-secret"): string {
  const path = join(dataDir, name);
  if (existsSync(path)) {
    const value = readFileSync(path, "utf8").trim();
    if (value.length >= 32) return value;
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString("base64url");
  writeFileSync(path, value + "\n", { mode: 0o600 });
  return value;
}

/** The shared secret `name` from the database; the first process to ask creates it. */
export function loadOrCreateSharedSecret(sql: SqlDb, name = "cookie-secret"): Promise<string> {
  return new SqlServerSecrets(sql).loadOrCreate(name);
}
