// The duty list (who is on duty now, their duty topics and expertise) and the administrator's
// user page: a new account's or a reset one-time password stays in a panel until dismissed.

import { el } from "./dom.js";
import { $, api, regionName, ROLE, state, toast, topicName } from "./shared.js";

export async function renderDuty() {
  const list = $("list");
  document.querySelector(".layout").classList.remove("showing-detail");
  try {
    const { onDuty } = await api("GET", "/api/console/duty");
    list.replaceChildren(
      el("div", { class: "card" }, el("h2", { text: "当前在岗值班人员" }), onDuty.length
          ? el(
              "table",
              { id: "dutyTable" },
              el("tr", {}, el("th", { text: "姓名" }), el("th", { text: "角色" }), el("th", { text: "值班区域" }), el("th", { text: "值班话题" }), el("th", { text: "擅长" })),
              ...onDuty.map((u) =>
                el("tr", {}, el("td", { text: u.name }), el("td", { text: ROLE[u.role] }), el("td", { text: u.regions.map(regionName).join("、") }), el("td", { text: u.topics.length ? u.topics.map(topicName).join("、") : "全部话题" }), el("td", { text: u.expertise?.length ? u.expertise.map(topicName).join("、") : "—" })),
              ),
            )
          : el("p", { class: "hint", text: "当前无人值班：新工单进入督导队列。" }),
        el("p", { class: "hint", text: "值班话题决定谁能接到派单；“擅长”只是派单时的优先参考，不限制值班。" }),
      ),
    );
  } catch (err) {
    list.replaceChildren(el("p", { class: "error", text: err.message }));
  }
}

export async function renderUsers() {
  const page = $("adminView");
  const regionChecks = el("div", { class: "checks" }, ...[...state.regions].filter(([id]) => id.split(".").length <= 2).map(([id, name]) => el("label", {}, el("input", { type: "checkbox", name: "u-region", value: id }), name)));
  const topicChecks = el("div", { class: "checks" }, ...[...state.topics].map(([id, label]) => el("label", {}, el("input", { type: "checkbox", name: "u-topic", value: id }), label)));
  const result = el("p", { class: "error", role: "alert", hidden: true });
  const form = el(
    "form",
    { class: "card user-form", id: "userForm", onsubmit: (e) => void createUser(e, result) },
    el("h2", { text: "新建账号" }),
    el(
      "div",
      { class: "form-grid" },
      el("label", {}, "用户名（小写字母、数字）", el("input", { id: "u-username", required: true, autocomplete: "off" })),
      el("label", {}, "姓名", el("input", { id: "u-name", required: true, autocomplete: "off" })),
      el("label", {}, "角色", el("select", { id: "u-role" }, el("option", { value: "lawyer", text: "律师 / 村居法律顾问" }), el("option", { value: "supervisor", text: "督导" }), el("option", { value: "admin", text: "管理员" }))),
    ),
    el("fieldset", {}, el("legend", { text: "负责区域" }), regionChecks),
    el("fieldset", {}, el("legend", { text: "擅长话题（可不选）" }), el("p", { class: "hint", text: "派单时同等条件下优先派给擅长的人；不限制其值班范围。" }), topicChecks),
    el("label", { class: "inline duty-check" }, el("input", { type: "checkbox", id: "u-duty" }), "同时排入全天值班（每天 0:00-24:00，所负责区域的全部话题，之后可在值班表调整）"),
    el("p", { class: "hint", text: "初始密码由系统生成，只显示一次；对方首次登录须修改。" }),
    el("div", { class: "bar" }, el("button", { type: "submit", class: "primary", text: "创建账号" })),
    result,
  );
  const table = el("div", { class: "card" }, el("h2", { text: "账号列表" }));
  const otp = state.otp ? otpPanel(state.otp) : null;
  page.replaceChildren(...[otp, el("div", { class: "admin-grid" }, el("div", {}, table), el("div", {}, form))].filter(Boolean));
  try {
    const { users } = await api("GET", "/api/console/users");
    table.append(
      el(
        "div",
        { class: "scroll-x" },
        el(
          "table",
          { id: "usersTable" },
          el("tr", {}, el("th", { text: "姓名" }), el("th", { text: "角色" }), el("th", { text: "区域" }), el("th", { text: "擅长" }), el("th", { text: "状态" }), el("th", { text: "操作" })),
          ...users.map((u) =>
            el(
              "tr",
              {},
              el("td", { text: `${u.name}（${u.username}）` }),
              el("td", { text: ROLE[u.role] }),
              el("td", { text: u.regions.map(regionName).join("、") || "—" }),
              el("td", { text: u.topics?.length ? u.topics.map(topicName).join("、") : "—" }),
              el("td", { text: u.active ? (u.lockedUntil && Date.parse(u.lockedUntil) > Date.now() ? "已锁定" : "正常") : "已停用" }),
              el("td", { class: "row-actions" }, u.id === state.me.id ? "" : el("button", { type: "button", class: "link", onclick: () => void resetPassword(u), text: "重置密码" }), u.id === state.me.id ? "" : el("button", { type: "button", class: "link", onclick: () => void setActive(u, !u.active), text: u.active ? "停用" : "启用" })),
            ),
          ),
        ),
      ),
    );
  } catch (err) {
    table.append(el("p", { class: "error", text: err.message }));
  }
}

