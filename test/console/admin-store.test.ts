// The admin pages' own reads and writes through app.sql, on both stores: the Telegram link
// list of the channels page and the audit entry every administrative action leaves.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { audit } from "../../src/console/admin/common.ts";
import { sqlValue } from "../../src/store/sql.ts";
import { BACKENDS, skipped, title } from "../store/backends.ts";
import { ADMIN_PASSWORD, Client } from "../server/helpers.ts";
import { startDashboardServer, type DashboardServer } from "./dashboard-seed.ts";

for (const [backend] of BACKENDS) {
  describe.skipIf(skipped(backend))(title("admin pages over app.sql", backend), () => {
    let t: DashboardServer;
    let admin: Client;
    let adminId: string;

    beforeAll(async () => {
      t = await startDashboardServer(backend);
      admin = new Client(t.base);
      const res = await admin.login("admin", ADMIN_PASSWORD);
      expect(res.status).toBe(200);
      adminId = String((await t.app.sql.get("SELECT id FROM users WHERE username = ?", ["admin"]))!.id);
    }, 60_000);
    afterAll(async () => t?.close());

    test("the store the app runs on", () => {
      expect(t.app.sql.dialect.name).toBe(backend);
    });

    test("Telegram links, newest first, with names and ISO times", async () => {
      const link = (telegramUserId: string, userId: string, at: string) =>
        t.app.sql.run("INSERT INTO telegram_links (telegram_user_id, user_id, linked_at, linked_by) VALUES (?, ?, ?, ?)", [telegramUserId, userId, at, null]);
      await link("1001", adminId, "2026-02-01T08:00:00.000Z");
      await link("1002", "u-gone", "2026-02-03T08:00:00.000Z");
      const res = await admin.get("/api/console/admin/channels");
      expect(res.status).toBe(200);
      expect(res.body.telegram).toMatchObject({
        enabled: false,
        mine: { userId: adminId, telegramUserId: "1001", linkedAt: "2026-02-01T08:00:00.000Z" },
        links: [
          { userId: "u-gone", telegramUserId: "1002", linkedAt: "2026-02-03T08:00:00.000Z", name: "（已删除）" },
          { userId: adminId, telegramUserId: "1001", linkedAt: "2026-02-01T08:00:00.000Z", name: "系统管理员" },
        ],
      });
    });

    test("audit entries land in the append-only log, NUL and all", async () => {
      await audit(t.app, adminId, "channel.wechaty_group_region", "room-1", { region: "qinghe.dongzhen", name: "东镇\u0000群" });
      const rows = await t.app.sql.all("SELECT at, actor_id, action, target_type, target_id, detail FROM audit_log WHERE action = ?", ["channel.wechaty_group_region"]);
      expect(rows).toHaveLength(1);
      const r = rows[0];
      expect([r.actor_id, r.target_type, r.target_id]).toEqual([adminId, "system", "room-1"]);
      expect(Date.now() - Date.parse(sqlValue.iso(r.at)!)).toBeLessThan(60_000);
      // PostgreSQL's JSONB cannot hold NUL: it becomes U+FFFD there; SQLite keeps it.
      expect(sqlValue.json(r.detail)).toEqual({ region: "qinghe.dongzhen", name: backend === "postgres" ? "东镇\uFFFD群" : "东镇\u0000群" });
    });
  });
}
