// The bureau's dashboard (数据看板): filters, headline figures, charts drawn with ECharts
// (served from this server, no CDN) and, under every chart, the exact table behind it with
// its CSV download. Loaded by console.js when the 数据看板 tab is opened. All server text is
// inserted with textContent.

import { el } from "./dom.js";
import * as echarts from "/console/vendor/echarts.esm.min.mjs";

const BASE = "/api/console/dashboard";
const COLORS = ["#1d4f91", "#2e9d5b", "#e0a100", "#b3261e", "#7b5ea7", "#0f8b8d", "#8a6d3b", "#c2185b"];
const LEVEL_INDENT = { county: "", township: "　", village: "　　" };

const state = { mounted: false, root: null, api: null, meta: null, charts: [], filters: null };


const fmt = (v) => (v === null || v === undefined || v === "" ? "—" : typeof v === "number" ? v.toLocaleString("zh-CN") : String(v));

function addDays(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** Current filters as a query string (empty selections left out). */
function query() {
  const f = state.filters;
  const p = new URLSearchParams({ from: f.from, to: f.to });
  for (const k of ["channel", "topic", "region", "group"]) if (f[k]) p.set(k, f[k]);
  return p.toString();
}

// ---------------------------------------------------------------- filter bar

function select(name, label, options, value) {
  const s = el("select", { id: `dash-${name}`, name }, el("option", { value: "", text: "全部" }), ...options.map((o) => el("option", { value: o.id, text: o.label })));
  s.value = value ?? "";
  s.addEventListener("change", () => {
    state.filters[name] = s.value || null;
    void load();
  });
  return el("label", {}, label, s);
}

function filterBar() {
  const f = state.filters;
  const m = state.meta;
  const date = (name, label) => {
    const i = el("input", { type: "date", id: `dash-${name}`, value: f[name], max: m.today });
    i.addEventListener("change", () => {
      if (!i.value) return;
      state.filters[name] = i.value;
      void load();
    });
    return el("label", {}, label, i);
  };
  const quick = (days, text) =>
    el("button", {
      type: "button",
      class: "secondary",
      text,
      onclick: () => {
        state.filters.to = m.today;
        state.filters.from = addDays(m.today, -(days - 1));
        renderShell();
        void load();
      },
    });
  return el(
    "form",
    { class: "card dash-filters", onsubmit: (e) => e.preventDefault() },
    date("from", "开始日期"),
    date("to", "结束日期"),
    select("channel", "渠道", m.channels, f.channel),
    select("topic", "话题", m.topics, f.topic),
    select("region", "地区", m.regions.map((r) => ({ id: r.id, label: `${LEVEL_INDENT[r.level] ?? ""}${r.name}` })), f.region),
    select("group", "微信群", m.groups.map((g) => ({ id: g.id, label: g.name })), f.group),
    el("div", { class: "dash-quick" }, quick(7, "近7天"), quick(30, "近30天"), quick(90, "近90天")),
  );
}

// ---------------------------------------------------------------- cards

/** A chart card: title, chart, note, the table behind it (folded) and its CSV download. */
function card(table, { chart = true, wide = false, open = false } = {}) {
  const csv = el("a", { class: "secondary dash-csv", href: `${BASE}/${table.name}/csv?${query()}`, download: "", "data-csv": table.name, text: "导出CSV" });
  const body = el("div", { class: "dash-chart", id: `chart-${table.name}`, role: "img", "aria-label": table.title });
  const details = el("details", { class: "dash-table", open: open || !chart }, el("summary", { text: `数据表（${table.rows.length}行）` }), dataTable(table));
  return el(
    "section",
    { class: `card dash-card${wide ? " wide" : ""}`, "data-table": table.name },
    el("div", { class: "dash-card-head" }, el("h3", { text: table.title }), csv),
    chart ? body : null,
    table.note ? el("p", { class: "hint", text: table.note }) : null,
    details,
  );
}

function dataTable(table) {
  if (!table.rows.length) return el("p", { class: "hint", text: "所选范围内没有数据" });
  const cols = table.columns.filter((c) => !["topic", "reason", "region", "key", "userId", "groupKey"].includes(c.key) || table.columns.length <= 3);
  return el(
    "div",
    { class: "dash-scroll" },
    el(
      "table",
      {},
      el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { text: c.label })))),
      el("tbody", {}, ...table.rows.map((r) => el("tr", {}, ...cols.map((c) => el("td", { "data-col": c.key, text: fmt(r[c.key]) }))))),
    ),
  );
}

