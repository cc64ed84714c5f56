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
const QUEUE_VIEWS = ["mine", "unclaimed", "overdue", "closed", "all"];
const state = { me: null, csrf: null, view: "mine", selected: null, topics: new Map(), regions: new Map(), templates: [], staff: [], unseen: new Map() };
const BASE_TITLE = document.title;
/** Referral events that leave a lasting "new" marker on the row until the lawyer opens it. */
const MARK = { "referral.created": "新工单", "referral.resident_message": "新消息", "referral.transferred": "转交", "referral.reassigned": "改派", "referral.reopened": "重开" };

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
  if (adminPage) return import("./admin.js").then((m) => m.renderAdmin(view, $("adminView"), { api, el, toast, state, regionName, topicName, ROLE, CHANNEL, REASON }));
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

function queueRow(r) {
  const mark = state.unseen.get(r.id);
  const left = r.minutesLeft === null ? null : r.overdue ? el("span", { class: "overdue", text: `已超时 ${fmtMinutes(-r.minutesLeft)}` }) : el("span", { text: `剩余 ${fmtMinutes(r.minutesLeft)}` });
  return el(
    "button",
    { type: "button", class: `row u-${r.urgency} ${state.selected === r.id ? "sel" : ""} ${mark ? "unseen" : ""}`, "data-id": r.id, onclick: () => void openReferral(r.id) },
    el(
      "div",
      { class: "line1" },
      el("strong", { text: r.number }),
      mark ? el("span", { class: "new-mark", text: mark.label }) : null,
      el("span", { class: `tag urgency-${r.urgency}`, text: URGENCY[r.urgency] }),
      el("span", { text: STATUS[r.status] }),
    ),
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

// ---------------------------------------------------------------- search and filters

const FILTER_FIELDS = { fText: "text", fTopic: "topic", fRegion: "region", fUrgency: "urgency", fChannel: "channel", fStatus: "status" };
let filtersReady = false;

function setupFilters() {
  if (filtersReady) return;
  filtersReady = true;
  const fill = (id, entries) => $(id).append(...entries.map(([value, text]) => el("option", { value, text })));
  fill("fTopic", [...state.topics]);
  fill("fRegion", [...state.regions].filter(([id]) => id.split(".").length <= 2));
  fill("fUrgency", Object.entries(URGENCY).reverse());
  fill("fChannel", Object.entries(CHANNEL).filter(([k]) => k !== "cli" && k !== "eval"));
  fill("fStatus", Object.entries(STATUS));
  let typing;
  $("fText").addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => void loadQueue(), 250);
  });
  for (const id of Object.keys(FILTER_FIELDS)) if (id !== "fText") $(id).addEventListener("change", () => void loadQueue());
  $("filters").addEventListener("submit", (e) => {
    e.preventDefault();
    void loadQueue();
  });
  $("fClear").addEventListener("click", () => {
    for (const id of Object.keys(FILTER_FIELDS)) $(id).value = "";
    void loadQueue();
  });
}

function filterQuery() {
  const q = new URLSearchParams({ view: state.view });
  for (const [id, key] of Object.entries(FILTER_FIELDS)) {
    const v = $(id).value.trim();
    if (!v) continue;
    // A typed referral number ("2026-000012", "000012") is looked up as a number.
    if (key === "text" && /^[\d-]{4,}$/.test(v)) q.set("number", v);
    else q.set(key, v);
  }
  return q;
}

const filtering = () => [...filterQuery().keys()].length > 1;

