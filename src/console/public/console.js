// The lawyers' console: login (with forced password change), queues, the referral view
// with its actions, saved replies, duty list and user administration. Live: a server-sent
// event stream refreshes the queues and the open referral without reloading the page.
// All text from the server is inserted with textContent, never as HTML.

import { el } from "./dom.js";
const $ = (id) => document.getElementById(id);

const STATUS = { open: "待认领", claimed: "已认领", replied: "已回复", closed: "已办结", transferred: "已转交", reopened: "重新打开" };
const URGENCY = { normal: "一般", urgent: "紧急", emergency: "危急" };
const REASON = { low_confidence: "机器人没有把握", asked_human: "居民要求人工", emergency: "紧急情况", dissatisfied: "居民不满意", always_lawyer: "须律师处理", llm_failed_check: "模型答复未通过核验", system_error: "系统错误" };
const CHANNEL = { web: "网页咨询", wechat_oa: "微信公众号", wechaty: "乡镇微信群", telegram: "Telegram", cli: "终端", eval: "评测" };
const ROLE = { lawyer: "律师", supervisor: "督导", admin: "管理员" };
const WHO = { resident: "居民", bot: "机器人", lawyer: "律师", system: "系统" };
const EVENT = { created: "创建工单", assigned: "派单", queued: "无人值班，进入督导队列", claimed: "认领", transferred: "转交", reassigned: "改派", handed_back: "交还机器人", reply: "回复居民", note: "内部备注", closed: "办结", reopened: "重新打开", rating_requested: "请居民评价", rated: "居民评价", reminder: "期限提醒", overdue: "已超时，已报督导", resident_message: "居民新消息", delivery: "送达结果", redacted: "已按期脱敏" };
const DELIVERY = { pending: "发送中", sent: "已送达", failed: "发送失败，系统重试中", undelivered: "未送达——请电话回拨居民" };
const NOTIFY = { assigned: "新工单派给您", queued: "新工单进入督导队列", emergency: "危急工单！", transferred: "有工单转交给您", returned_to_pool: "有工单退回待认领", reopened: "工单被重新打开", deadline_reminder: "工单即将超时", deadline_overdue: "工单已超时", resident_message: "居民发来新消息", delivery_failed: "回复未送达", rated: "居民已评价" };

const ADMIN_VIEWS = new Set(["rota", "knowledge", "testbench", "channels"]);
const state = { me: null, csrf: null, view: "mine", selected: null, topics: new Map(), regions: new Map(), templates: [], staff: [] };

// ---------------------------------------------------------------- helpers


const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }) : "—");
const fmtMinutes = (m) => (m < 60 ? `${m}分钟` : m < 1440 ? `${Math.floor(m / 60)}小时${m % 60 ? `${m % 60}分` : ""}` : `${Math.floor(m / 1440)}天${Math.floor((m % 1440) / 60)}小时`);
const topicName = (id) => state.topics.get(id) ?? id;
const regionName = (id) => (id ? (state.regions.get(id) ?? id) : "未知区域");

class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `请求失败（${status}）`);
    this.status = status;
    this.code = body.code;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["x-csrf-token"] = state.csrf;
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && !path.endsWith("/login") && !path.endsWith("/password")) {
    showLogin("登录已过期，请重新登录");
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

let toastTimer;
function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 6000);
}

function showOnly(id) {
  for (const v of ["loginView", "passwordView", "mainView"]) $(v).hidden = v !== id;
  $("logout").hidden = id === "loginView";
}

function setError(id, text) {
  $(id).hidden = !text;
  $(id).textContent = text || "";
}

// ---------------------------------------------------------------- sign-in

function showLogin(message) {
  state.me = null;
  state.csrf = null;
  $("who").textContent = "";
  showOnly("loginView");
  setError("loginError", message);
}

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
  for (const b of $("tabs").querySelectorAll("button")) b.classList.toggle("on", b.dataset.view === view);
  // The dashboard takes the whole width; its module (and ECharts) loads on first use.
  document.querySelector(".layout").hidden = view === "dashboard";
  $("dashboardView").hidden = view !== "dashboard";
  if (view === "dashboard") return (await import("./dashboard.js")).showDashboard($("dashboardView"), { api, me: state.me });
  // The bureau's pages (值班表, 知识库, 测试台, 渠道) live in admin.js and use the full width.
  const adminPage = ADMIN_VIEWS.has(view);
  $("adminView").hidden = !adminPage;
  document.querySelector(".layout").hidden = adminPage;
  if (adminPage) return import("./admin.js").then((m) => m.renderAdmin(view, $("adminView"), { api, el, toast, state, regionName, topicName, ROLE, CHANNEL, REASON }));
  if (view === "duty") return renderDuty();
  if (view === "users") return renderUsers();
  await loadQueue();
}