function kpis(summary) {
  const csv = el("a", { class: "secondary dash-csv", href: `${BASE}/summary/csv?${query()}`, download: "", "data-csv": "summary", text: "导出总览CSV" });
  return el(
    "section",
    { class: "dash-kpis", "aria-label": "总览", "data-table": "summary" },
    el("div", { class: "dash-kpis-head" }, el("h3", { text: summary.title }), csv),
    ...summary.rows.map((r) => el("div", { class: "card kpi", "data-kpi": r.key }, el("span", { class: "kpi-label", text: r.label }), el("b", { class: "kpi-value", text: fmt(r.value) }), el("small", { text: r.value === null ? "" : r.unit }))),
  );
}

function risingBanner(rising) {
  const up = rising.rows.filter((r) => r.rising === "是");
  if (!up.length) return el("div", { class: "dash-banner calm", id: "dash-rising", text: "近7天没有明显上升的话题。" });
  return el(
    "div",
    { class: "dash-banner", id: "dash-rising", role: "alert" },
    el("strong", { text: "需求预警：" }),
    up.map((r) => `${r.label}（近7天 ${r.current} 条，前8周周均 ${r.baselineMean} 条，约 ${r.ratio ?? "—"} 倍）`).join("；"),
  );
}

// ---------------------------------------------------------------- charts

function draw(id, option) {
  const node = document.getElementById(id);
  if (!node) return;
  const chart = echarts.init(node, null, { renderer: "canvas" });
  chart.setOption({ color: COLORS, textStyle: { fontFamily: getComputedStyle(document.body).fontFamily }, animation: false, ...option });
  state.charts.push(chart);
}

const narrow = () => window.innerWidth < 600;
const grid = { left: 48, right: 16, top: 40, bottom: 28, containLabel: true };
const legend = { top: 0, type: "scroll" };

function charts(t) {
  const days = t.daily.rows.map((r) => r.day.slice(5));
  draw("chart-daily", {
    tooltip: { trigger: "axis" },
    legend,
    grid,
    xAxis: { type: "category", data: days },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      ["questions", "咨询问题"],
      ["answered", "机器人解答"],
      ["escalated", "转人工"],
      ["emergencies", "紧急求助"],
      ["undelivered", "回复未送达"],
    ].map(([k, name]) => ({ name, type: k === "questions" ? "line" : "bar", data: t.daily.rows.map((r) => r[k]), smooth: false })),
  });
  draw("chart-escalations", {
    tooltip: { trigger: "item", formatter: "{b}: {c}（{d}%）" },
    legend: { bottom: 0, type: "scroll" },
    // On a phone the outer labels would be cut off: counts inside, names in the legend.
    series: [{ type: "pie", radius: ["35%", "62%"], top: 0, bottom: 30, data: t.escalations.rows.map((r) => ({ name: r.label, value: r.count })), label: narrow() ? { position: "inside", formatter: "{c}", color: "#fff" } : { formatter: "{b}\n{c}" } }],
  });
  const bars = (table, labelKey, keys) => ({
    tooltip: { trigger: "axis" },
    legend,
    grid: { ...grid, left: 8 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: table.rows.map((r) => r[labelKey]), axisLabel: { width: 90, overflow: "truncate" } },
    series: keys.map(([k, name]) => ({ name, type: "bar", data: table.rows.map((r) => r[k]) })),
  });
  draw("chart-topics", bars(t.topics, "label", [["answered", "机器人解答"], ["escalated", "转人工"]].map(([k, n]) => [k, n])));
  draw("chart-regions", bars(t.regions, "name", [["questions", "咨询问题"], ["escalated", "转人工"]]));
  const resp = t.response.rows.filter((r) => r.day !== "合计");
  draw("chart-response", {
    tooltip: { trigger: "axis" },
    legend,
    grid,
    xAxis: { type: "category", data: resp.map((r) => r.day.slice(5)) },
    yAxis: [
      { type: "value", name: "分钟" },
      { type: "value", name: "按期率%", max: 100, min: 0 },
    ],
    series: [
      { name: "中位数", type: "bar", data: resp.map((r) => r.medianMinutes) },
      { name: "P90", type: "bar", data: resp.map((r) => r.p90Minutes) },
      { name: "按期率%", type: "line", yAxisIndex: 1, connectNulls: true, data: resp.map((r) => r.keptShare) },
    ],
  });
  draw("chart-ratings", {
    tooltip: { trigger: "axis" },
    grid,
    xAxis: { type: "category", data: t.ratings.rows.map((r) => r.label) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: "评价数", type: "bar", data: t.ratings.rows.map((r, i) => ({ value: r.count, itemStyle: { color: ["#b3261e", "#e0602b", "#e0a100", "#7cb342", "#2e9d5b"][i] } })), label: { show: true, position: "top" } }],
  });
  const rising = t.rising.rows.slice(0, 12);
  draw("chart-rising", {
    tooltip: { trigger: "axis" },
    legend,
    grid: { ...grid, left: 8 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: rising.map((r) => (r.rising === "是" ? `▲ ${r.label}` : r.label)), axisLabel: { width: 100, overflow: "truncate" } },
    series: [
      { name: "近7天", type: "bar", data: rising.map((r) => ({ value: r.current, itemStyle: { color: r.rising === "是" ? "#b3261e" : "#1d4f91" } })) },
      { name: "前8周周均", type: "bar", data: rising.map((r) => r.baselineMean), itemStyle: { color: "#9aa7b5" } },
    ],
  });
  if (t.lawyers) draw("chart-lawyers", bars(t.lawyers, "name", [["handled", "承办工单"], ["closed", "已办结"]]));
  if (t.groups.rows.length) {
    const groups = [...new Set(t.groups.rows.map((r) => r.groupName))];
    const topics = [...new Set(t.groups.rows.map((r) => r.label))];
    draw("chart-groups", {
      tooltip: { trigger: "axis" },
      legend,
      grid: { ...grid, left: 8 },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", inverse: true, data: groups, axisLabel: { width: 110, overflow: "truncate" } },
      series: topics.map((label) => ({ name: label, type: "bar", stack: "n", data: groups.map((g) => t.groups.rows.filter((r) => r.groupName === g && r.label === label).reduce((n, r) => n + r.count, 0)) })),
    });
  }
}

