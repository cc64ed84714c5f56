// The bureau's pages in the console: 值班表 (duty rota editor, admin-rota.js), 知识库 (uploads,
// guide editor with preview, laws, guides citing non-current law; admin-knowledge.js), 测试台
// (test console, admin-testbench.js) and 渠道 (Wechaty login QR and groups, Telegram account
// links; admin-channels.js). Loaded on demand by console.js; all server text goes in through
// textContent.

import { channelsPage } from "./admin-channels.js";
import { knowledgePage } from "./admin-knowledge.js";
import { rotaPage } from "./admin-rota.js";
import { testbenchPage } from "./admin-testbench.js";
import { el } from "./dom.js";

const PAGES = { rota: rotaPage, knowledge: knowledgePage, testbench: testbenchPage, channels: channelsPage };

/** Shows one of the bureau's pages (`rota`, `knowledge`, `testbench`, `channels`) in `root`. */
export async function renderAdmin(view, root) {
  root.replaceChildren(el("p", { class: "empty", text: "加载中…" }));
  try {
    await PAGES[view](root);
  } catch (err) {
    root.replaceChildren(el("p", { class: "error", text: err.message }));
  }
}