for (const b of $("tabs").querySelectorAll("button")) b.addEventListener("click", () => void selectView(b.dataset.view));

function queueRow(r) {
  const left = r.minutesLeft === null ? null : r.overdue ? el("span", { class: "overdue", text: `已超时 ${fmtMinutes(-r.minutesLeft)}` }) : el("span", { text: `剩余 ${fmtMinutes(r.minutesLeft)}` });
  return el(
    "button",
    { type: "button", class: `row u-${r.urgency} ${state.selected === r.id ? "sel" : ""}`, "data-id": r.id, onclick: () => void openReferral(r.id) },
    el("div", { class: "line1" }, el("strong", { text: r.number }), el("span", { class: `tag urgency-${r.urgency}`, text: URGENCY[r.urgency] }), el("span", { text: STATUS[r.status] })),
    el("div", { class: "summary", text: r.summary || "（无摘要）" }),
    el(
      "div",
      { class: "line3" },
      el("span", { text: `${topicName(r.topic)} · ${regionName(r.region)} · ${CHANNEL[r.channel] ?? r.channel}` }),
      el("span", { text: `已等待 ${fmtMinutes(r.waitingMinutes)}` }),
      el("span", { text: `期限 ${fmtTime(r.deadline)}` }),
      left,
      r.ownerName ? el("span", { text: `负责人 ${r.ownerName}` }) : r.assigneeName ? el("span", { text: `派给 ${r.assigneeName}` }) : null,
      r.rating ? el("span", { text: `评分 ${"★".repeat(r.rating)}` }) : null,
    ),
  );
}

async function loadQueue() {
  if (!["mine", "unclaimed", "overdue", "closed"].includes(state.view)) return;
  const list = $("list");
  try {
    const { rows } = await api("GET", `/api/console/queue?view=${state.view}`);
    list.replaceChildren(...(rows.length ? rows.map(queueRow) : [el("p", { class: "empty", text: "暂无工单" })]));
  } catch (err) {
    list.replaceChildren(el("p", { class: "error", text: err.message }));
  }
  void loadCounts();
}

async function loadCounts() {
  for (const view of ["mine", "unclaimed", "overdue"]) {
    api("GET", `/api/console/queue?view=${view}`)
      .then(({ rows }) => ($(`count-${view}`).textContent = rows.length ? String(rows.length) : ""))
      .catch(() => {});
  }
}

// ---------------------------------------------------------------- one referral

async function openReferral(id) {
  state.selected = id;
  for (const r of $("list").querySelectorAll(".row")) r.classList.toggle("sel", r.dataset.id === id);
  document.querySelector(".layout").classList.add("showing-detail");
  await renderDetail();
}

// A live update re-renders the referral; what the lawyer was doing (typed text, an opened
// section, the caret) must survive it, or a close form snaps shut under their cursor.
function keepWork() {
  const box = $("detail");
  const drafts = {};
  for (const t of box.querySelectorAll("textarea[name], input[name], select[name]")) drafts[t.name] = t.value;
  const open = [...box.querySelectorAll("details[open] > summary")].map((s) => s.textContent);
  const f = document.activeElement;
  const focus = f && box.contains(f) && f.name ? { name: f.name, start: f.selectionStart, end: f.selectionEnd } : null;
  return { drafts, open, focus };
}

function restoreWork(box, { drafts, open, focus }) {
  for (const [name, value] of Object.entries(drafts)) {
    const f = box.querySelector(`[name="${name}"]`);
    if (f && value) f.value = value;
  }
  for (const s of box.querySelectorAll("details > summary")) if (open.includes(s.textContent)) s.parentElement.open = true;
  const f = focus && box.querySelector(`[name="${focus.name}"]`);
  if (f) {
    f.focus();
    try {
      if (typeof focus.start === "number") f.setSelectionRange(focus.start, focus.end);
    } catch {
      // Not a text field: focus alone is enough.
    }
  }
}

