// Residents' web chat. Renders the thread from /api/chat/history (the one source of truth),
// posts messages with a client-generated id (a retry reuses it: one answer, never two) and
// re-reads the history whenever the server pushes an update (a lawyer's reply, a notice).

const $ = (id) => document.getElementById(id);
const MAX = 2000;
const ROLE_LABEL = { bot: "法律助手", lawyer: "值班律师", resident: "我", system: "系统通知" };
const STATE_LABEL = { waiting: "等待律师接手", claimed: "律师已接手，正在处理", replied: "律师已回复，请看上方消息", closed: "已办结" };
const STEPS = ["waiting", "claimed", "replied", "closed"];
const URGENCY_LABEL = { emergency: "危急", urgent: "紧急", normal: "一般" };
/** A closed referral stays on screen this long (ms). */
const CLOSED_SHOWN_MS = 24 * 3600_000;

let rendered = "";
/** Messages on screen after the last render: a longer list means something new arrived. */
let shownCount = -1;
let sending = false;
let chosenStars = 0;

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // crypto.randomUUID needs a secure context; a county LAN may serve plain HTTP.
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function citationBlock(citations) {
  const box = el("div", "cites");
  box.append(el("h2", "", "法律依据（点开看原文）"));
  for (const c of citations) {
    const d = el("details", "cite");
    const s = el("summary");
    s.append(`《${c.law}》${c.article}`);
    s.append(el("span", "status", c.status));
    d.append(s, el("blockquote", "", c.quote));
    box.append(d);
  }
  return box;
}

function messageNode(m) {
  const node = el("div", `msg ${m.role}`);
  node.append(el("div", "who", ROLE_LABEL[m.role] ?? ""));
  node.append(el("div", "text", m.text));
  if (m.citations?.length) node.append(citationBlock(m.citations));
  if (m.escalated) node.append(el("div", "badge", "已转值班律师，请留意本页回复"));
  if (typeof m.rating === "number") node.append(el("div", "badge", `评分：${"★".repeat(m.rating)}`));
  return node;
}

function render(view) {
  const key = JSON.stringify(view);
  if (key === rendered) return;
  rendered = key;
  const log = $("log");
  const welcome = log.querySelector(".welcome");
  log.replaceChildren(welcome);
  for (const m of view.messages) log.append(messageNode(m));
  $("rating").hidden = !view.awaitingRating;
  renderReferral(view.referral);
  // While the rating is asked for, the referral shows in one line: the conversation keeps the screen.
  $("referral").classList.toggle("brief", !!view.awaitingRating);
  const grew = view.messages.length > shownCount;
  shownCount = view.messages.length;
  if (grew) bringIntoView(log);
}

/**
 * A new answer is shown from its start (the direct answer, not the disclaimer at its end);
 * anything else new, such as the resident's own message, at the bottom of the log.
 */
function bringIntoView(log) {
  const last = log.lastElementChild;
  if (!last || !last.classList.contains("msg") || last.classList.contains("resident")) {
    log.scrollTop = log.scrollHeight;
    return;
  }
  const offset = last.getBoundingClientRect().top - log.getBoundingClientRect().top;
  log.scrollTop = Math.max(0, log.scrollTop + offset - 8);
}

