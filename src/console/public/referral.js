// One referral: the header, the transcript (opened at the latest message, the resident's
// words set apart), the lawyer's actions with the closing warning, the bot's findings, the
// resident's other referrals and the timeline; the statute and guide viewer.

import { el } from "./dom.js";
import { markSeen } from "./alerts.js";
import { loadQueue } from "./queue.js";
import { openTemplates } from "./templates.js";
import { $, api, CHANNEL, fmtMinutes, fmtTime, REASON, regionName, ROLE, state, STATUS, toast, topicName, URGENCY } from "./shared.js";

const WHO = { resident: "居民", bot: "机器人", lawyer: "律师", system: "系统" };
const EVENT = { created: "创建工单", assigned: "派单", queued: "无人值班，进入督导队列", claimed: "认领", transferred: "转交", reassigned: "改派", handed_back: "交还机器人", reply: "回复居民", note: "内部备注", closed: "办结", reopened: "重新打开", rating_requested: "请居民评价", rated: "居民评价", reminder: "期限提醒", overdue: "已超时，已报督导", resident_message: "居民新消息", delivery: "送达结果", redacted: "已按期脱敏" };
const DELIVERY = { pending: "发送中", sent: "已送达", failed: "发送失败，系统重试中", undelivered: "未送达——请电话回拨居民" };

export async function openReferral(id) {
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
let latestRender = 0;
export async function renderDetail() {
  const id = state.selected;
  if (!id) return;
  const box = $("detail");
  // An action and a live update may both re-render: only the newest answer is shown, so an
  // older one arriving late cannot put back the referral as it was before the action.
  const render = ++latestRender;
  const stale = () => render !== latestRender || state.selected !== id;
  let d;
  try {
    d = await api("GET", `/api/console/referrals/${encodeURIComponent(id)}`);
  } catch (err) {
    if (!stale()) box.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  if (stale()) return;
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
    el(
      "div",
      { class: "chat-head" },
      el("h3", {}, "对话记录 ", el("span", { class: "hint", text: `共 ${d.history.length} 条，已显示到最新` })),
      lastResident && d.history.length > 3 ? el("button", { type: "button", class: "link", id: "chatTop", onclick: () => chat.scrollTo({ top: 0 }), text: "↑ 从头看" }) : null,
    ),
    d.history.length ? chat : el("p", { class: "hint", text: "（无记录）" }),
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
