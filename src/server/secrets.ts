// The cookie-signing secret lives in the data directory, created once: residents keep their
// anonymous key (and so their chat history) across restarts.

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

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