function shanghaiTime(iso) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("zh-CN", { timeZone: "Asia/Shanghai", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}`;
}

/** The referral's number, where it stands, and when the resident may expect an answer. */
function renderReferral(r) {
  const box = $("referral");
  const show = !!r && (r.state !== "closed" || Date.now() - Date.parse(r.closedAt ?? r.createdAt) < CLOSED_SHOWN_MS);
  box.hidden = !show;
  if (!show) return;
  box.dataset.state = r.state;
  $("referralNumber").textContent = r.number;
  $("referralState").textContent = STATE_LABEL[r.state] ?? "";
  const at = STEPS.indexOf(r.state);
  for (const li of box.querySelectorAll(".steps li")) {
    const i = STEPS.indexOf(li.dataset.step);
    li.classList.toggle("done", i < at);
    li.classList.toggle("now", i === at);
    if (i === at) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
  const expect = $("referralExpect");
  if (r.state === "waiting" || (r.state === "claimed" && r.due)) {
    expect.textContent = `${URGENCY_LABEL[r.urgency] ?? ""}问题，预计${r.window}内回复${r.due ? `（${shanghaiTime(r.due)}前）` : ""}。律师回复会直接显示在这里。`;
  } else if (r.state === "replied") {
    expect.textContent = "还有疑问可以直接接着问，律师会看到。";
  } else if (r.state === "closed") {
    expect.textContent = "本次咨询已办结。如有新问题，直接输入即可。";
  } else {
    expect.textContent = "";
  }
}

async function api(path, options = {}) {
  const res = await fetch(path, { credentials: "same-origin", headers: { "content-type": "application/json" }, ...options });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.error || "网络异常，请稍后重试"), { status: res.status });
  return body;
}

async function refresh() {
  try {
    render(await api("/api/chat/history"));
  } catch (e) {
    showError(e.message);
  }
}

function showError(text) {
  const box = $("error");
  box.hidden = !text;
  box.textContent = text || "";
}

/** Sends one message; the same id is reused when the resident retries. */
async function send(text, id = newId()) {
  if (sending) return;
  sending = true;
  $("send").disabled = true;
  showError("");
  const pending = messageNode({ role: "resident", text });
  pending.classList.add("pending");
  $("log").append(pending);
  $("log").scrollTop = $("log").scrollHeight;
  try {
    await api("/api/chat/messages", { method: "POST", body: JSON.stringify({ id, text, region: $("region").value || undefined }) });
    rendered = "";
    await refresh();
    return true;
  } catch (e) {
    pending.classList.remove("pending");
    pending.classList.add("failed");
    if (e.status && e.status < 500 && e.status !== 429) {
      pending.remove();
      showError(e.message);
    } else {
      showError(`${e.message}。点“重试”再发一次（不会重复提问）。`);
      const retry = el("button", "retry", "重试");
      retry.type = "button";
      retry.addEventListener("click", () => {
        pending.remove();
        void send(text, id);
      });
      pending.append(retry);
    }
    return false;
  } finally {
    sending = false;
    $("send").disabled = false;
  }
}

function connectLive() {
  const source = new EventSource("/api/chat/events");
  source.addEventListener("update", () => void refresh());
  // After a reconnect anything may have arrived meanwhile.
  source.addEventListener("ready", () => void refresh());
}

function setupComposer() {
  const text = $("text");
  const count = $("count");
  const update = () => {
    count.textContent = `${text.value.length}/${MAX}`;
    count.classList.toggle("over", text.value.length >= MAX);
  };
  text.addEventListener("input", update);
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $("composer").requestSubmit();
    }
  });
  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = text.value.trim();
    if (!value) {
      showError("请输入您要咨询的问题");
      return;
    }
    text.value = "";
    update();
    const ok = await send(value);
    if (ok === false && !$("log").querySelector(".failed")) text.value = value;
  });
}

function setupRating() {
  const buttons = [...document.querySelectorAll(".stars button")];
  for (const b of buttons) {
    b.addEventListener("click", () => {
      chosenStars = Number(b.dataset.stars);
      buttons.forEach((x) => {
        x.classList.toggle("on", Number(x.dataset.stars) <= chosenStars);
        x.setAttribute("aria-pressed", String(Number(x.dataset.stars) === chosenStars));
      });
      $("starsLabel").textContent = `${chosenStars}分`;
      $("ratingMore").hidden = false;
      $("ratingSend").disabled = false;
    });
  }
  $("ratingSend").addEventListener("click", async () => {
    if (!chosenStars) return;
    const comment = $("ratingComment").value.trim();
    // The conversation core reads "5 很满意" as the rating for the closed referral.
    const ok = await send(comment ? `${chosenStars} ${comment}` : String(chosenStars));
    if (ok) {
      $("ratingComment").value = "";
      $("ratingMore").hidden = true;
    }
  });
  $("ratingComment").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      $("ratingSend").click();
    }
  });
}

async function setupRegions() {
  try {
    const { regions } = await api("/api/chat/regions");
    const select = $("region");
    for (const r of regions) select.append(new Option(r.name, r.id));
    select.value = localStorage.getItem("lawdesk.region") ?? "";
    select.addEventListener("change", () => localStorage.setItem("lawdesk.region", select.value));
  } catch {
    /* optional */
  }
}

setupComposer();
setupRating();
void setupRegions();
await refresh();
connectLive();
