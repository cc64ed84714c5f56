// Where the official account's access token lives when several processes send
// customer-service messages: in the database, fetched by one process at a time under a
// lock. (On SQLite there is one process and the in-memory cache of WechatApiClient is enough.)

import type { SqlDb } from "../../store/sql.ts";

export interface SharedToken {
  token: string;
  /** Epoch ms after which it must not be used any more (a little before WeChat's expiry). */
  refreshAt: number;
}

export interface TokenStore {
  read(appId: string): Promise<SharedToken | null>;
  /**
   * Runs `fetch` with the app's refresh lock held and stores what it returns. `fetch` is
   * given the token stored when the lock was taken (another process may just have renewed it).
   */
  refresh(appId: string, fetch: (stored: SharedToken | null) => Promise<SharedToken>): Promise<SharedToken>;
}

export class SqlTokenStore implements TokenStore {
  constructor(private readonly sql: SqlDb) {}

  async read(appId: string): Promise<SharedToken | null> {
    const row = await this.sql.get<{ token: string; refresh_at: string | number }>("SELECT token, refresh_at FROM wechat_tokens WHERE app_id = ?", [appId]);
    return row ? { token: row.token, refreshAt: Number(row.refresh_at) } : null;
  }

  refresh(appId: string, fetch: (stored: SharedToken | null) => Promise<SharedToken>): Promise<SharedToken> {
    return this.sql.transaction(async (tx) => {
      // Held until commit: a second process waits here, then finds the fresh token stored.
      if (tx.dialect.name === "postgres") await tx.get("SELECT pg_advisory_xact_lock(hashtext(?))", [`lawdesk.wechat_token.${appId}`]);
      const stored = await new SqlTokenStore(tx).read(appId);
      const next = await fetch(stored);
      if (next.token !== stored?.token) {
        await tx.run(
          `INSERT INTO wechat_tokens (app_id, token, refresh_at, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (app_id) DO UPDATE SET token = excluded.token, refresh_at = excluded.refresh_at, updated_at = excluded.updated_at`,
          [appId, next.token, next.refreshAt, new Date().toISOString()],
        );
      }
      return next;
    });
  }
}