let pendingTimer = null;
async function renderDetail() {
  const id = state.selected;
  if (!id) return;
  const box = $("detail");
  let d;
  try {
    d = await api("GET", `/api/console/referrals/${encodeURIComponent(id)}`);
  } catch (err) {
    box.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  if (state.selected !== id) return;
  const work = keepWork();
  const r = d.referral;
  const header = el(
    "div",
    { class: "card" },
    el("h2", {}, el("button", { type: "button", class: "secondary back", onclick: () => document.querySelector(".layout").classList.remove("showing-detail"), text: "← 返回" }), `工单 ${r.number}`, el("span", { class: `tag urgency-${r.urgency}`, text: URGENCY[r.urgency] }), el("span", { class: "tag", text: STATUS[r.status] })),
    el(
      "div",
      { class: "meta" },
      el("div", {}, el("span", { text: "来源" }), CHANNEL[r.channel] ?? r.channel),
      el("div", {}, el("span", { text: "区域" }), regionName(r.region)),
      el("div", {}, el("span", { text: "话题" }), topicName(r.topic)),
      el("div", {}, el("span", { text: "转人工原因" }), REASON[r.reason] ?? r.reason),
      el("div", {}, el("span", { text: "创建" }), fmtTime(r.createdAt)),
      el("div", {}, el("span", { text: "答复期限" }), fmtTime(r.responseDue)),
      el("div", {}, el("span", { text: "已等待" }), fmtMinutes(r.waitingMinutes)),
      r.minutesLeft !== null ? el("div", { class: r.overdue ? "overdue" : "" }, el("span", { text: "剩余" }), r.overdue ? `已超时 ${fmtMinutes(-r.minutesLeft)}` : fmtMinutes(r.minutesLeft)) : null,
      el("div", {}, el("span", { text: "负责人" }), r.ownerName ?? "（未认领）"),
      r.assigneeName ? el("div", {}, el("span", { text: "派给" }), r.assigneeName) : null,
      r.outcome ? el("div", {}, el("span", { text: "处理结果" }), r.outcome) : null,
      r.rating ? el("div", {}, el("span", { text: "居民评分" }), `${"★".repeat(r.rating)}${r.ratingComment ? `（${r.ratingComment}）` : ""}`) : null,
    ),
    d.undelivered ? el("div", { class: "alert", text: `有 ${d.undelivered} 条回复未能送达居民，请电话回拨或改用其他方式联系。` }) : null,
  );

  const chat = el("div", { class: "chat" }, ...d.history.map((h) => el("div", { class: `bubble ${h.role}` }, el("span", { class: "who", text: `${WHO[h.role]} · ${fmtTime(h.at)}` }), h.text)));
  const conversation = el("div", { class: "card" }, el("h3", { text: "对话记录" }), d.history.length ? chat : el("p", { class: "hint", text: "（无记录）" }));

  const findings = el(
    "div",
    { class: "card" },
    el("h3", { text: "机器人找到的依据" }),
    ...d.findings.articles.map((a) =>
      el(
        "div",
        { class: "finding" },
        el("strong", { text: `《${a.law}》${a.article}` }),
        " ",
        el("span", { class: "tag", text: a.status }),
        ` 相关度 ${a.score.toFixed(2)} `,
        el("button", { type: "button", class: "link", onclick: () => void showArticle(a.id), text: "查看全文" }),
        a.excerpt ? el("div", { class: "excerpt", text: `${a.excerpt}…` }) : null,
      ),
    ),
    ...d.findings.guides.map((g) =>
      el("div", { class: "finding" }, "办事指南：", el("strong", { text: g.title }), ` 相关度 ${g.score.toFixed(2)} `, el("button", { type: "button", class: "link", onclick: () => void showGuide(g.id), text: "查看指南" })),
    ),
    d.findings.articles.length + d.findings.guides.length === 0 ? el("p", { class: "hint", text: "机器人没有找到相关条文或指南。" }) : null,
  );

  const timeline = el(
    "div",
    { class: "card" },
    el("h3", { text: "工单记录" }),
    el(
      "ul",
      { class: "timeline" },
      ...d.events.map((e) =>
        el(
          "li",
          { class: e.kind === "note" ? "note" : "" },
          el("span", { class: "at", text: fmtTime(e.at) }),
          el("strong", { text: EVENT[e.kind] ?? e.kind }),
          e.actor ? ` · ${e.actor}` : "",
          e.to ? ` → ${e.to}` : "",
          e.kind === "rated" && e.detail.stars ? ` ${"★".repeat(e.detail.stars)}` : "",
          e.kind === "delivery" ? ` ${DELIVERY[e.detail.status] ?? e.detail.status}` : "",
          e.delivery ? el("span", { class: `delivery-${e.delivery}`, text: ` 【${DELIVERY[e.delivery]}】` }) : null,
          e.text ? el("span", { class: "text", text: e.text }) : null,
        ),
      ),
    ),
  );

  box.replaceChildren(header, conversation, findings, actionsCard(d), timeline);
  // A successful delivery raises no referral event: look again while a reply is still in flight.
  clearTimeout(pendingTimer);
  if (d.events.some((e) => e.delivery === "pending")) pendingTimer = setTimeout(() => void renderDetail(), 2000);
  restoreWork(box, work);
}

async function act(path, body, done) {
  try {
    await api("POST", `/api/console/referrals/${encodeURIComponent(state.selected)}/${path}`, body);
    if (done) toast(done);
    for (const f of $("detail").querySelectorAll("textarea[name], input[name]")) f.value = "";
    await Promise.all([renderDetail(), loadQueue()]);
  } catch (err) {
    toast(err.message);
  }
}

function actionsCard(d) {
  const a = d.actions;
  const card = el("div", { class: "card actions" }, el("h3", { text: "处理" }));
  if (a.claim) card.append(el("div", { class: "bar" }, el("button", { type: "button", class: "primary", id: "claimBtn", onclick: () => void act("claim", {}, "已认领：您负责此工单直至办结或转交"), text: "认领（首问负责）" })));
  if (a.reply) {
    const text = el("textarea", { name: "reply", id: "replyText", placeholder: "给居民的回复（会发送到居民提问的渠道）", maxlength: "4000" });
    const pick = el("select", { "aria-label": "常用回复", onchange: (e) => { const t = state.templates.find((x) => x.id === e.target.value); if (t) text.value = t.body; e.target.value = ""; } }, el("option", { value: "", text: "插入常用回复…" }), ...state.templates.map((t) => el("option", { value: t.id, text: t.title })));
    card.append(
      text,
      el(
        "div",
        { class: "bar" },
        el("button", { type: "button", class: "primary", id: "replyBtn", onclick: () => void act("reply", { text: text.value }, "回复已发送"), text: "发送回复" }),
        pick,
        el("button", { type: "button", class: "secondary", onclick: () => void saveTemplate(text.value), text: "存为常用回复" }),
      ),
    );
  }
  if (!a.claim && !a.reply && !a.close && !a.reopen) card.append(el("p", { class: "hint", text: d.referral.status === "closed" ? "工单已办结。" : "此工单由他人负责，您可以查看和添加内部备注。" }));
  if (a.close) {
    const outcome = el("textarea", { name: "outcome", id: "outcomeText", placeholder: "处理结果（必填，例如：已电话解答，建议申请劳动仲裁）" });
    card.append(el("details", {}, el("summary", { text: "办结工单" }), outcome, el("div", { class: "bar" }, el("button", { type: "button", class: "primary", id: "closeBtn", onclick: () => void act("close", { outcome: outcome.value }, "已办结，已请居民评价"), text: "办结并请居民评价" }))));
  }
  if (a.transfer) {
    const to = el("select", { name: "transferTo" }, el("option", { value: "", text: "退回待认领（值班池）" }), ...state.staff.filter((s) => s.id !== state.me.id).map((s) => el("option", { value: s.id, text: `${s.name}（${ROLE[s.role]}）` })));
    const note = el("textarea", { name: "transferNote", placeholder: "转交说明（必填：原因、已做的工作）" });
    card.append(el("details", { ontoggle: () => void loadStaff(to) }, el("summary", { text: "转交" }), to, note, el("div", { class: "bar" }, el("button", { type: "button", class: "secondary", onclick: () => void act("transfer", { to: to.value || null, note: note.value }, "已转交"), text: "确认转交" }))));
  }
  if (a.hand_back) card.append(el("details", {}, el("summary", { text: "交还机器人" }), el("p", { class: "hint", text: "机器人将重新回答居民的新消息；工单仍由您负责直至办结。" }), el("button", { type: "button", class: "secondary", onclick: () => void act("hand-back", {}, "已交还机器人"), text: "交还机器人" })));
  if (a.reopen) {
    const reason = el("textarea", { name: "reopenReason", placeholder: "重新打开的原因（必填）" });
    card.append(el("details", {}, el("summary", { text: "重新打开" }), reason, el("button", { type: "button", class: "secondary", onclick: () => void act("reopen", { reason: reason.value }, "已重新打开"), text: "重新打开" })));
  }
  const note = el("textarea", { name: "note", placeholder: "内部备注（居民看不到）" });
  card.append(el("details", {}, el("summary", { text: "内部备注" }), note, el("button", { type: "button", class: "secondary", onclick: () => void act("notes", { text: note.value }, "备注已保存"), text: "保存备注" })));
  return card;
}

async function loadStaff(select) {
  try {
    const { staff } = await api("GET", "/api/console/duty");
    state.staff = staff;
    const current = select.value;
    select.replaceChildren(el("option", { value: "", text: "退回待认领（值班池）" }), ...staff.filter((s) => s.id !== state.me.id).map((s) => el("option", { value: s.id, text: `${s.name}（${ROLE[s.role]}）` })));
    select.value = current;
  } catch {
    /* keep the pool option */
  }
}

async function loadTemplates() {
  try {
    state.templates = (await api("GET", "/api/console/templates")).templates;
  } catch {
    state.templates = [];
  }
}

async function saveTemplate(body) {
  if (!body.trim()) return toast("请先在回复框里写好内容");
  const title = prompt("常用回复的标题", body.trim().slice(0, 12));
  if (!title) return;
  try {
    await api("POST", "/api/console/templates", { title, body });
    await loadTemplates();
    toast("已存为常用回复");
    await renderDetail();
  } catch (err) {
    toast(err.message);
  }
}

function showDoc(title, meta, body) {
  $("docTitle").textContent = title;
  $("docMeta").textContent = meta;
  $("docBody").textContent = body;
  $("docDialog").showModal();
}

async function showArticle(id) {
  try {
    const a = await api("GET", `/api/console/articles/${encodeURIComponent(id)}`);
    showDoc(`《${a.law}》${a.article}`, `${a.status}${a.effective ? ` · 施行 ${a.effective}` : ""}${a.chapters?.length ? ` · ${a.chapters.join(" / ")}` : ""}`, a.text);
  } catch (err) {
    toast(err.message);
  }
}

async function showGuide(id) {
  try {
    const g = await api("GET", `/api/console/guides/${encodeURIComponent(id)}`);
    const parts = [g.body, g.steps?.length ? `办理步骤：\n${g.steps.map((s, i) => `${i + 1}. ${s}`).join("\n")}` : "", g.materials?.length ? `所需材料：${g.materials.join("、")}` : "", g.fees ? `费用：${g.fees}` : "", g.timeLimits ? `时限：${g.timeLimits}` : "", g.legalBasis?.length ? `法律依据：${g.legalBasis.map((b) => `《${b.law}》${b.article}`).join("、")}` : ""];
    showDoc(g.title, "办事指南", parts.filter(Boolean).join("\n\n"));
  } catch (err) {
    toast(err.message);
  }
}

// ---------------------------------------------------------------- duty and users

async function renderDuty() {
  const list = $("list");
  document.querySelector(".layout").classList.remove("showing-detail");
  try {
    const { onDuty } = await api("GET", "/api/console/duty");
    list.replaceChildren(
      el("div", { class: "card" }, el("h3", { text: "当前在岗值班人员" }), onDuty.length ? el("table", {}, el("tr", {}, el("th", { text: "姓名" }), el("th", { text: "角色" }), el("th", { text: "值班区域" })), ...onDuty.map((u) => el("tr", {}, el("td", { text: u.name }), el("td", { text: ROLE[u.role] }), el("td", { text: u.regions.map(regionName).join("、") })))) : el("p", { class: "hint", text: "当前无人值班：新工单进入督导队列。" })),
    );
  } catch (err) {
    list.replaceChildren(el("p", { class: "error", text: err.message }));
  }
}

async function renderUsers() {
  const list = $("list");
  document.querySelector(".layout").classList.remove("showing-detail");
  const regionChecks = el("div", { class: "checks" }, ...[...state.regions].filter(([id]) => id.split(".").length <= 2).map(([id, name]) => el("label", {}, el("input", { type: "checkbox", name: "u-region", value: id }), name)));
  const topicChecks = el("div", { class: "checks" }, ...[...state.topics].map(([id, label]) => el("label", {}, el("input", { type: "checkbox", name: "u-topic", value: id }), label)));
  const result = el("div", { class: "hint" });
  const form = el(
    "form",
    { class: "card", onsubmit: (e) => void createUser(e, result) },
    el("h3", { text: "新建账号" }),
    el("label", {}, "用户名（小写字母、数字）", el("input", { id: "u-username", required: true })),
    el("label", {}, "姓名", el("input", { id: "u-name", required: true })),
    el("label", {}, "角色", el("select", { id: "u-role" }, el("option", { value: "lawyer", text: "律师 / 村居法律顾问" }), el("option", { value: "supervisor", text: "督导" }), el("option", { value: "admin", text: "管理员" }))),
    el("label", {}, "负责区域"),
    regionChecks,
    el("label", {}, "擅长话题（可不选）"),
    topicChecks,
    el("label", {}, el("input", { type: "checkbox", id: "u-duty", style: "width:auto" }), " 同时排入全天值班（每天 0:00-24:00，之后可调整）"),
    el("p", { class: "hint", text: "初始密码由系统生成，只显示一次；对方首次登录须修改。" }),
    el("button", { type: "submit", class: "primary", text: "创建账号" }),
    result,
  );
  const table = el("div", { class: "card" }, el("h3", { text: "账号列表" }));
  list.replaceChildren(form, table);
  try {
    const { users } = await api("GET", "/api/console/users");
    table.append(
      el(
        "table",
        {},
        el("tr", {}, el("th", { text: "姓名" }), el("th", { text: "角色" }), el("th", { text: "区域" }), el("th", { text: "状态" }), el("th", { text: "" })),
        ...users.map((u) =>
          el(
            "tr",
            {},
            el("td", { text: `${u.name}（${u.username}）` }),
            el("td", { text: ROLE[u.role] }),
            el("td", { text: u.regions.map(regionName).join("、") || "—" }),
            el("td", { text: u.active ? (u.lockedUntil && Date.parse(u.lockedUntil) > Date.now() ? "已锁定" : "正常") : "已停用" }),
            el("td", {}, u.id === state.me.id ? "" : el("button", { type: "button", class: "link", onclick: () => void resetPassword(u), text: "重置密码" }), u.id === state.me.id ? "" : el("button", { type: "button", class: "link", onclick: () => void setActive(u, !u.active), text: u.active ? "停用" : "启用" })),
          ),
        ),
      ),
    );
  } catch (err) {
    table.append(el("p", { class: "error", text: err.message }));
  }
}

async function createUser(e, result) {
  e.preventDefault();
  const checked = (name) => [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  const regions = checked("u-region");
  try {
    const { user, oneTimePassword } = await api("POST", "/api/console/users", { username: $("u-username").value, name: $("u-name").value, role: $("u-role").value, regions, topics: checked("u-topic") });
    if ($("u-duty").checked) {
      const schedule = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
      await api("POST", "/api/console/rota", { userId: user.id, regions, topics: checked("u-topic"), schedule });
    }
    await renderUsers();
    toast(`已创建 ${user.name}（${user.username}），初始密码：${oneTimePassword}（只显示这一次，请转告本人）`);
  } catch (err) {
    result.textContent = err.message;
  }
}

async function resetPassword(u) {
  if (!confirm(`重置 ${u.name} 的密码？其登录会话将全部失效。`)) return;
  try {
    const { oneTimePassword } = await api("POST", `/api/console/users/${u.id}/reset-password`);
    toast(`${u.name} 的新初始密码：${oneTimePassword}（只显示这一次）`);
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
    refresh();
  });
  live.addEventListener("notify", (e) => {
    const data = JSON.parse(e.data);
    toast(`${NOTIFY[data.kind] ?? "工单有更新"}：${data.number}`);
  });
}

// ---------------------------------------------------------------- start

try {
  signedIn(await api("GET", "/api/console/me"));
} catch {
  showLogin("");
}
