// A lawyer's reply is two writes: the thread's history with the outbox (one transaction),
// then the referral's timeline. A process that dies between them leaves a reply the resident
// will get but the timeline does not show: recovery records it, once, on both stores, and
// leaves replies that were recorded (or are under a minute old, maybe mid-way elsewhere) alone.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { dropSchema, randomTestSchema } from "../../src/store/pg/pool.ts";
import { PG_SKIP_REASON, PG_URL } from "../store/backends.ts";
import { LABOUR_LAW } from "../server/helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function openApp(store: "sqlite" | "postgres", now: () => Date, shared?: { dir: string; schema: string | null }): Promise<{ app: App; dir: string; schema: string | null }> {
  const dir = shared?.dir ?? mkdtempSync(join(tmpdir(), "lawdesk-reply-"));
  if (!shared) {
    mkdirSync(join(dir, "laws"));
    writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  }
  const schema = store === "postgres" ? (shared?.schema ?? randomTestSchema()) : null;
  if (schema && !shared) cleanups.push(() => dropSchema(PG_URL, schema));
  const env: Record<string, string> = { LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LOG_LEVEL: "silent" };
  if (schema) Object.assign(env, { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, DATABASE_POOL_MAX: "3" });
  const app = await createApp(loadConfig(env as NodeJS.ProcessEnv, dir), { log: createLogger("silent"), now });
  cleanups.push(() => app.close());
  return { app, dir, schema };
}

for (const store of ["sqlite", "postgres"] as const) {
  const skip = store === "postgres" && PG_SKIP_REASON !== null;
  describe.skipIf(skip)(`reply recovery (${store})${skip ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
    it("records a reply the timeline missed, once, and nothing else", async () => {
      const t0 = Date.now();
      const { app, dir, schema } = await openApp(store, () => new Date());
      await app.auth.ensureAdmin({ password: "Admin-Passw0rd-2026" });
      const user = await app.sql.get<{ id: string }>("SELECT id FROM users WHERE username = ?", ["admin"]);

      // A resident asks for a person; the referral is created and claimed.
      await app.core.receive({ channel: "web", threadKey: "web-r1", senderKey: "web-r1", text: "转人工 工伤认定想找律师", platformMessageId: "p-1", receivedAt: new Date() });
      let referral: { id: string; number: string; thread_id: string } | undefined;
      for (let i = 0; i < 100 && !referral; i++) {
        referral = await app.sql.get("SELECT id, number, thread_id FROM referrals WHERE summary = ?", ["转人工 工伤认定想找律师"]);
        if (!referral) await new Promise((r) => setTimeout(r, 20));
      }
      expect(referral).toBeDefined();
      await app.referrals.claim(referral!.id, user!.id);

      // A reply made normally, and one whose process died after the history/outbox write
      // (written two minutes ago, with the meta the service gives it, no timeline event).
      await app.referrals.reply(referral!.id, user!.id, "正常回复：请带上病历。");
      const lost = await app.conversations.addLawyerReply(Number(referral!.thread_id), user!.id, "崩溃前的回复：请先申请工伤认定。", new Date(t0 - 120_000), {
        outboxText: "【值班律师】崩溃前的回复：请先申请工伤认定。",
        meta: { referralId: referral!.id, number: referral!.number, userId: user!.id },
      });
      // And one under a minute old: maybe still being written by another process.
      const young = await app.conversations.addLawyerReply(Number(referral!.thread_id), user!.id, "刚写的回复", new Date(t0 - 10_000), {
        meta: { referralId: referral!.id, number: referral!.number, userId: user!.id },
      });

      expect(await app.sql.all("SELECT outbox_id FROM referral_events WHERE referral_id = ? AND kind = 'reply'", [referral!.id])).toHaveLength(1);

      // "Restart": recovery records the lost reply, not the young one, and not twice.
      expect((await app.recover()).replies).toBe(1);
      expect((await app.recover()).replies).toBe(0);
      const outboxIds = (await app.sql.all<{ outbox_id: string }>("SELECT outbox_id FROM referral_events WHERE referral_id = ? AND kind = 'reply' ORDER BY id", [referral!.id])).map((e) => e.outbox_id);
      expect(outboxIds).toHaveLength(2);
      expect(outboxIds).toContain(String(lost.outbox.id));
      expect(outboxIds).not.toContain(String(young.outbox.id));
      const row = await app.sql.get<{ status: string }>("SELECT status FROM referrals WHERE id = ?", [referral!.id]);
      expect(row?.status).toBe("replied");

      // A minute later (another process's clock), the young one is recorded too; still once each.
      const later = await openApp(store, () => new Date(Date.now() + 120_000), { dir, schema });
      expect((await later.app.recover()).replies).toBe(1);
      expect((await later.app.recover()).replies).toBe(0);
      const all = await app.sql.all<{ outbox_id: string }>("SELECT outbox_id FROM referral_events WHERE referral_id = ? AND kind = 'reply'", [referral!.id]);
      expect(all.map((e) => e.outbox_id).sort()).toEqual([...outboxIds, String(young.outbox.id)].sort());
      // The resident's history holds each reply once.
      const history = await app.conversations.listMessages(Number(referral!.thread_id));
      expect(history.filter((m) => m.role === "lawyer").map((m) => m.text).sort()).toEqual(["刚写的回复", "崩溃前的回复：请先申请工伤认定。", "正常回复：请带上病历。"].sort());
    });
  });
}