/** A one-time password stays on screen until dismissed, with a copy button. */
function otpPanel({ name, username, password, kind }) {
  const code = el("code", { class: "big", id: "otpValue", text: password });
  const status = el("span", { class: "hint", role: "status" });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(password);
      status.textContent = "已复制";
    } catch {
      // No clipboard permission (plain HTTP on a LAN): select it for Ctrl+C.
      getSelection().selectAllChildren(code);
      status.textContent = "已选中，请按 Ctrl+C 复制";
    }
  };
  return el(
    "section",
    { class: "card otp", id: "otpPanel", role: "region", "aria-labelledby": "otpTitle" },
    el("h2", { id: "otpTitle", text: `${name}（${username}）的${kind}` }),
    el("p", {}, "初始密码：", code, " ", el("button", { type: "button", class: "secondary", id: "otpCopy", onclick: () => void copy(), text: "复制" }), " ", status),
    el("p", { class: "hint", text: "只显示这一次，请当面或电话转告本人；对方首次登录须修改。关闭后无法再查看，只能重置。" }),
    el("button", { type: "button", class: "primary", id: "otpDismiss", onclick: () => { state.otp = null; $("otpPanel")?.remove(); }, text: "我已转告，关闭" }),
  );
}

async function createUser(e, result) {
  e.preventDefault();
  const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const regions = checked("u-region");
  result.hidden = true;
  try {
    const { user, oneTimePassword } = await api("POST", "/api/console/users", { username: $("u-username").value, name: $("u-name").value, role: $("u-role").value, regions, topics: checked("u-topic") });
    if ($("u-duty").checked) {
      // Duty covers every topic of the regions: expertise is a routing preference, not a limit.
      const schedule = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
      await api("POST", "/api/console/rota", { userId: user.id, regions, topics: [], schedule });
    }
    state.otp = { name: user.name, username: user.username, password: oneTimePassword, kind: "账号已创建" };
    await renderUsers();
  } catch (err) {
    result.hidden = false;
    result.textContent = err.message;
  }
}

async function resetPassword(u) {
  if (!confirm(`重置 ${u.name} 的密码？其登录会话将全部失效。`)) return;
  try {
    const { oneTimePassword } = await api("POST", `/api/console/users/${u.id}/reset-password`);
    state.otp = { name: u.name, username: u.username, password: oneTimePassword, kind: "密码已重置" };
    await renderUsers();
  } catch (err) {
    toast(err.message);
  }
}

async function setActive(u, active) {
  try {
    await api("POST", `/api/console/users/${u.id}`, { active });
    await renderUsers();
  } catch (err) {
    toast(err.message);
  }
}
