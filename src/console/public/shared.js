// What the console's modules share: the labels, the signed-in state, the API client (CSRF
// header, session expiry), the toast and the time formats. All server text reaches the page
// through textContent (dom.js), never as HTML.

export const $ = (id) => document.getElementById(id);

export const STATUS = { open: "待认领", claimed: "已认领", replied: "已回复", closed: "已办结", transferred: "已转交", reopened: "重新打开" };
export const URGENCY = { normal: "一般", urgent: "紧急", emergency: "危急" };
export const REASON = { low_confidence: "机器人没有把握", asked_human: "居民要求人工", emergency: "紧急情况", dissatisfied: "居民不满意", always_lawyer: "须律师处理", llm_failed_check: "模型答复未通过核验", system_error: "系统错误" };
export const CHANNEL = { web: "网页咨询", wechat_oa: "微信公众号", wechaty: "乡镇微信群", telegram: "Telegram", cli: "终端", eval: "评测" };
export const ROLE = { lawyer: "律师", supervisor: "督导", admin: "管理员" };

export const state = { me: null, csrf: null, view: "mine", selected: null, topics: new Map(), regions: new Map(), templates: [], staff: [], unseen: new Map() };
/** Set by console.js: what to do when the session is gone (show the sign-in form). */
export const hooks = { sessionLost: () => {} };

export const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }) : "—");
export const fmtMinutes = (m) => (m < 60 ? `${m}分钟` : m < 1440 ? `${Math.floor(m / 60)}小时${m % 60 ? `${m % 60}分` : ""}` : `${Math.floor(m / 1440)}天${Math.floor((m % 1440) / 60)}小时`);
export const topicName = (id) => state.topics.get(id) ?? id;
export const regionName = (id) => (id ? (state.regions.get(id) ?? id) : "未知区域");

class ApiError extends Error {
  constructor(status, body) {
    super(body.error || `请求失败（${status}）`);
    this.status = status;
    this.code = body.code;
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["x-csrf-token"] = state.csrf;
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && !path.endsWith("/login") && !path.endsWith("/password")) {
    hooks.sessionLost("登录已过期，请重新登录");
    throw new ApiError(401, data);
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

let toastTimer;
export function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 6000);
}

export function setError(id, text) {
  $(id).hidden = !text;
  $(id).textContent = text || "";
}
