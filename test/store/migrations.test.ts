// The PostgreSQL migrations mirror the SQLite ones: same versions and names, same tables,
// applied once even when several processes start together.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migratePg } from "../../src/store/pg/migrate.ts";
import { PG_MIGRATIONS, SQLITE_MIGRATIONS } from "../../src/store/migrations.ts";
import { dropSchema, openPg, randomTestSchema } from "../../src/store/pg/pool.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { PG_SKIP_REASON, PG_URL } from "./backends.ts";

const versions = (ms: { version: number; name: string }[]) => ms.map((m) => [m.version, m.name]).sort((a, b) => Number(a[0]) - Number(b[0]));

describe("PostgreSQL migrations", () => {
  it("have the same versions and names as the SQLite migrations", () => {
    expect(versions(PG_MIGRATIONS)).toEqual(versions(SQLITE_MIGRATIONS));
  });

  describe.skipIf(PG_SKIP_REASON !== null)(PG_SKIP_REASON ? `SKIPPED: ${PG_SKIP_REASON}` : "on the server", () => {
    it("create the same tables as SQLite, once, even when three processes start together", async () => {
      const schema = randomTestSchema();
      const handles = await Promise.all([0, 1, 2].map(() => openPg(PG_URL, { schema, max: 2 })));
      try {
        const applied = await migratePg(handles[0].pool);
        expect(applied).toEqual([]);
        const pgTables = (
          await handles[0].pool.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
            [schema],
          )
        ).rows.map((r) => r.table_name);
        const rows = (await handles[1].pool.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => Number(r.version));
        expect(rows).toEqual(versions(SQLITE_MIGRATIONS).map((v) => v[0]));

        const dir = mkdtempSync(join(tmpdir(), "lawdesk-mig-"));
        try {
          const db = openSqlite(join(dir, "x.db"));
          const sqliteTables = (
            db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
          ).map((r) => r.name);
          db.close();
          expect([...pgTables].sort()).toEqual([...sqliteTables].sort());
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      } finally {
        for (const h of handles) await h.close();
        await dropSchema(PG_URL, schema);
      }
    });

    it("refuses a schema name that is not a plain identifier", async () => {
      await expect(openPg(PG_URL, { schema: "x; DROP TABLE y" })).rejects.toThrow(/invalid PostgreSQL schema name/);
    });
  });
});
