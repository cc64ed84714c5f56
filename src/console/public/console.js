// The lawyers' console: login (with forced password change), the tabs, and live updates (a
// server-sent event stream refreshes the queues and the open referral without reloading the
// page). The queues are in queue.js, the referral view in referral.js, saved replies in
// templates.js, lasting alerts in alerts.js, duty and users in users.js, the bureau's pages in
// admin.js and the dashboard in dashboard.js. All text from the server is inserted with
// textContent, never as HTML.

import { loadUnseen, markUnseen, setupNotifyButton } from "./alerts.js";
import { loadQueue, QUEUE_VIEWS, setupFilters } from "./queue.js";
import { renderDetail } from "./referral.js";
import { loadTemplates } from "./templates.js";
import { renderDuty, renderUsers } from "./users.js";
import { $, api, hooks, ROLE, setError, state, toast, URGENCY } from "./shared.js";

const NOTIFY = { assigned: "新工单派给您", queued: "新工单进入督导队列", emergency: "危急工单！", transferred: "有工单转交给您", returned_to_pool: "有工单退回待认领", reopened: "工单被重新打开", deadline_reminder: "工单即将超时", deadline_overdue: "工单已超时", resident_message: "居民发来新消息", delivery_failed: "回复未送达", rated: "居民已评价" };

const ADMIN_VIEWS = new Set(["rota", "knowledge", "testbench", "channels"]);
/** Referral events that leave a lasting "new" marker on the row until the lawyer opens it. */
const MARK = { "referral.created": "新工单", "referral.resident_message": "新消息", "referral.transferred": "转交", "referral.reassigned": "改派", "referral.reopened": "重开" };

function showOnly(id) {
  for (const v of ["loginView", "passwordView", "mainView"]) $(v).hidden = v !== id;
  $("logout").hidden = id === "loginView";
}

// ---------------------------------------------------------------- sign-in

function showLogin(message) {
  state.me = null;
  state.csrf = null;
  $("who").textContent = "";
  showOnly("loginView");
  setError("loginError", message);
}

hooks.sessionLost = showLogin;

function signedIn(data) {
  state.me = data.user;
  state.csrf = data.csrfToken;
  if (data.topics) state.topics = new Map(data.topics.map((t) => [t.id, t.label]));
  if (data.regions) state.regions = new Map(data.regions.map((r) => [r.id, r.name]));
  $("who").textContent = `${data.user.name}（${ROLE[data.user.role]}）`;
  if (data.mustChangePassword) {
    showOnly("passwordView");
    return;
  }
  showOnly("mainView");
  $("usersTab").hidden = data.user.role !== "admin";
  for (const b of document.querySelectorAll("#tabs [data-roles]")) b.hidden = !b.dataset.roles.split(",").includes(data.user.role);
  tabsHint();
  loadUnseen();
  setupFilters();
  setupNotifyButton();
  connectLive();
  void loadTemplates();
  void selectView(state.view);
}

$("loginForm").addEventListener("submit", async (e) => {
  e.preventDefault();
  setError("loginError", "");
  try {
    const data = await api("POST", "/api/console/login", { username: $("username").value, password: $("password").value });
    $("password").value = "";
    // The session changed: /me returns the labels too.
    signedIn({ ...(await api("GET", "/api/console/me")), csrfToken: data.csrfToken });
  } catch (err) {
    setError("loginError", err.message);
  }
});

$("passwordForm").addEventListener("submit", async (e) => {
  e.preventDefault();
  if ($("newPassword").value !== $("newPassword2").value) return setError("passwordError", "两次输入的新密码不一致");
  try {
    await api("POST", "/api/console/password", { oldPassword: $("oldPassword").value, newPassword: $("newPassword").value });
    for (const id of ["oldPassword", "newPassword", "newPassword2"]) $(id).value = "";
    setError("passwordError", "");
    signedIn(await api("GET", "/api/console/me"));
    toast("密码已修改");
  } catch (err) {
    setError("passwordError", err.message);
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await api("POST", "/api/console/logout");
  } finally {
    live?.close();
    showLogin("");
  }
});

// ---------------------------------------------------------------- queues

async function selectView(view) {
  state.view = view;
  for (const b of $("tabs").querySelectorAll("button")) {
    b.classList.toggle("on", b.dataset.view === view);
    if (b.dataset.view === view) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  $("tabs").querySelector(".on")?.scrollIntoView({ block: "nearest", inline: "nearest" });
  tabsHint();
  // The dashboard takes the whole width; its module (and ECharts) loads on first use.
  document.querySelector(".layout").hidden = view === "dashboard";
  $("dashboardView").hidden = view !== "dashboard";
  if (view === "dashboard") return (await import("./dashboard.js")).showDashboard($("dashboardView"), { api, me: state.me });
  // The bureau's pages (值班表, 知识库, 测试台, 渠道) live in admin.js and use the full width.
  const adminPage = ADMIN_VIEWS.has(view) || view === "users";
  $("adminView").hidden = !adminPage;
  document.querySelector(".layout").hidden = adminPage;
  if (view === "users") return renderUsers();
  if (adminPage) return import("./admin.js").then((m) => m.renderAdmin(view, $("adminView")));
  $("filters").hidden = !QUEUE_VIEWS.includes(view);
  if (view === "duty") return renderDuty();
  await loadQueue();
}

for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => void selectView(b.dataset.view));

/** The tab bar scrolls on a phone: say so at the edge that has more. */
function tabsHint() {
  const t = $("tabs");
  $("tabsWrap").classList.toggle("more-right", t.scrollLeft + t.clientWidth < t.scrollWidth - 2);
  $("tabsWrap").classList.toggle("more-left", t.scrollLeft > 2);
}
$("tabs").addEventListener("scroll", tabsHint, { passive: true });
addEventListener("resize", tabsHint);

// ---------------------------------------------------------------- live updates

let live = null;
let refreshTimer = null;
function connectLive() {
  live?.close();
  live = new EventSource("/api/console/events");
  const refresh = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      void loadQueue();
      if (state.selected) void renderDetail();
    }, 150);
  };
  live.addEventListener("referral", (e) => {
    const data = JSON.parse(e.data);
    if (data.event === "referral.created") toast(`新工单 ${data.number}（${URGENCY[data.urgency]}）`);
    if (MARK[data.event]) markUnseen(data, MARK[data.event]);
    refresh();
  });
  live.addEventListener("notify", (e) => {
    const data = JSON.parse(e.data);
    toast(`${NOTIFY[data.kind] ?? "工单有更新"}：${data.number}`);
    if (data.kind === "emergency") markUnseen(data, state.unseen.get(data.id)?.label ?? "新工单");
    else if (data.kind === "deadline_overdue") markUnseen(data, "超时");
  });
}

// ---------------------------------------------------------------- start

try {
  signedIn(await api("GET", "/api/console/me"));
} catch {
  showLogin("");
}