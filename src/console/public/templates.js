// Saved replies in a form (not prompt()): the shipped ones (改写另存 keeps an editable copy),
// the shared ones and the lawyer's own.

import { el } from "./dom.js";
import { renderDetail } from "./referral.js";
import { $, api, setError, state, toast } from "./shared.js";

export async function loadTemplates() {
  try {
    state.templates = (await api("GET", "/api/console/templates")).templates;
  } catch {
    state.templates = [];
  }
}

export function openTemplates(draft) {
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
