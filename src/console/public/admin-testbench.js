// 测试台: ask as a resident would and see the answer with the reasons behind it; nothing is
// recorded as a consultation.

import { el } from "./dom.js";
import { channelSelect, trialView } from "./admin-shared.js";
import { api } from "./shared.js";

export async function testbenchPage(root) {
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