async function loadQueue() {
  if (!QUEUE_VIEWS.includes(state.view)) return;
  const list = $("list");
  try {
    const { rows } = await api("GET", `/api/console/queue?${filterQuery()}`);
    const none = filtering() ? "没有符合条件的工单" : "暂无工单";
    list.replaceChildren(...(rows.length ? rows.map(queueRow) : [el("p", { class: "empty", text: none })]));
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
  const fresh = state.selected !== id;
  state.selected = id;
  markSeen(id);
  if (fresh) state.chatScroll = null;
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
  // The transcript follows the conversation unless the lawyer scrolled up to read.
  const chat = box.querySelector(".chat");
  if (chat && state.chatScroll !== null) state.chatScroll = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40 ? null : chat.scrollTop;
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

  const chat = el("div", { class: "chat", tabindex: "0", role: "log", "aria-label": "对话记录（最新的在下面）" }, ...d.history.map(bubble));
  const lastResident = [...d.history].reverse().find((h) => h.role === "resident");
  const conversation = el(
    "div",
    { class: "card" },
    el("h3", {}, "对话记录 ", el("span", { class: "hint", text: `共 ${d.history.length} 条，已显示到最新` })),
    d.history.length ? chat : el("p", { class: "hint", text: "（无记录）" }),
    lastResident && d.history.length > 3 ? el("button", { type: "button", class: "link", onclick: () => chat.scrollTo({ top: 0 }), text: "↑ 从头看" }) : null,
  );

  const findings = el(
    "div",
    { class: "card", id: "findingsCard" },
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

  const earlier = el("div", { class: "card", id: "residentCard" }, el("h3", { text: "这位居民的其他咨询" }), el("p", { class: "hint", text: "载入中…" }));
  box.replaceChildren(header, conversation, actionsCard(d), findings, earlier, timeline);
  void loadResidentCard(earlier, r.id);
  // Open at the latest message (the resident's request is at the bottom, not four answers down).
  chat.scrollTop = state.chatScroll ?? chat.scrollHeight;
  state.chatScroll = state.chatScroll ?? 0;
  // A successful delivery raises no referral event: look again while a reply is still in flight.
  clearTimeout(pendingTimer);
  if (d.events.some((e) => e.delivery === "pending")) pendingTimer = setTimeout(() => void renderDetail(), 2000);
  restoreWork(box, work);
}

/** One transcript entry: the resident's own words stand out; long bot answers fold. */
function bubble(h) {
  const who = el("span", { class: "who" }, el("strong", { text: WHO[h.role] ?? h.role }), ` · ${fmtTime(h.at)}`);
  if (h.role === "bot" && h.text.length > 160) {
    return el("div", { class: "bubble bot" }, who, el("details", {}, el("summary", { text: `${h.text.replace(/\s+/g, " ").slice(0, 60)}…（展开全文）` }), h.text));
  }
  return el("div", { class: `bubble ${h.role}` }, who, h.text);
}

async function loadResidentCard(card, id) {
  try {
    const { referrals } = await api("GET", `/api/console/referrals/${encodeURIComponent(id)}/resident`);
    if (state.selected !== id) return;
    const items = referrals.map((x) =>
      el(
        "li",
        {},
        el("button", { type: "button", class: "link", onclick: () => void openReferral(x.id), text: `工单 ${x.number}` }),
        ` ${fmtTime(x.createdAt)} · ${topicName(x.topic)} · ${STATUS[x.status] ?? x.status}${x.rating ? ` · ${"★".repeat(x.rating)}` : ""}`,
        el("span", { class: "text", text: x.outcome ? `${x.summary}　处理结果：${x.outcome}` : x.summary }),
      ),
    );
    card.replaceChildren(el("h3", { text: `这位居民的其他咨询（${referrals.length}）` }), items.length ? el("ul", { class: "earlier" }, ...items) : el("p", { class: "hint", text: "没有其他工单（仅列出您有权查看的）。" }));
  } catch (err) {
    card.replaceChildren(el("h3", { text: "这位居民的其他咨询" }), el("p", { class: "error", text: err.message }));
  }
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
        el("button", { type: "button", class: "secondary", id: "saveTplBtn", onclick: () => openTemplates({ body: text.value }), text: "存为常用回复" }),
        el("button", { type: "button", class: "link", id: "manageTplBtn", onclick: () => openTemplates(), text: "管理常用回复" }),
      ),
    );
  }
  if (!a.claim && !a.reply && !a.close && !a.reopen) card.append(el("p", { class: "hint", text: d.referral.status === "closed" ? "工单已办结。" : "此工单由他人负责，您可以查看和添加内部备注。" }));
  if (a.close) {
    const outcome = el("textarea", { name: "outcome", id: "outcomeText", placeholder: "处理结果（必填，例如：已电话解答，建议申请劳动仲裁）", "aria-label": "处理结果" });
    const warn = d.unanswered
      ? el("p", { class: "alert", id: "closeWarning", role: "alert", text: "居民在您最后一次回复之后又发了消息，还没有得到答复。建议先回复再办结；现在办结不会请居民评价。" })
      : null;
    const done = d.unanswered ? "已办结（居民的最后一条消息未答复，未请评价）" : "已办结，已请居民评价";
    card.append(
      el(
        "details",
        {},
        el("summary", { text: "办结工单" }),
        warn,
        outcome,
        el("div", { class: "bar" }, el("button", { type: "button", class: d.unanswered ? "danger" : "primary", id: "closeBtn", onclick: () => void act("close", { outcome: outcome.value }, done), text: d.unanswered ? "仍然办结" : "办结并请居民评价" })),
      ),
    );
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

// ---------------------------------------------------------------- saved replies (a form, not prompt())

function openTemplates(draft) {
  renderTemplateList();
  fillTemplateForm(draft ? { title: draft.body.trim().slice(0, 12), body: draft.body } : null);
  $("tplSharedLabel").hidden = state.me.role === "lawyer";
  $("templateDialog").showModal();
  (draft ? $("tplTitle") : $("tplList").querySelector("button") ?? $("tplTitle")).focus();
}

function fillTemplateForm(t) {
  $("tplId").value = t?.id ?? "";
  $("tplTitle").value = t?.title ?? "";
  $("tplBody").value = t?.body ?? "";
  $("tplShared").checked = !!t && t.ownerId === null && !t.shipped;
  setError("tplError", "");
}

function renderTemplateList() {
  const mine = (t) => (t.shipped ? "预置" : t.ownerId === null ? "共享" : "我的");
  $("tplList").replaceChildren(
    ...state.templates.map((t) =>
      el(
        "li",
        {},
        el("span", { class: "tag", text: mine(t) }),
        " ",
        el("strong", { text: t.title }),
        " ",
        el("button", { type: "button", class: "link", onclick: () => fillTemplateForm(t), text: t.shipped ? "改写另存" : "编辑" }),
        t.shipped || (t.ownerId === null && state.me.role === "lawyer") ? null : el("button", { type: "button", class: "link", onclick: () => void deleteTemplate(t), text: "删除" }),
      ),
    ),
  );
}

async function deleteTemplate(t) {
  if (!confirm(`删除常用回复“${t.title}”？`)) return;
  try {
    await api("DELETE", `/api/console/templates/${encodeURIComponent(t.id)}`);
    await loadTemplates();
    renderTemplateList();
    fillTemplateForm(null);
  } catch (err) {
    setError("tplError", err.message);
  }
}

$("tplForm").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const id = $("tplId").value;
    await api("POST", "/api/console/templates", { id: id && !id.startsWith("shipped:") ? id : undefined, title: $("tplTitle").value, body: $("tplBody").value, shared: $("tplShared").checked });
    await loadTemplates();
    renderTemplateList();
    fillTemplateForm(null);
    toast("常用回复已保存");
    if (state.selected) await renderDetail();
  } catch (err) {
    setError("tplError", err.message);
  }
});
$("tplNew").addEventListener("click", () => fillTemplateForm(null));
$("tplClose").addEventListener("click", () => $("templateDialog").close());

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

