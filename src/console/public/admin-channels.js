// 渠道: the Wechaty login QR code and the groups' regions, and Telegram account links.

import { el } from "./dom.js";
import { card } from "./admin-shared.js";
import { api, ROLE, state, toast } from "./shared.js";

export async function channelsPage(root) {
  const data = await api("GET", "/api/console/admin/channels");
  const isAdmin = state.me.role === "admin";
  const parts = [];

  if (isAdmin && data.wechaty) {
    const w = data.wechaty;
    if (!w.enabled) parts.push(card("乡镇微信群（Wechaty）", el("p", { class: "hint", text: "未启用：设置 WECHATY_PUPPET（及 puppet 服务的令牌）后重启服务。" })));
    else {
      const st = w.status;
      const qr = w.qr
        ? el(
            "div",
            { class: "qr" },
            el("img", { src: `/api/console/admin/channels/wechaty/qr.svg?t=${encodeURIComponent(w.qr.at)}`, alt: "微信登录二维码", width: "220", height: "220", id: "wechatyQr" }),
            el("p", { class: "hint", text: `请用机器人的微信（或企业微信）扫码登录 · 状态：${{ waiting: "等待扫码", scanned: "已扫码，请在手机上确认", confirmed: "已确认", timeout: "已过期，请刷新", cancel: "已取消" }[w.qr.status] ?? w.qr.status}` }),
            w.qr.imageUrl ? el("a", { href: w.qr.imageUrl, target: "_blank", rel: "noopener", text: "二维码显示不出来？打开图片链接" }) : null,
          )
        : null;
      const regionOptions = (selected) => [el("option", { value: "", text: "（未对应区域）" }), ...data.regions.map((r) => el("option", { value: r.id, text: `${"　".repeat(r.level === "village" ? 2 : r.level === "township" ? 1 : 0)}${r.name}`, selected: r.id === selected }))];
      const groups = w.groups.length
        ? el(
            "table",
            {},
            el("tr", {}, el("th", { text: "微信群" }), el("th", { text: "对应区域" }), el("th", { text: "操作" })),
            ...w.groups.map((g) => {
              const sel = el("select", {}, ...regionOptions(g.region));
              return el(
                "tr",
                { class: g.active ? "" : "inactive" },
                el("td", {}, el("b", { text: g.name }), g.active ? null : el("span", { class: "tag", text: "已退出" })),
                el("td", {}, sel),
                el("td", {}, el("button", { type: "button", class: "link", text: "保存", onclick: async () => {
                  try {
                    await api("POST", "/api/console/admin/channels/wechaty/groups/region", { roomId: g.groupKey, region: sel.value || null });
                    toast(`已将「${g.name}」对应到 ${sel.value ? sel.selectedOptions[0].textContent.trim() : "（无）"}`);
                  } catch (err) {
                    toast(err.message);
                  }
                } })),
              );
            }),
          )
        : el("p", { class: "hint", text: "机器人还没有加入任何微信群。" });
      parts.push(card("乡镇微信群（Wechaty）", el("p", {}, st.loggedIn ? `已登录：${st.account ?? ""} · 所在群 ${st.groups} 个` : "未登录"), qr, el("h3", { text: "群与区域（决定工单派给哪个乡镇、村的值班律师）" }), el("div", { class: "scroll-x" }, groups)));
    }
  }

  const tg = data.telegram;
  if (!tg.enabled) parts.push(card("Telegram", el("p", { class: "hint", text: "未启用：设置 TELEGRAM_BOT_TOKEN 后重启服务。" })));
  else {
    const codeBox = el("div", { id: "linkCode" });
    const mine = card(
      "我的 Telegram 绑定",
      el("p", { text: tg.mine ? `已绑定 Telegram 用户 ${tg.mine.telegramUserId}` : "尚未绑定。绑定后可在律师群里认领和回复工单。" }),
      el("div", { class: "bar" }, el("button", { type: "button", class: "primary", id: "makeCode", text: "生成绑定码", onclick: async () => {
        try {
          const r = await api("POST", "/api/console/admin/channels/telegram/link-code");
          codeBox.replaceChildren(el("p", {}, "在 Telegram 里私聊机器人，发送：", el("code", { class: "big", text: r.command })), el("p", { class: "hint", text: `10 分钟内有效（至 ${new Date(r.expiresAt).toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai" })}），只能用一次。` }));
        } catch (err) {
          toast(err.message);
        }
      } }), tg.mine ? el("button", { type: "button", class: "secondary", text: "解除绑定", onclick: async () => {
        await api("POST", "/api/console/admin/channels/telegram/unlink", {}).catch((e) => toast(e.message));
        await channelsPage(root);
      } }) : null),
      codeBox,
    );
    parts.push(mine);
    if (isAdmin) {
      const person = el("select", { id: "linkUser" }, ...tg.people.map((p) => el("option", { value: p.id, text: `${p.name}（${ROLE[p.role]}）` })));
      const tgId = el("input", { id: "linkTelegramId", inputmode: "numeric", placeholder: "Telegram 用户数字 ID" });
      parts.push(
        card(
          "Telegram 账号绑定（管理员）",
          tg.links.length
            ? el("table", {}, el("tr", {}, el("th", { text: "账号" }), el("th", { text: "Telegram 用户 ID" }), el("th", { text: "操作" })), ...tg.links.map((l) => el("tr", {}, el("td", { text: l.name }), el("td", { text: l.telegramUserId }), el("td", {}, el("button", { type: "button", class: "link", text: "解除", onclick: async () => {
                await api("POST", "/api/console/admin/channels/telegram/unlink", { userId: l.userId }).catch((e) => toast(e.message));
                await channelsPage(root);
              } })))))
            : el("p", { class: "hint", text: "还没有账号绑定 Telegram。" }),
          el("div", { class: "bar" }, person, tgId, el("button", { type: "button", class: "primary", text: "绑定", onclick: async () => {
            try {
              await api("POST", "/api/console/admin/channels/telegram/link", { userId: person.value, telegramUserId: tgId.value.trim() });
              toast("已绑定");
              await channelsPage(root);
            } catch (err) {
              toast(err.message);
            }
          } })),
        ),
      );
    }
  }
  root.replaceChildren(el("div", { class: "admin-cards" }, ...parts));
}
