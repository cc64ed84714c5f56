// The PostgreSQL a soak runs against, and whether it can be reached.

import pg from "pg";

const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

export function pgUrl(): string {
  return process.env.LAWDESK_BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_PG_URL;
}

/** Whether PostgreSQL answers at `url`; the reason when it does not. */
export async function pgUnreachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return null;
  } catch (err) {
    const e = err as { code?: string; message?: string; errors?: { message?: string }[] };
    const detail = e.message || e.errors?.map((x) => x.message).join("; ") || "";
    return [e.code, detail].filter(Boolean).join(": ") || String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A connection string fit for printing: the password masked. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
