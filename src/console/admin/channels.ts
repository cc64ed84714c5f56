// The channels page (渠道): the Wechaty login QR for an administrator to scan, the bot's
// status and the township groups with their region (editable); Telegram account links —
// a lawyer makes their own one-time code, an administrator links anyone by Telegram id.
// The channels are reached through the ChannelAdmin port (src/channel-admin.ts), never imported.

import type { FastifyInstance } from "fastify";
import type { App } from "../../app.ts";
import type { ChannelAdmin } from "../../channel-admin.ts";
import { HttpError } from "../../server/errors.ts";
import { staffOf } from "../session.ts";
import { audit, requireRole, str, type Body } from "./common.ts";
import { qrSvg } from "./qr-svg.ts";

export function channelRoutes(api: FastifyInstance, app: App, ch: ChannelAdmin): void {
  const requireTelegram = () => {
    if (!ch.telegram) throw new HttpError(409, "Telegram 渠道未启用（未设置 TELEGRAM_BOT_TOKEN）", "channel_off");
    return ch.telegram;
  };
  const requireWechaty = () => {
    if (!ch.wechaty) throw new HttpError(409, "微信群渠道未启用（未设置 WECHATY_PUPPET）", "channel_off");
    return ch.wechaty;
  };

  /** Everyone sees their own Telegram link; administrators see everything. */
  api.get("/api/console/admin/channels", async (request) => {
    const { user } = staffOf(request);
    const links = await app.telegramLinks.listLinks();
    const mine = links.find((l) => l.userId === user.id) ?? null;
    const telegram = { enabled: ch.telegram !== null, mine };
    if (user.role !== "admin") return { telegram };
    const users = await app.auth.listUsers(user.id);
    const names = new Map(users.map((u) => [u.id, u.name]));
    const qr = ch.wechaty?.currentQr() ?? null;
    return {
      telegram: {
        ...telegram,
        links: links.map((l) => ({ ...l, name: names.get(l.userId) ?? "（已删除）" })),
        people: users.filter((u) => u.active && u.role !== "admin").map((u) => ({ id: u.id, name: u.name, role: u.role })),
      },
      wechaty: ch.wechaty
        ? {
            enabled: true,
            status: await ch.wechaty.status(),
            qr: qr && { status: qr.status, at: qr.at, imageUrl: qr.imageUrl || null },
            groups: (await ch.wechaty.listGroups()).map((g) => ({ ...g, regionName: g.region ? (app.directory.regions.get(g.region)?.name ?? g.region) : null })),
          }
        : { enabled: false },
      regions: [...app.directory.regions.values()].map((r) => ({ id: r.id, name: r.name, level: r.level })),
    };
  });

  api.get("/api/console/admin/channels/wechaty/qr.svg", async (request, reply) => {
    requireRole(request, "admin");
    const qr = requireWechaty().currentQr();
    if (!qr?.qrcode) throw new HttpError(404, "当前没有待扫描的登录二维码", "no_qr");
    void reply.header("cache-control", "no-store").type("image/svg+xml");
    return qrSvg(qr.qrcode);
  });

  api.post<{ Body: Body }>("/api/console/admin/channels/wechaty/groups/region", async (request) => {
    const me = requireRole(request, "admin");
    const roomId = str(request.body, "roomId", 200);
    const region = str(request.body, "region", 200) || null;
    if (!roomId) throw new HttpError(400, "请指定微信群", "missing");
    if (region && !app.directory.regions.has(region)) throw new HttpError(400, "未知的区域", "bad_region");
    const row = await requireWechaty().setGroupRegion(roomId, region);
    if (!row) throw new HttpError(404, "没有找到该微信群", "not_found");
    await audit(app, me.id, "channel.wechaty_group_region", roomId, { region, name: row.name });
    return { group: row };
  });

  /** A lawyer's own one-time code, to send to the bot as "/link CODE". */
  api.post("/api/console/admin/channels/telegram/link-code", async (request) => {
    const { user } = staffOf(request);
    if (user.mustChangePassword) throw new HttpError(403, "请先修改初始密码", "must_change_password");
    const { code, expiresAt } = await requireTelegram().createLinkCode(user.id);
    await audit(app, user.id, "channel.telegram_link_code", user.id, { expiresAt: expiresAt.toISOString() });
    return { code, expiresAt: expiresAt.toISOString(), command: `/link ${code}` };
  });

  api.post<{ Body: Body }>("/api/console/admin/channels/telegram/link", async (request) => {
    const me = requireRole(request, "admin");
    const userId = str(request.body, "userId", 100);
    const telegramUserId = Number(str(request.body, "telegramUserId", 30) || request.body?.telegramUserId);
    if (!userId) throw new HttpError(400, "请选择账号", "missing");
    await requireTelegram().linkByAdmin(me.id, userId, telegramUserId);
    await audit(app, me.id, "channel.telegram_link", userId, { telegramUserId });
    return { ok: true };
  });

  api.post<{ Body: Body }>("/api/console/admin/channels/telegram/unlink", async (request) => {
    const { user } = staffOf(request);
    const userId = str(request.body, "userId", 100) || user.id;
    // Anyone may unlink themselves; only an administrator someone else.
    if (userId !== user.id) requireRole(request, "admin");
    const removed = await requireTelegram().unlink(userId);
    if (removed) await audit(app, user.id, "channel.telegram_unlink", userId, {});
    return { ok: true, removed };
  });
}
