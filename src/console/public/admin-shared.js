// What the bureau's pages share: cards, law-status tags, problem lists, check boxes, the
// channel picker, and the view of an answer with the reasons behind it (the test console and
// the guide preview both show it).

import { el } from "./dom.js";

const CHANNELS = { web: "网页咨询", wechat_oa: "微信公众号", wechaty: "乡镇微信群", telegram: "Telegram" };
const OFFER_BUTTONS = { detail: "详细内容", statutes: "法条原文" };
const STATUS_CLASS = { 现行有效: "ok", 尚未生效: "warn", 已修改: "warn", 已失效: "bad", 未知: "warn" };
const FEATURES = { exact: "点名条文", guide: "指南匹配度", guideMargin: "指南领先度", agreement: "指南与条文一致", coverage: "问题词覆盖", neighbourCoverage: "相似问题可答", neighbourNearest: "最近相似问题", neighbourAgree: "相似问题条文一致", lawAgree: "同一法规集中度", hasBank: "有问题库" };
const ESCALATION = { low_confidence: "没有把握，转人工", asked_human: "居民要求人工", emergency: "紧急情况", dissatisfied: "居民不满意", always_lawyer: "须律师处理" };
const num = (x, d = 2) => (typeof x === "number" ? x.toFixed(d) : "—");

export function card(title, ...children) {
  return el("section", { class: "card" }, title ? el("h2", { text: title }) : null, ...children);
}

export function statusTag(status) {
  return el("span", { class: `tag st-${STATUS_CLASS[status] ?? "warn"}`, text: status });
}

export function problemList(problems) {
  return el("ul", { class: "problems" }, ...problems.map((p) => el("li", {}, el("b", { text: p.line ? `第 ${p.line} 行` : "文件" }), `：${p.message}`)));
}

export function checks(name, items, selected) {
  return el("div", { class: "checks" }, ...items.map((it) => el("label", {}, el("input", { type: "checkbox", name, value: it.id, checked: selected.includes(it.id) }), it.label)));
}

export const checkedValues = (root, name) => [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

/** The answer and the reasons behind it: used by the test console and the guide preview. */
export function trialView(r) {
  const a = r.assessment;
  const decision = r.reply.escalated
    ? el("div", { class: "decision esc" }, el("strong", { text: "转人工" }), `：${ESCALATION[r.reply.escalation.reason] ?? r.reply.escalation.reason}（${r.reply.escalation.urgency === "normal" ? "一般" : r.reply.escalation.urgency === "urgent" ? "紧急" : "危急"}）`)
    : el("div", { class: "decision ok" }, el("strong", { text: "机器人直接答复" }), r.reply.guideId ? `，依据办事指南 ${r.reply.guideId}` : "");
  const conf = a ? el("p", { class: "conf" }, `置信度 `, el("b", { text: num(a.confidence) }), ` / 答复门槛 ${num(r.threshold)}`, el("meter", { min: "0", max: "1", low: String(r.threshold), optimum: "1", value: String(a.confidence) })) : null;
  // Where the channel shows the offers of more as buttons (Telegram), the text leaves them out.
  const buttons = r.reply.buttons?.length ? el("div", { class: "hint", text: `消息下方的按钮：${r.reply.buttons.map((b) => `【${OFFER_BUTTONS[b] ?? b}】`).join("")}` }) : null;
  const reply = el("div", { class: "resident-view" }, el("div", { class: "hint", text: `居民在「${CHANNELS[r.channel] ?? r.channel}」看到的回复：` }), el("div", { class: "bubble bot", text: r.reply.text }), buttons);
  const citations = r.reply.citations.length
    ? el("div", { class: "hint" }, `引用条文：${r.reply.citations.map((c) => `《${c.law}》${c.article}（${c.status}）`).join("；")}`)
    : null;
  if (!a) return el("div", { class: "trial" }, decision, reply);
  const features = el("table", { class: "features" }, ...Object.entries(a.features).map(([k, v]) => el("tr", {}, el("th", { text: FEATURES[k] ?? k }), el("td", { text: num(v) }))));
  const articles = el(
    "table",
    {},
    el("tr", {}, el("th", { text: "条文" }), el("th", { text: "效力" }), el("th", { text: "得分" }), el("th", { text: "分项" })),
    ...a.articles.map((h) =>
      el(
        "tr",
        {},
        el("td", {}, el("b", { text: `《${h.law}》${h.article}` }), h.exact ? el("span", { class: "tag", text: "点名" }) : null, el("div", { class: "hint", text: h.excerpt })),
        el("td", {}, statusTag(h.status)),
        el("td", { text: num(h.score, 3) }),
        el("td", { class: "parts", text: Object.entries(h.parts).map(([k, v]) => `${k} ${num(v, 3)}`).join("  ") || "—" }),
      ),
    ),
  );
  const guides = el(
    "table",
    {},
    el("tr", {}, el("th", { text: "办事指南" }), el("th", { text: "得分" }), el("th", { text: "领先度" }), el("th", { text: "命中词" })),
    ...a.guides.map((g) => el("tr", { class: a.guide?.id === g.id ? "chosen" : "" }, el("td", { text: `${g.title}（${g.id}）${a.guide?.id === g.id ? " ← 采用" : ""}` }), el("td", { text: num(g.score, 3) }), el("td", { text: num(g.margin) }), el("td", { text: g.matched.join("、") || "—" }))),
  );
  return el(
    "div",
    { class: "trial" },
    decision,
    conf,
    reply,
    citations,
    el("div", { class: "trial-grid" }, el("div", {}, el("h3", { text: "检索到的条文" }), a.articles.length ? articles : el("p", { class: "hint", text: "（无）" })), el("div", {}, el("h3", { text: "置信度特征" }), features)),
    el("h3", { text: "匹配的办事指南" }),
    a.guides.length ? guides : el("p", { class: "hint", text: "（无）" }),
  );
}

export function channelSelect(id) {
  return el("select", { id }, ...Object.entries(CHANNELS).map(([v, label]) => el("option", { value: v, text: label })));
}
