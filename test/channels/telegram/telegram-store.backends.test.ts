// TelegramStore on both stores (SQLite file, PostgreSQL schema): links, one-time codes and
// lawyers'-group posts read back the same, and a code is spent once even when two processes
// redeem it at the same moment.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramStore } from "../../../src/channels/telegram/store.ts";
import { BACKENDS, skipped, title, type Backend } from "../../store/backends.ts";

const T0 = new Date("2026-03-02T02:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const TTL = 10 * 60_000;

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("TelegramStore", name), () => {
    let b: Backend;
    let store: TelegramStore;
    beforeEach(async () => {
      b = await make();
      store = new TelegramStore(b.sql);
    });
    afterEach(async () => b.close());

    it("links one Telegram account per user, replacing either side's earlier link", async () => {
      await store.link(501, "u-wang", "u-wang", at(0));
      await store.link("502", "u-zhao", "u-admin", at(0));
      expect([await store.userFor(501), await store.userFor("501"), await store.telegramFor("u-wang")]).toEqual(["u-wang", "u-wang", "501"]);

      await store.link(501, "u-zhao", "u-admin", at(1)); // 501 moves to zhao; zhao's 502 goes
      expect([await store.userFor(501), await store.userFor(502), await store.telegramFor("u-wang"), await store.telegramFor("u-zhao")]).toEqual([
        "u-zhao",
        null,
        null,
        "501",
      ]);
      expect(await b.sql.all("SELECT telegram_user_id, user_id, linked_by FROM telegram_links")).toEqual([{ telegram_user_id: "501", user_id: "u-zhao", linked_by: "u-admin" }]);

      await store.link(503, "u-li", null, at(2));
      expect(await store.listLinks()).toEqual([
        { userId: "u-li", telegramUserId: "503", linkedAt: at(2).toISOString() },
        { userId: "u-zhao", telegramUserId: "501", linkedAt: at(1).toISOString() },
      ]);
      expect(await store.unlink("u-li")).toBe(true);

      expect(await store.unlink("u-zhao")).toBe(true);
      expect(await store.unlink("u-zhao")).toBe(false);
      expect(await store.userFor(501)).toBeNull();
    });

    it("spends a code once, not after it expires, and only the user's newest code", async () => {
      const first = await store.createCode("u-wang", at(0), TTL);
      expect(first.code).toMatch(/^\d{8}$/);
      expect(first.expiresAt).toEqual(at(10));
      const second = await store.createCode("u-wang", at(1), TTL);
      expect(await store.useCode(first.code, at(2))).toBeNull(); // replaced by the newer one
      expect(await store.useCode(` ${second.code} `, at(2))).toBe("u-wang");
      expect(await store.useCode(second.code, at(3))).toBeNull();

      const late = await store.createCode("u-zhao", at(20), TTL);
      expect(await store.useCode(late.code, at(30))).toBeNull(); // expires_at is not after now
      expect(await store.useCode("00000000", at(20))).toBeNull();
      // Stored hashed: the code itself appears nowhere.
      const rows = await b.sql.all<{ code_hash: string }>("SELECT code_hash FROM telegram_link_codes");
      expect(rows).toHaveLength(2);
      for (const r of rows) expect(r.code_hash).toMatch(/^[0-9a-f]{64}$/);
    });

    it("gives a code to exactly one of many concurrent redeemers in two processes", async () => {
      const other = new TelegramStore((await b.second()).sql);
      for (let round = 0; round < 5; round++) {
        const { code } = await store.createCode(`u-${round}`, at(0), TTL);
        const got = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).useCode(code, at(1))));
        expect(got.filter((u) => u !== null)).toEqual([`u-${round}`]);
      }
    });

    it("links from two processes (PostgreSQL) or many callers (SQLite) at once without colliding: one link per account and per user", async () => {
      // SQLite serves one process: its concurrent links come from one connection.
      const other = name === "postgres" ? new TelegramStore((await b.second()).sql) : store;
      for (let round = 0; round < 5; round++) {
        // The same Telegram account linked to different users, and one user from different accounts.
        await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).link(700 + round, `u-${round}-${i % 4}`, null, at(round))));
        await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : store).link(800 + i, `u-same-${round}`, null, at(round))));
        const links = await b.sql.all<{ telegram_user_id: string; user_id: string }>("SELECT telegram_user_id, user_id FROM telegram_links");
        expect(new Set(links.map((l) => l.telegram_user_id)).size).toBe(links.length);
        expect(new Set(links.map((l) => l.user_id)).size).toBe(links.length);
        expect(links.filter((l) => l.telegram_user_id === String(700 + round))).toHaveLength(1);
        expect(links.filter((l) => l.user_id === `u-same-${round}`)).toHaveLength(1);
      }
    });

    it("maps lawyers'-group posts to their referral, once per message, oldest first", async () => {
      await store.recordPost(-1001, 12, "ref-a", at(1));
      await store.recordPost("-1001", 9, "ref-a", at(1));
      await store.recordPost(-1001, 3, "ref-a", at(0));
      await store.recordPost(-1001, 12, "ref-b", at(2)); // the same post again: ignored
      await store.recordPost(-2002, 4_000_000_000, "ref-a", at(0)); // beyond 32 bits
      expect(await store.referralForPost(-1001, 12)).toBe("ref-a");
      expect(await store.referralForPost("-1001", 9)).toBe("ref-a");
      expect(await store.referralForPost(-1001, 99)).toBeNull();
      expect(await store.postsFor("ref-a", -1001)).toEqual([3, 9, 12]);
      expect(await store.postsFor("ref-a", -2002)).toEqual([4_000_000_000]);
      expect(await store.postsFor("ref-b", -1001)).toEqual([]);
    });
  });
});
