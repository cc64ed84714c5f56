// The queues: a row per referral (with its lasting "new" marker), search and filters over
// GET /api/console/queue, and the counts on the tabs.

import { el } from "./dom.js";
import { openReferral } from "./referral.js";
import { $, api, CHANNEL, fmtMinutes, fmtTime, regionName, state, STATUS, topicName, URGENCY } from "./shared.js";

export const QUEUE_VIEWS = ["mine", "unclaimed", "overdue", "closed", "all"];

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

export function setupFilters() {
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

let latestLoad = 0;

export async function loadQueue() {
  if (!QUEUE_VIEWS.includes(state.view)) return;
  const list = $("list");
  // Searches, filters, tabs and live updates each load the list; answers can come back out of
  // order, and only the newest load may fill it (and only while its view is still shown).
  const load = ++latestLoad;
  const view = state.view;
  const stale = () => load !== latestLoad || view !== state.view;
  try {
    const { rows } = await api("GET", `/api/console/queue?${filterQuery()}`);
    if (stale()) return;
    const none = filtering() ? "没有符合条件的工单" : "暂无工单";
    list.replaceChildren(...(rows.length ? rows.map(queueRow) : [el("p", { class: "empty", text: none })]));
  } catch (err) {
    if (stale()) return;
    list.replaceChildren(el("p", { class: "error", text: err.message }));
  }
  void loadCounts();
}

export async function loadCounts() {
  for (const view of ["mine", "unclaimed", "overdue"]) {
    api("GET", `/api/console/queue?view=${view}`)
      .then(({ rows }) => ($(`count-${view}`).textContent = rows.length ? String(rows.length) : ""))
      .catch(() => {});
  }
}
