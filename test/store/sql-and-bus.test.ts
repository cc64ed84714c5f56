// The SqlDb facade (same statements, same answers on both stores) and the PostgreSQL bus
// (LISTEN/NOTIFY between processes: delivered to others, not echoed, kept per schema, and
// back after the database drops the listening connection).

import { afterEach, describe, expect, it } from "vitest";
import { PgBus } from "../../src/store/pg/bus.ts";
import { openPg, type PgHandle } from "../../src/store/pg/pool.ts";
import { numberPlaceholders, PgSql, SqliteSql, type SqlDb } from "../../src/store/sql.ts";
import { openSqlite } from "../../src/store/sqlite.ts";
import { PG_SKIP_REASON, PG_URL } from "./backends.ts";

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return ok();
};

describe("numberPlaceholders", () => {
  it("numbers ? outside quotes and leaves quoted ones alone", () => {
    expect(numberPlaceholders("SELECT ? AS a, '?' AS b, \"?x\" AS c WHERE d = ? AND e = ?")).toBe(
      "SELECT $1 AS a, '?' AS b, \"?x\" AS c WHERE d = $2 AND e = $3",
    );
    expect(numberPlaceholders("SELECT 'it''s ?' , ?")).toBe("SELECT 'it''s ?' , $1");
  });
});

const handles: PgHandle[] = [];
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  for (const h of handles.splice(0)) await h.close();
});

async function backends(): Promise<[string, SqlDb][]> {
  const db = openSqlite(":memory:");
  closers.push(() => {
    db.close();
  });
  const list: [string, SqlDb][] = [["sqlite", new SqliteSql(db)]];
  if (!PG_SKIP_REASON) {
    const h = await openPg(PG_URL, { freshSchema: true, max: 3 });
    handles.push(h);
    list.push(["postgres", new PgSql(h.pool)]);
  } else {
    console.warn(`[sql-and-bus] postgres variant skipped: ${PG_SKIP_REASON}`);
  }
  return list;
}

describe("SqlDb on both stores", () => {
  it("runs the same statements with the same results, dialect fragments included", async () => {
    for (const [name, sql] of await backends()) {
      await sql.run("CREATE TABLE t (id INTEGER PRIMARY KEY, doc TEXT, at TEXT)");
      const json = name === "postgres" ? "doc::jsonb" : "doc";
      await sql.run("INSERT INTO t (id, doc, at) VALUES (?, ?, ?), (?, ?, ?)", [1, '{"a":{"b":"x"}}', "2026-01-01T15:59:59.999Z", 2, '{"a":{}}', "2026-01-01T16:00:00.000Z"]);
      const rows = await sql.all<{ id: number; b: string | null; day: string }>(
        `SELECT id, ${sql.dialect.json(json, "a", "b")} AS b, ${sql.dialect.day(name === "postgres" ? "at::timestamptz" : "at")} AS day FROM t ORDER BY id`,
      );
      // 16:00 UTC is midnight in China: the second row is the next day there.
      expect(rows.map((r) => ({ id: Number(r.id), b: r.b, day: r.day })), name).toEqual([
        { id: 1, b: "x", day: "2026-01-01" },
        { id: 2, b: null, day: "2026-01-02" },
      ]);
      expect((await sql.run("UPDATE t SET doc = ? WHERE id > ?", ["{}", 0])).changes, name).toBe(2);
      expect(() => sql.dialect.json("doc", "a'); DROP TABLE t; --")).toThrow(/invalid JSON path/);
    }
  });

  it("rolls a failed transaction back whole, and serialises transactions that await", async () => {
    for (const [name, sql] of await backends()) {
      await sql.run("CREATE TABLE n (k TEXT PRIMARY KEY, v INTEGER NOT NULL)");
      await expect(
        sql.transaction(async (tx) => {
          await tx.run("INSERT INTO n (k, v) VALUES (?, ?)", ["a", 1]);
          await tx.run("INSERT INTO n (k, v) VALUES (?, ?)", ["a", 2]); // duplicate key
        }),
      ).rejects.toThrow();
      expect(Number((await sql.get<{ c: number }>("SELECT COUNT(*) AS c FROM n"))?.c), name).toBe(0);
      // Ten read-modify-write transactions at once, each awaiting in the middle: none lost.
      await sql.run("INSERT INTO n (k, v) VALUES (?, ?)", ["counter", 0]);
      await Promise.all(
        Array.from({ length: 10 }, () =>
          sql.transaction(async (tx) => {
            const lock = name === "postgres" ? " FOR UPDATE" : "";
            const v = Number((await tx.get<{ v: number }>(`SELECT v FROM n WHERE k = ?${lock}`, ["counter"]))?.v);
            await new Promise((r) => setTimeout(r, 5));
            await tx.run("UPDATE n SET v = ? WHERE k = ?", [v + 1, "counter"]);
          }),
        ),
      );
      expect(Number((await sql.get<{ v: number }>("SELECT v FROM n WHERE k = ?", ["counter"]))?.v), name).toBe(10);

      // A transaction begun while another is mid-way (awaiting) is not swept into its rollback;
      // one called from inside it joins it (and goes down with it).
      let started!: () => void;
      const midway = new Promise<void>((r) => (started = r));
      const failing = sql.transaction(async (tx) => {
        await tx.run("INSERT INTO n (k, v) VALUES (?, ?)", ["doomed", 1]);
        await sql.transaction((inner) => inner.run("INSERT INTO n (k, v) VALUES (?, ?)", ["nested", 1]));
        started();
        await new Promise((r) => setTimeout(r, 30));
        throw new Error("rolled back");
      });
      await midway;
      const other = sql.transaction((tx) => tx.run("INSERT INTO n (k, v) VALUES (?, ?)", ["bystander", 1]));
      await expect(failing).rejects.toThrow("rolled back");
      await other;
      const keys = (await sql.all<{ k: string }>("SELECT k FROM n ORDER BY k")).map((r) => r.k);
      expect(keys, name).toEqual(["bystander", "counter"]);
    }
  });
});

