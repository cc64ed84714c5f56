// The bureau's pages in the console: 值班表 (duty rota editor), 知识库 (uploads, guide
// editor with preview, laws, guides citing non-current law), 测试台 (test console) and
// 渠道 (Wechaty login QR and groups, Telegram account links). Loaded on demand by
// console.js, which passes its helpers; all server text goes in through textContent.

const DAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const CHANNELS = { web: "网页咨询", wechat_oa: "微信公众号", wechaty: "乡镇微信群", telegram: "Telegram" };
const STATUS_CLASS = { 现行有效: "ok", 尚未生效: "warn", 已修改: "warn", 已失效: "bad", 未知: "warn" };
const FEATURES = { exact: "点名条文", guide: "指南匹配度", guideMargin: "指南领先度", agreement: "指南与条文一致", coverage: "问题词覆盖", neighbourCoverage: "相似问题可答", neighbourNearest: "最近相似问题", neighbourAgree: "相似问题条文一致", lawAgree: "同一法规集中度", hasBank: "有问题库" };
const ESCALATION = { low_confidence: "没有把握，转人工", asked_human: "居民要求人工", emergency: "紧急情况", dissatisfied: "居民不满意", always_lawyer: "须律师处理" };

let ctx;
const todayShanghai = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const num = (x, d = 2) => (typeof x === "number" ? x.toFixed(d) : "—");

export async function renderAdmin(view, root, helpers) {
  ctx = helpers;
  root.replaceChildren(ctx.el("p", { class: "empty", text: "加载中…" }));
  const pages = { rota: rotaPage, knowledge: knowledgePage, testbench: testbenchPage, channels: channelsPage };
  try {
    await pages[view](root);
  } catch (err) {
    root.replaceChildren(ctx.el("p", { class: "error", text: err.message }));
  }
}

// ---------------------------------------------------------------- shared pieces

function card(title, ...children) {
  const { el } = ctx;
  return el("section", { class: "card" }, title ? el("h2", { text: title }) : null, ...children);
}

function statusTag(status) {
  return ctx.el("span", { class: `tag st-${STATUS_CLASS[status] ?? "warn"}`, text: status });
}

function problemList(problems) {
  const { el } = ctx;
  return el("ul", { class: "problems" }, ...problems.map((p) => el("li", {}, el("b", { text: p.line ? `第 ${p.line} 行` : "文件" }), `：${p.message}`)));
}

function checks(name, items, selected) {
  const { el } = ctx;
  return el("div", { class: "checks" }, ...items.map((it) => el("label", {}, el("input", { type: "checkbox", name, value: it.id, checked: selected.includes(it.id) }), it.label)));
}