async function renderUsers() {
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

// ---------------------------------------------------------------- lasting alerts

const unseenKey = () => `lawdesk.unseen.${state.me?.id}`;

function loadUnseen() {
  try {
    state.unseen = new Map(JSON.parse(localStorage.getItem(unseenKey()) ?? "[]"));
  } catch {
    state.unseen = new Map();
  }
  showUnseenCount();
}

function saveUnseen() {
  try {
    localStorage.setItem(unseenKey(), JSON.stringify([...state.unseen].slice(-200)));
  } catch {
    /* private mode: markers last for this page only */
  }
  showUnseenCount();
}

function showUnseenCount() {
  const n = state.unseen.size;
  document.title = n ? `(${n}) ${BASE_TITLE}` : BASE_TITLE;
}

/** A marker that stays on the row until the referral is opened; 危急 and 紧急 also ring the desktop. */
function markUnseen(data, label) {
  // The referral the lawyer is looking at right now is seen already.
  if (data.id === state.selected && document.visibilityState === "visible" && !$("mainView").hidden) return;
  state.unseen.set(data.id, { label, urgency: data.urgency, number: data.number });
  saveUnseen();
  if ((data.urgency === "emergency" || data.urgency === "urgent") && "Notification" in window && Notification.permission === "granted") {
    try {
      const n = new Notification(`${URGENCY[data.urgency]}工单 ${data.number}`, { body: `${label}：请尽快处理`, tag: `${data.id}:${label}`, requireInteraction: data.urgency === "emergency" });
      n.onclick = () => {
        window.focus();
        void openReferral(data.id);
      };
    } catch {
      /* some browsers only allow notifications from a service worker */
    }
  }
}

function markSeen(id) {
  if (state.unseen.delete(id)) saveUnseen();
  const row = $("list").querySelector(`.row[data-id="${CSS.escape(id)}"]`);
  row?.classList.remove("unseen");
  row?.querySelector(".new-mark")?.remove();
}

function setupNotifyButton() {
  const b = $("notifyBtn");
  const update = () => (b.hidden = !("Notification" in window) || Notification.permission !== "default");
  update();
  b.onclick = async () => {
    await Notification.requestPermission();
    update();
    toast(Notification.permission === "granted" ? "已开启：危急、紧急工单会弹出桌面提醒" : "未开启桌面提醒，可在浏览器设置里更改");
  };
}

// ---------------------------------------------------------------- start

try {
  signedIn(await api("GET", "/api/console/me"));
} catch {
  showLogin("");
}