describe.skipIf(PG_SKIP_REASON !== null)(`PgBus (LISTEN/NOTIFY)${PG_SKIP_REASON ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  it("delivers to the other processes on the same schema only, never back to the sender", async () => {
    const h = await openPg(PG_URL, { freshSchema: true, max: 3 });
    handles.push(h);
    const other = await openPg(PG_URL, { freshSchema: true, max: 2 });
    handles.push(other);
    const [one, two, elsewhere] = await Promise.all([PgBus.open(h.pool, PG_URL, h.schema), PgBus.open(h.pool, PG_URL, h.schema), PgBus.open(other.pool, PG_URL, other.schema)]);
    closers.push(() => one.close(), () => two.close(), () => elsewhere.close());
    const got: Record<string, unknown[]> = { one: [], two: [], elsewhere: [] };
    one.subscribe("referral", (d) => got.one.push(d));
    two.subscribe("referral", (d) => got.two.push(d));
    two.subscribe("live_reply", () => got.two.push("wrong topic"));
    elsewhere.subscribe("referral", (d) => got.elsewhere.push(d));

    await one.publish("referral", { id: "r-1", name: "referral.created" });
    expect(await until(() => got.two.length === 1)).toBe(true);
    // Nothing more is on its way once a later marker has reached every bus: NOTIFY delivers in
    // commit order, so an echo to the sender or a leak to the other schema would come first.
    const [probe, probeElsewhere] = await Promise.all([PgBus.open(h.pool, PG_URL, h.schema), PgBus.open(other.pool, PG_URL, other.schema)]);
    closers.push(() => probe.close(), () => probeElsewhere.close());
    const marked = new Set<string>();
    one.subscribe("marker", () => marked.add("one"));
    two.subscribe("marker", () => marked.add("two"));
    elsewhere.subscribe("marker", () => marked.add("elsewhere"));
    await Promise.all([probe.publish("marker", {}), probeElsewhere.publish("marker", {})]);
    expect(await until(() => marked.size === 3)).toBe(true);
    expect(got).toEqual({ one: [], two: [{ id: "r-1", name: "referral.created" }], elsewhere: [] });
  });

  it("reconnects after the database drops its listening connection", async () => {
    const h = await openPg(PG_URL, { freshSchema: true, max: 3 });
    handles.push(h);
    const [sender, listener] = await Promise.all([PgBus.open(h.pool, PG_URL, h.schema), PgBus.open(h.pool, PG_URL, h.schema)]);
    closers.push(() => sender.close(), () => listener.close());
    const got: unknown[] = [];
    listener.subscribe("notify", (d) => got.push(d.n));

    // An administrator (or a failover) kills every listening backend on this channel.
    const killed = await h.pool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN %' AND query LIKE $1 AND pid <> pg_backend_pid()",
      [`%${h.schema}%`],
    );
    expect(killed.rowCount).toBeGreaterThanOrEqual(2);
    // Published until the listener is back: once it is, messages arrive again.
    let n = 0;
    const ok = await until(() => {
      void sender.publish("notify", { n: ++n }).catch(() => undefined);
      return got.length > 0;
    }, 15_000);
    expect(ok).toBe(true);
  });
});