// ---------------------------------------------------------------- page

function disposeCharts() {
  for (const c of state.charts) c.dispose();
  state.charts = [];
}

function renderShell() {
  disposeCharts();
  // replaceChildren prints a null argument as the text "null": leave absent parts out.
  const parts = [
    el("h2", { class: "dash-title", text: "数据看板 · 需求动态研判" }),
    state.meta.scope ? el("p", { class: "hint", text: `统计范围：${state.meta.regions.filter((r) => state.meta.scope.includes(r.id)).map((r) => r.name).join("、") || "（未分配地区）"}` }) : null,
    filterBar(),
    el("div", { id: "dash-body", class: "dash-body" }, el("p", { class: "empty", text: "正在统计…" })),
  ];
  state.root.replaceChildren(...parts.filter(Boolean));
}

async function load() {
  const body = document.getElementById("dash-body");
  const asked = query();
  let data;
  try {
    data = await state.api("GET", `${BASE}?${asked}`);
  } catch (err) {
    body.replaceChildren(el("p", { class: "error", text: err.message }));
    return;
  }
  if (asked !== query()) return; // a newer request is on its way
  disposeCharts();
  const t = data.tables;
  body.replaceChildren(
    risingBanner(t.rising),
    kpis(t.summary),
    el(
      "div",
      { class: "dash-grid" },
      card(t.daily, { wide: true }),
      card(t.rising),
      card(t.escalations),
      card(t.topics),
      card(t.regions),
      card(t.response, { wide: true }),
      card(t.ratings),
      t.lawyers ? card(t.lawyers) : null,
      card(t.groups, { chart: t.groups.rows.length > 0 }),
      card(t.wordings, { chart: false, wide: true, open: true }),
    ),
  );
  charts(t);
}

let resizeBound = false;

/** Opens the dashboard in `root`; `ctx.api` is the console's fetch helper (session, CSRF, errors). */
export async function showDashboard(root, ctx) {
  state.root = root;
  state.api = ctx.api;
  // Another person signed in since: their regions, their filters.
  if (!state.meta || state.userId !== ctx.me?.id) {
    state.userId = ctx.me?.id;
    root.replaceChildren(el("p", { class: "empty", text: "正在加载…" }));
    try {
      state.meta = await ctx.api("GET", `${BASE}/meta`);
    } catch (err) {
      root.replaceChildren(el("p", { class: "error", text: err.message }));
      return;
    }
    state.filters = { from: addDays(state.meta.today, -29), to: state.meta.today, channel: null, topic: null, region: null, group: null };
  }
  if (!resizeBound) {
    window.addEventListener("resize", () => state.charts.forEach((c) => c.resize()));
    resizeBound = true;
  }
  renderShell();
  await load();
}
