// 知识库: uploads, the guide editor with a preview that saves nothing, the laws with their
// status marks, and the guides whose legal basis is no longer current.

import { el } from "./dom.js";
import { card, channelSelect, problemList, statusTag, trialView } from "./admin-shared.js";
import { api, state, toast } from "./shared.js";

export async function knowledgePage(root) {
  const summary = await api("GET", "/api/console/admin/knowledge/summary");
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
      const res = await fetch(`/api/console/admin/knowledge/upload?filename=${encodeURIComponent(f.name)}`, { method: "POST", headers: { "content-type": "application/octet-stream", "x-csrf-token": state.csrf }, credentials: "same-origin", body: f });
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
    const res = await fetch(path, { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": state.csrf }, credentials: "same-origin", body: JSON.stringify(body) });
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
  const filter = { q: "", status: "", page: 1 };
  const search = el("input", { id: "lawSearch", type: "search", placeholder: "按法规名称搜索，例如 劳动合同法" });
  const status = el("select", { id: "lawStatus" }, el("option", { value: "", text: "全部效力" }), ...["现行有效", "已修改", "已失效", "尚未生效"].map((s) => el("option", { value: s, text: s })));
  const list = el("div", { id: "lawList" });
  async function load() {
    const params = new URLSearchParams({ q: filter.q, status: filter.status, page: String(filter.page), size: "20" });
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
        el("button", { type: "button", class: "secondary", text: "上一页", disabled: filter.page <= 1, onclick: () => ((filter.page -= 1), void load()) }),
        el("span", { text: `第 ${filter.page} / ${pages} 页` }),
        el("button", { type: "button", class: "secondary", text: "下一页", disabled: filter.page >= pages, onclick: () => ((filter.page += 1), void load()) }),
      ),
    );
  }
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => ((filter.q = search.value.trim()), (filter.page = 1), void load().catch((e) => toast(e.message))), 250);
  });
  status.addEventListener("change", () => ((filter.status = status.value), (filter.page = 1), void load().catch((e) => toast(e.message))));
  box.replaceChildren(card("法规", el("div", { class: "bar filters" }, search, status), list));
  await load();
}

/** One problem of a guide's legal basis, as the administrator reads it. */
function issueItem(i) {
  if (i.problem === "never_reviewed") return el("li", {}, el("span", { class: "tag st-warn", text: "未记录律师审查" }));
  if (i.problem === "revised_since_review")
    return el("li", {}, `《${i.law}》`, el("span", { class: "tag st-warn", text: `审查后已修订（${i.revision.passed}通过，${i.revision.inForce}施行）` }));
  return el("li", {}, `《${i.law}》${i.article}：`, i.problem === "missing" ? el("span", { class: "tag st-warn", text: "知识库中没有" }) : i.statuses.map(statusTag));
}

/** Laws revised after the statute collection was taken: old texts are not quoted as current. */
async function revisionsCard() {
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
