// 值班表: who is on duty now, the gaps in the next 24 hours, and the rota editor (the next
// referral is dispatched by what is saved).

import { el } from "./dom.js";
import { card, checkedValues, checks } from "./admin-shared.js";
import { api, ROLE, toast } from "./shared.js";

const DAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

export async function rotaPage(root) {
  const data = await api("GET", "/api/console/admin/rota");
  const regionLabel = (id) => data.regions.find((r) => r.id === id)?.name ?? id;
  const topicLabel = (id) => data.topics.find((t) => t.id === id)?.label ?? id;
  const personName = (id) => data.people.find((p) => p.id === id)?.name ?? id;

  const now = card(
    `此刻在岗（${new Date(data.now).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", weekday: "short", hour: "2-digit", minute: "2-digit" })}）`,
    data.onDuty.length
      ? el("ul", { class: "on-duty", id: "onDutyNow" }, ...data.onDuty.map((u) => el("li", {}, el("b", { text: u.name }), ` ${ROLE[u.role] ?? ""} · ${u.regions.map(regionLabel).join("、")} · ${u.topics.length ? u.topics.map(topicLabel).join("、") : "全部话题"}`)))
      : el("p", { class: "alert", id: "onDutyNow", text: "当前无人值班：新工单将进入督导队列。" }),
  );

  // Topics and regions nobody covers now or within the next 24 hours.
  const at = (iso) => new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
  const gaps = data.gaps ?? { topics: [], regions: [] };
  // One line per moment: "现在无人值班：东镇、西河乡"; all topics at once read as 全部话题.
  const gapLines = (list, label, all) => {
    const byFrom = new Map();
    for (const g of list) byFrom.set(g.now ? "now" : g.from, [...(byFrom.get(g.now ? "now" : g.from) ?? []), g.id]);
    return [...byFrom].map(([from, ids]) =>
      el("li", {}, el("b", { text: from === "now" ? "现在无人值班" : `${at(from)}起无人值班` }), `：${ids.length === all ? "全部" : ids.map(label).join("、")}`),
    );
  };
  const coverage =
    gaps.topics.length || gaps.regions.length
      ? el(
          "section",
          { class: "card coverage-warning", id: "coverageWarning", role: "alert" },
          el("h2", { text: `值班空档：今后${gaps.hours ?? 24}小时内有话题或区域无人值班` }),
          el("p", { class: "hint", text: "这些时段的工单会进入督导队列。请补排值班，或确认督导能及时处理。" }),
          gaps.regions.length ? el("h3", { text: "区域" }) : null,
          gaps.regions.length ? el("ul", {}, ...gapLines(gaps.regions, regionLabel, data.regions.filter((r) => r.id.split(".").length <= 2).length)) : null,
          gaps.topics.length ? el("h3", { text: "话题" }) : null,
          gaps.topics.length ? el("ul", {}, ...gapLines(gaps.topics, topicLabel, data.topics.length)) : null,
        )
      : el("p", { class: "success", id: "coverageOk", text: "今后24小时内，各话题和乡镇都有人值班。" });

  // Days with the same hours read as one range: 周一至周五 08:30-17:30.
  const slotText = (e) => {
    const byHours = new Map();
    for (const s of e.schedule) byHours.set(`${s.start}-${s.end}`, [...(byHours.get(`${s.start}-${s.end}`) ?? []), s.day]);
    const parts = [];
    for (const [hours, days] of byHours) {
      const sorted = [...new Set(days)].sort((a, b) => a - b);
      const contiguous = sorted.length > 2 && sorted.every((d, i) => i === 0 || d === sorted[i - 1] + 1);
      const label = sorted.length === 7 ? "每天" : contiguous ? `${DAYS[sorted[0] - 1]}至${DAYS[sorted.at(-1) - 1]}` : sorted.map((d) => DAYS[d - 1]).join("、");
      parts.push(`${label} ${hours}`);
    }
    return parts.join("；") || "无固定排班";
  };
  const rows = data.entries
    .slice()
    .sort((a, b) => Number(b.active) - Number(a.active))
    .map((e) =>
      el(
        "tr",
        { class: e.active ? "" : "inactive", "data-entry": e.id },
        el("td", { "data-label": "人员" }, el("b", { text: e.userName }), e.note ? el("div", { class: "hint", text: e.note }) : null),
        el("td", { "data-label": "区域", text: e.regions.map(regionLabel).join("、") }),
        el("td", { "data-label": "话题", text: e.topics.length ? e.topics.map(topicLabel).join("、") : "全部话题" }),
        el("td", { "data-label": "每周排班", text: slotText(e) }),
        el("td", { "data-label": "例外", text: [e.datesOff.length ? `休：${e.datesOff.join("、")}` : "", e.datesOn.length ? `加班：${e.datesOn.map((x) => x.date + (x.start ? ` ${x.start}-${x.end ?? "24:00"}` : "")).join("、")}` : ""].filter(Boolean).join("；") || "—" }),
        el("td", { "data-label": "状态" }, !e.active ? el("span", { class: "tag", text: "已停用" }) : e.onDutyNow ? el("span", { class: "tag st-ok", text: "在岗" }) : el("span", { class: "tag", text: "不在岗" })),
        el(
          "td",
          { class: "row-actions" },
          el("button", { type: "button", class: "link", text: "编辑", onclick: () => showForm(e) }),
          e.active ? el("button", { type: "button", class: "link", text: "停用", onclick: () => void removeEntry(e) }) : null,
        ),
      ),
    );
  const table = card(
    "值班安排",
    el("div", { class: "bar" }, el("button", { type: "button", class: "primary", id: "rotaNew", text: "新增值班安排", onclick: () => showForm(null) })),
    el("div", { class: "scroll-x" }, el("table", { id: "rotaTable" }, el("tr", {}, ...["人员", "区域", "话题", "每周排班", "例外", "状态", "操作"].map((h) => el("th", { text: h }))), ...rows)),
    el("p", { class: "hint", text: "派单时实时读取值班表：保存后，下一张工单即按新安排分派。区域含下级（县含各乡镇、乡镇含各村）；话题不选即全部话题。" }),
  );
  const formBox = el("div", { id: "rotaFormBox" });
  root.replaceChildren(el("div", { class: "admin-grid" }, el("div", {}, coverage, now, table), formBox));

  async function removeEntry(e) {
    if (!confirm(`停用 ${e.userName} 的这条值班安排？`)) return;
    try {
      await api("POST", `/api/console/admin/rota/${e.id}/remove`);
      toast("已停用");
      await rotaPage(root);
    } catch (err) {
      toast(err.message);
    }
  }

  function showForm(entry) {
    const e = entry ?? { userId: "", regions: [], topics: [], schedule: [], datesOff: [], datesOn: [], note: "", active: true };
    const person = el("select", { id: "rotaPerson", disabled: !!entry }, el("option", { value: "", text: "请选择" }), ...data.people.map((p) => el("option", { value: p.id, text: `${p.name}（${ROLE[p.role]}）`, selected: p.id === e.userId })));
    const upper = data.regions.filter((r) => r.level !== "village");
    const villages = data.regions.filter((r) => r.level === "village");
    const regionBox = el(
      "div",
      {},
      checks("rota-region", upper.map((r) => ({ id: r.id, label: r.name })), e.regions),
      villages.length ? el("details", { open: e.regions.some((id) => villages.some((v) => v.id === id)) }, el("summary", { text: `村（${villages.length}）` }), checks("rota-region", villages.map((r) => ({ id: r.id, label: `${regionLabel(r.parent)}·${r.name}` })), e.regions)) : null,
    );
    const week = el(
      "table",
      { class: "week" },
      ...DAYS.map((d, i) => {
        const slot = e.schedule.find((s) => s.day === i + 1);
        return el(
          "tr",
          {},
          el("td", {}, el("label", { class: "inline" }, el("input", { type: "checkbox", name: "rota-day", value: String(i + 1), checked: !!slot }), d)),
          el("td", {}, el("input", { type: "text", id: `rota-start-${i + 1}`, value: slot?.start ?? "08:30", pattern: "\\d{2}:\\d{2}", inputmode: "numeric", "aria-label": `${d}开始`, placeholder: "HH:MM" })),
          el("td", { text: "至" }),
          el("td", {}, el("input", { type: "text", id: `rota-end-${i + 1}`, value: slot?.end ?? "17:30", pattern: "\\d{2}:\\d{2}", inputmode: "numeric", "aria-label": `${d}结束`, placeholder: "HH:MM" })),
        );
      }),
    );
    const quick = el(
      "div",
      { class: "bar" },
      el("button", { type: "button", class: "secondary", text: "工作日白班", onclick: () => fillWeek([1, 2, 3, 4, 5], "08:30", "17:30") }),
      el("button", { type: "button", class: "secondary", text: "每天全天", onclick: () => fillWeek([1, 2, 3, 4, 5, 6, 7], "00:00", "24:00") }),
      el("button", { type: "button", class: "secondary", text: "夜班 18:00-08:00", onclick: () => fillWeek([1, 2, 3, 4, 5, 6, 7], "18:00", "08:00") }),
    );
    function fillWeek(days, start, end) {
      for (let d = 1; d <= 7; d++) {
        form.querySelector(`input[name="rota-day"][value="${d}"]`).checked = days.includes(d);
        form.querySelector(`#rota-start-${d}`).value = start;
        form.querySelector(`#rota-end-${d}`).value = end;
      }
    }
    const datesOff = el("textarea", { id: "rotaDatesOff", rows: "2", placeholder: "例如 2026-10-01, 2026-10-02" });
    datesOff.value = e.datesOff.join(", ");
    const datesOn = el("textarea", { id: "rotaDatesOn", rows: "2", placeholder: "每行一个：2026-10-03 或 2026-10-03 08:00-12:00" });
    datesOn.value = e.datesOn.map((x) => `${x.date}${x.start ? ` ${x.start}-${x.end ?? "24:00"}` : ""}`).join("\n");
    const note = el("input", { id: "rotaNote", value: e.note, maxlength: "200" });
    const error = el("div", { class: "error", role: "alert", hidden: true });
    const form = el(
      "form",
      { class: "card", id: "rotaForm" },
      el("h2", { text: entry ? `编辑：${entry.userName}` : "新增值班安排" }),
      el("label", {}, "值班人员", person),
      el("label", { text: "值班区域" }),
      regionBox,
      el("label", { text: "负责话题（不选 = 全部）" }),
      checks("rota-topic", data.topics.map((t) => ({ id: t.id, label: t.label })), e.topics),
      el("label", { text: "每周排班（北京时间；结束早于开始即跨夜班）" }),
      quick,
      week,
      el("label", {}, "休息日（节假日、请假，不值班的日期）", datesOff),
      el("label", {}, "加班日（排班以外额外值班的日期）", datesOn),
      el("label", {}, "备注", note),
      error,
      el("div", { class: "bar" }, el("button", { type: "submit", class: "primary", id: "rotaSave", text: "保存" }), el("button", { type: "button", class: "secondary", text: "取消", onclick: () => formBox.replaceChildren() })),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      error.hidden = true;
      const schedule = checkedValues(form, "rota-day").map((d) => ({ day: Number(d), start: form.querySelector(`#rota-start-${d}`).value, end: form.querySelector(`#rota-end-${d}`).value.trim() }));
      const extra = datesOn.value
        .split(/\n+/)
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
          const m = /^(\S+)(?:\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2}))?$/.exec(l);
          return m ? { date: m[1], ...(m[2] ? { start: m[2].padStart(5, "0"), end: m[3].padStart(5, "0") } : {}) } : { date: l };
        });
      const body = { userId: person.value, regions: checkedValues(form, "rota-region"), topics: checkedValues(form, "rota-topic"), schedule, datesOff: datesOff.value, datesOn: extra, note: note.value };
      try {
        if (entry) await api("POST", `/api/console/admin/rota/${entry.id}`, body);
        else await api("POST", "/api/console/admin/rota", body);
        toast(`已保存 ${personName(body.userId)} 的值班安排，立即生效`);
        await rotaPage(root);
      } catch (err) {
        error.textContent = err.message;
        error.hidden = false;
      }
    });
    formBox.replaceChildren(form);
    form.scrollIntoView({ block: "nearest" });
  }
}
