// One list of migrations for both databases: same versions and names, same tables, applied
// once even when several processes start together. The chat channels declare their own
// (versions 40-49) and the store runs them beside its own.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { migratePg } from "../../src/store/pg/migrate.ts";
import { CHANNEL_MIGRATIONS } from "../../src/channels/migrations.ts";
import { migrationsFor, STORE_MIGRATIONS } from "../../src/store/migrations.ts";
import { dropSchema, openPg, randomTestSchema } from "../../src/store/pg/pool.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { PG_SKIP_REASON, PG_URL } from "./backends.ts";

const versions = (ms: { version: number; name: string }[]) => ms.map((m) => [m.version, m.name]).sort((a, b) => Number(a[0]) - Number(b[0]));

const ALL = migrationsFor("sqlite", CHANNEL_MIGRATIONS);
const tablesOf = (db: ReturnType<typeof openSqlite>) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

describe("migrations", () => {
  it("have the same versions and names on both databases; the channels' are theirs, 40-49", () => {
    expect(versions(migrationsFor("postgres", CHANNEL_MIGRATIONS))).toEqual(versions(ALL));
    expect(STORE_MIGRATIONS.filter((m) => m.version >= 40 && m.version < 50)).toEqual([]);
    expect(CHANNEL_MIGRATIONS.map((m) => [m.version, m.name])).toEqual([[40, "channels"], [41, "wechat_tokens"], [42, "wechat_nonces"]]);
  });

  it("refuse a version declared twice", () => {
    expect(() => migrationsFor("sqlite", [{ version: 10, name: "clash", sql: () => "" }])).toThrow(/version 10 is declared twice/);
  });

  it("add the channels' tables to a database first opened without them (a command before the server)", () => {
    const dir = mkdtempSync(join(tmpdir(), "lawdesk-mig-"));
    try {
      const first = openSqlite(join(dir, "x.db"));
      expect(tablesOf(first)).not.toContain("channel_groups");
      first.close();
      const db = openSqlite(join(dir, "x.db"), CHANNEL_MIGRATIONS);
      expect(tablesOf(db)).toContain("channel_groups");
      expect((db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[]).map((r) => r.version)).toEqual(versions(ALL).map((v) => v[0]));
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(PG_SKIP_REASON !== null)(PG_SKIP_REASON ? `SKIPPED: ${PG_SKIP_REASON}` : "on the server", () => {
    it("create the same tables as SQLite, once, even when three processes start together", async () => {
      const schema = randomTestSchema();
      const handles = await Promise.all([0, 1, 2].map(() => openPg(PG_URL, { schema, max: 2, migrations: CHANNEL_MIGRATIONS })));
      try {
        const applied = await migratePg(handles[0].pool, CHANNEL_MIGRATIONS);
        expect(applied).toEqual([]);
        const pgTables = (
          await handles[0].pool.query<{ table_name: string }>(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
            [schema],
          )
        ).rows.map((r) => r.table_name);
        const rows = (await handles[1].pool.query("SELECT version FROM schema_migrations ORDER BY version")).rows.map((r) => Number(r.version));
        expect(rows).toEqual(versions(ALL).map((v) => v[0]));

        const dir = mkdtempSync(join(tmpdir(), "lawdesk-mig-"));
        try {
          const db = openSqlite(join(dir, "x.db"), CHANNEL_MIGRATIONS);
          const sqliteTables = tablesOf(db);
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