const checkedValues = (root, name) => [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

/** The answer and the reasons behind it: used by the test console and the guide preview. */
function trialView(r) {
  const { el } = ctx;
  const a = r.assessment;
  const decision = r.reply.escalated
    ? el("div", { class: "decision esc" }, el("strong", { text: "转人工" }), `：${ESCALATION[r.reply.escalation.reason] ?? r.reply.escalation.reason}（${r.reply.escalation.urgency === "normal" ? "一般" : r.reply.escalation.urgency === "urgent" ? "紧急" : "危急"}）`)
    : el("div", { class: "decision ok" }, el("strong", { text: "机器人直接答复" }), r.reply.guideId ? `，依据办事指南 ${r.reply.guideId}` : "");
  const conf = a ? el("p", { class: "conf" }, `置信度 `, el("b", { text: num(a.confidence) }), ` / 答复门槛 ${num(r.threshold)}`, el("meter", { min: "0", max: "1", low: String(r.threshold), optimum: "1", value: String(a.confidence) })) : null;
  const reply = el("div", { class: "resident-view" }, el("div", { class: "hint", text: `居民在「${CHANNELS[r.channel] ?? r.channel}」看到的回复：` }), el("div", { class: "bubble bot", text: r.reply.text }));
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

function channelSelect(id) {
  const { el } = ctx;
  return el("select", { id }, ...Object.entries(CHANNELS).map(([v, label]) => el("option", { value: v, text: label })));
}

// ---------------------------------------------------------------- 值班表

async function rotaPage(root) {
  const { el, api, toast } = ctx;
  const data = await api("GET", "/api/console/admin/rota");
  const regionLabel = (id) => data.regions.find((r) => r.id === id)?.name ?? id;
  const topicLabel = (id) => data.topics.find((t) => t.id === id)?.label ?? id;
  const personName = (id) => data.people.find((p) => p.id === id)?.name ?? id;

  const now = card(
    `此刻在岗（${new Date(data.now).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", weekday: "short", hour: "2-digit", minute: "2-digit" })}）`,
    data.onDuty.length
      ? el("ul", { class: "on-duty", id: "onDutyNow" }, ...data.onDuty.map((u) => el("li", {}, el("b", { text: u.name }), ` ${ctx.ROLE[u.role] ?? ""} · ${u.regions.map(regionLabel).join("、")} · ${u.topics.length ? u.topics.map(topicLabel).join("、") : "全部话题"}`)))
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
    const person = el("select", { id: "rotaPerson", disabled: !!entry }, el("option", { value: "", text: "请选择" }), ...data.people.map((p) => el("option", { value: p.id, text: `${p.name}（${ctx.ROLE[p.role]}）`, selected: p.id === e.userId })));
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

// ---------------------------------------------------------------- 知识库

async function knowledgePage(root) {
  const { el } = ctx;
  const summary = await ctx.api("GET", "/api/console/admin/knowledge/summary");
  const body = el("div", { id: "kbBody" });
  const sections = { upload: uploadSection, guides: guideEditor, laws: lawsSection, stale: staleSection };
  const labels = { upload: "上传", guides: "编辑指南", laws: "法规", stale: "失效引用" };
  const nav = el("nav", { class: "subtabs" }, ...Object.entries(labels).map(([k, label]) => el("button", { type: "button", "data-sub": k, text: label, onclick: () => void open(k) })));
  async function open(k) {
    for (const b of nav.querySelectorAll("button")) b.classList.toggle("on", b.dataset.sub === k);
    body.replaceChildren(el("p", { class: "empty", text: "加载中…" }));
    try {
      await sections[k](body);
    } catch (err) {
      body.replaceChildren(el("p", { class: "error", text: err.message }));
    }
  }
  root.replaceChildren(el("p", { class: "hint kb-summary", text: `知识库版本 ${summary.version} · 已索引条文 ${summary.articles} 条 · 办事指南 ${summary.guides} 篇。修改后所有运行中的服务几秒内自动生效，无需重启。` }), nav, body);
  await open("upload");
}

async function uploadSection(box) {
  const { el, toast } = ctx;
  const file = el("input", { type: "file", id: "kbFile", accept: ".md,.jsonl,text/markdown" });
  const result = el("div", { id: "kbUploadResult" });
  const button = el("button", { type: "button", class: "primary", id: "kbUpload", text: "校验并导入" });
  button.addEventListener("click", async () => {
    const f = file.files?.[0];
    if (!f) return toast("请先选择文件");
    if (!/\.(md|jsonl)$/i.test(f.name)) return result.replaceChildren(el("p", { class: "error", text: "只能上传 .md 或 .jsonl 文件" }));
    if (f.size > 5 * 1024 * 1024) return result.replaceChildren(el("p", { class: "error", text: "文件不能超过 5 MB" }));
    button.disabled = true;
    result.replaceChildren(el("p", { class: "hint", text: "正在校验并导入，法规文件较大时可能需要几分钟重建索引…" }));
    try {
      const res = await fetch(`/api/console/admin/knowledge/upload?filename=${encodeURIComponent(f.name)}`, { method: "POST", headers: { "content-type": "application/octet-stream", "x-csrf-token": ctx.state.csrf }, credentials: "same-origin", body: f });
      const data = await res.json().catch(() => ({}));
      if (res.ok) {
        const what = data.kind === "guide" ? `办事指南「${data.guide.title}」（${data.guide.id}）` : `法规 ${data.laws.join("、")}，共 ${data.articles} 条`;
        result.replaceChildren(el("p", { class: "success", text: data.changed ? `已导入${what}，现在即可检索和答复。` : `${what} 与已导入的内容相同，无需更新。` }));
      } else {
        result.replaceChildren(el("p", { class: "error", text: data.error || `上传失败（${res.status}）` }), data.problems ? problemList(data.problems) : "");
      }
    } catch (err) {
      result.replaceChildren(el("p", { class: "error", text: err.message }));
    } finally {
      button.disabled = false;
    }
  });
  box.replaceChildren(
    card(
      "上传办事指南或法规",
      el("p", { class: "hint", text: "办事指南：带 YAML 头信息（id、title、topics、questions、legal_basis、steps 等）的 Markdown。法规：LawRefBook 格式的 Markdown，或每行一条的 JSONL 交换格式。文件须为 UTF-8 编码，不超过 5 MB。校验有错时整份文件不导入，并按行号列出错误。" }),
      el("label", {}, "选择文件（.md / .jsonl）", file),
      el("div", { class: "bar" }, button),
      result,
    ),
  );
}

async function guideEditor(box) {
  const { el, api, toast } = ctx;
  const { guides } = await api("GET", "/api/console/admin/knowledge/guides");
  const picker = el("select", { id: "guidePicker" }, el("option", { value: "", text: "（选择要编辑的指南）" }), ...guides.map((g) => el("option", { value: g.id, text: `${g.title}（${g.id}）${g.uploaded ? " · 后台上传" : ""}` })));
  const editor = el("textarea", { id: "guideMarkdown", class: "code", rows: "22", spellcheck: "false" });
  const question = el("input", { id: "previewQuestion", placeholder: "输入一个居民可能问的问题，看看这份指南会怎么答" });
  const channel = channelSelect("previewChannel");
  const out = el("div", { id: "previewResult" });
  picker.addEventListener("change", async () => {
    if (!picker.value) return;
    try {
      const { markdown } = await api("GET", `/api/console/admin/knowledge/guides/${encodeURIComponent(picker.value)}/markdown`);
      editor.value = markdown;
      const first = /^questions:\s*\n\s*-\s*(.+)$/m.exec(markdown);
      if (first && !question.value) question.value = first[1].trim();
    } catch (err) {
      toast(err.message);
    }
  });
  const showProblems = (err, data) => out.replaceChildren(el("p", { class: "error", text: err }), data?.problems ? problemList(data.problems) : "");
  async function post(path, body) {
    const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": ctx.state.csrf }, credentials: "same-origin", body: JSON.stringify(body) });
    return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
  }
  const preview = el("button", { type: "button", class: "secondary", id: "previewBtn", text: "预览答复（不保存）" });
  preview.addEventListener("click", async () => {
    if (!question.value.trim()) return toast("请先输入一个问题");
    const { ok, data } = await post("/api/console/admin/knowledge/guides/preview", { markdown: editor.value, question: question.value, channel: channel.value });
    if (!ok) return showProblems(data.error ?? "预览失败", data);
    out.replaceChildren(
      el("p", { class: data.answeredFromDraft ? "success" : "alert", text: data.answeredFromDraft ? `这个问题由草稿「${data.draft.title}」作答（尚未保存）。` : `这个问题没有用上草稿「${data.draft.title}」：可以在 questions 里补充类似的问法。` }),
      trialView(data),
    );
  });
  const save = el("button", { type: "button", class: "primary", id: "guideSave", text: "保存并生效" });
  save.addEventListener("click", async () => {
    const { ok, data } = await post("/api/console/admin/knowledge/guides", { markdown: editor.value });
    if (!ok) return showProblems(data.error ?? "保存失败", data);
    toast(`已保存「${data.guide.title}」，现在起按新内容答复`);
    out.replaceChildren(el("p", { class: "success", text: `已保存「${data.guide.title}」（${data.guide.id}），保存在数据目录 uploads/guides/ 下。` }));
  });
  box.replaceChildren(
    el(
      "div",
      { class: "admin-grid" },
      card("编辑办事指南", el("label", {}, "指南", picker), el("label", {}, "Markdown（头信息 + 正文）", editor), el("p", { class: "hint", text: "改 id 即另存为一份新指南。保存前先预览，确认机器人用它答得对。" })),
      card("预览", el("label", {}, "样例问题", question), el("label", {}, "渠道", channel), el("div", { class: "bar" }, preview, save), out),
    ),
  );
}

async function lawsSection(box) {
  const { el, api, toast } = ctx;
  const state = { q: "", status: "", page: 1 };
  const search = el("input", { id: "lawSearch", type: "search", placeholder: "按法规名称搜索，例如 劳动合同法" });
  const status = el("select", { id: "lawStatus" }, el("option", { value: "", text: "全部效力" }), ...["现行有效", "已修改", "已失效", "尚未生效"].map((s) => el("option", { value: s, text: s })));
  const list = el("div", { id: "lawList" });
  async function load() {
    const params = new URLSearchParams({ q: state.q, status: state.status, page: String(state.page), size: "20" });
    const data = await api("GET", `/api/console/admin/knowledge/laws?${params}`);
    const pages = Math.max(1, Math.ceil(data.total / data.size));
    const mark = async (row, value) => {
      const verb = value === null ? "撤销对" : `将`;
      if (!confirm(`${verb}《${row.law}》${value ? `标记为“${value}”` : "的标记"}？${value ? "标记后其条文不再作为现行法律引用。" : ""}`)) return;
      try {
        await api("POST", "/api/console/admin/knowledge/laws/status", { source: row.source, law: row.law, status: value });
        toast(value ? `已标记《${row.law}》为${value}` : `已撤销对《${row.law}》的标记`);
        await load();
      } catch (err) {
        toast(err.message);
      }
    };
    list.replaceChildren(
      el("p", { class: "hint", text: `共 ${data.total} 部（同一法规的不同版本分行列出）` }),
      el(
        "div",
        { class: "scroll-x" },
        el(
          "table",
          { class: "laws" },
          el("tr", {}, ...["法规名称", "效力级别", "效力", "施行日期", "条数", "操作"].map((h) => el("th", { text: h }))),
          ...data.rows.map((r) =>
            el(
              "tr",
              { "data-law": r.law },
              el("td", {}, el("b", { text: r.law }), el("div", { class: "hint src", text: r.source.split("/").slice(-2).join("/") })),
              el("td", { text: r.level }),
              el("td", {}, statusTag(r.status), r.override ? el("div", { class: "hint", text: "（后台标记）" }) : null),
              el("td", { text: r.effective ?? "—" }),
              el("td", { text: String(r.articles) }),
              el(
                "td",
                { class: "row-actions" },
                r.override
                  ? el("button", { type: "button", class: "link", text: "撤销标记", onclick: () => void mark(r, null) })
                  : [
                      r.status !== "已失效" ? el("button", { type: "button", class: "link mark-repealed", text: "标记已失效", onclick: () => void mark(r, "已失效") }) : null,
                      r.status !== "已修改" ? el("button", { type: "button", class: "link", text: "标记已修改", onclick: () => void mark(r, "已修改") }) : null,
                    ],
              ),
            ),
          ),
        ),
      ),
      el(
        "div",
        { class: "bar pager" },
        el("button", { type: "button", class: "secondary", text: "上一页", disabled: state.page <= 1, onclick: () => ((state.page -= 1), void load()) }),
        el("span", { text: `第 ${state.page} / ${pages} 页` }),
        el("button", { type: "button", class: "secondary", text: "下一页", disabled: state.page >= pages, onclick: () => ((state.page += 1), void load()) }),
      ),
    );
  }
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => ((state.q = search.value.trim()), (state.page = 1), void load().catch((e) => toast(e.message))), 250);
  });
  status.addEventListener("change", () => ((state.status = status.value), (state.page = 1), void load().catch((e) => toast(e.message))));
  box.replaceChildren(card("法规", el("div", { class: "bar filters" }, search, status), list));
  await load();
}

/** One problem of a guide's legal basis, as the administrator reads it. */
function issueItem(i) {
  const { el } = ctx;
  if (i.problem === "never_reviewed") return el("li", {}, el("span", { class: "tag st-warn", text: "未记录律师审查" }));
  if (i.problem === "revised_since_review")
    return el("li", {}, `《${i.law}》`, el("span", { class: "tag st-warn", text: `审查后已修订（${i.revision.passed}通过，${i.revision.inForce}施行）` }));
  return el("li", {}, `《${i.law}》${i.article}：`, i.problem === "missing" ? el("span", { class: "tag st-warn", text: "知识库中没有" }) : i.statuses.map(statusTag));
}

/** Laws revised after the statute collection was taken: old texts are not quoted as current. */
async function revisionsCard() {
  const { el, api } = ctx;
  const { revisions } = await api("GET", "/api/console/admin/knowledge/revisions");
  return card(
    "条文库之后修订的法律",
    el("p", { class: "hint", text: "这些法律在条文库快照之后修订。旧文本已标为“已修改”，不会当作现行法律引用；在“上传”里导入新文本后，新文本自动取代旧文本。名单维护在 knowledge/law-revisions.yaml。" }),
    el(
      "table",
      { id: "revisionsTable" },
      el("tr", {}, el("th", { text: "法律" }), el("th", { text: "通过 / 施行" }), el("th", { text: "修改内容" }), el("th", { text: "新文本" })),
      ...revisions.map((r) =>
        el(
          "tr",
          {},
          el("td", {}, el("b", { text: r.law }), el("div", { class: "hint", text: r.source })),
          el("td", { text: `${r.passed} / ${r.inForce}` }),
          el("td", { text: r.changes }),
          el("td", {}, el("span", { class: r.newTextImported ? "tag st-ok" : "tag st-warn", text: r.newTextImported ? "已导入" : "尚未导入" })),
        ),
      ),
    ),
  );
}

async function staleSection(box) {
  const { el, api } = ctx;
  const { guides: all } = await api("GET", "/api/console/admin/knowledge/stale-guides");
  const revisions = await revisionsCard();
  // Repealed or amended basis first: those answers changed meaning; missing text only lacks a quote.
  const rank = (g) => (g.issues.some((i) => i.problem === "not_current") ? 0 : 1);
  const guides = all.slice().sort((a, b) => rank(a) - rank(b));
  const notCurrent = guides.filter((g) => rank(g) === 0).length;
  box.replaceChildren(
    card(
      "需要复核的办事指南",
      el("p", { class: "hint", text: "这些指南的法律依据里有已失效、已修改或知识库中找不到的条文，或所依据的法律在上次审查后又修订了。机器人不会把非现行条文当作现行法律引用；请在“编辑指南”里更新依据和审查记录。" }),
      guides.length ? el("p", { class: notCurrent ? "alert" : "hint", text: `引用已失效或已修改条文的指南 ${notCurrent} 篇；引用知识库中没有的条文的指南 ${guides.length - notCurrent} 篇。` }) : null,
      guides.length
        ? el(
            "table",
            { id: "staleTable" },
            el("tr", {}, el("th", { text: "办事指南" }), el("th", { text: "有问题的依据" })),
            ...guides.map((g) =>
              el(
                "tr",
                {},
                el("td", {}, el("b", { text: g.title }), el("div", { class: "hint", text: g.id })),
                el("td", {}, el("ul", { class: "plain" }, ...g.issues.map(issueItem))),
              ),
            ),
          )
        : el("p", { class: "success", text: "所有指南引用的条文都是现行有效的。" }),
    ),
    revisions,
  );
}

// ---------------------------------------------------------------- 测试台

async function testbenchPage(root) {
  const { el, api } = ctx;
  const question = el("textarea", { id: "testQuestion", rows: "3", placeholder: "像居民一样提问，例如：老板欠我三个月工资不给咋办" });
  const channel = channelSelect("testChannel");
  const out = el("div", { id: "testResult" });
  const run = el("button", { type: "submit", class: "primary", id: "testRun", text: "测试" });
  const form = el("form", { class: "card" }, el("h2", { text: "测试台" }), el("p", { class: "hint", text: "问题不会记录为咨询，也不会生成工单；显示的回复与居民在所选渠道看到的一致（不经大模型改写）。" }), el("label", {}, "问题", question), el("label", {}, "渠道", channel), el("div", { class: "bar" }, run));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    run.disabled = true;
    try {
      out.replaceChildren(trialView(await api("POST", "/api/console/admin/test", { question: question.value, channel: channel.value })));
    } catch (err) {
      out.replaceChildren(el("p", { class: "error", text: err.message }));
    } finally {
      run.disabled = false;
    }
  });
  root.replaceChildren(form, el("section", { class: "card" }, out));
}

// ---------------------------------------------------------------- 渠道

async function channelsPage(root) {
  const { el, api, toast } = ctx;
  const data = await api("GET", "/api/console/admin/channels");
  const isAdmin = ctx.state.me.role === "admin";
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
      const person = el("select", { id: "linkUser" }, ...tg.people.map((p) => el("option", { value: p.id, text: `${p.name}（${ctx.ROLE[p.role]}）` })));
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
