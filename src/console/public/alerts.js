// Lasting alerts: a marker on the row until the referral is opened (kept in localStorage, so
// it survives a reload), the count in the tab title, and a desktop notification for 危急 and
// 紧急 once the lawyer allowed them.

import { openReferral } from "./referral.js";
import { $, state, toast, URGENCY } from "./shared.js";

const BASE_TITLE = document.title;

const unseenKey = () => `lawdesk.unseen.${state.me?.id}`;

export function loadUnseen() {
  try {
    state.unseen = new Map(JSON.parse(localStorage.getItem(unseenKey()) ?? "[]"));
  } catch {
    state.unseen = new Map();
  }
  showUnseenCount();
}

function saveUnseen() {
  try {
    localStorage.setItem(unseenKey(), JSON.stringify([...state.unseen].slice(-200)));
  } catch {
    /* private mode: markers last for this page only */
  }
  showUnseenCount();
}

function showUnseenCount() {
  const n = state.unseen.size;
  document.title = n ? `(${n}) ${BASE_TITLE}` : BASE_TITLE;
}

/** A marker that stays on the row until the referral is opened; 危急 and 紧急 also ring the desktop. */
export function markUnseen(data, label) {
  // The referral the lawyer is looking at right now is seen already.
  if (data.id === state.selected && document.visibilityState === "visible" && !$("mainView").hidden) return;
  state.unseen.set(data.id, { label, urgency: data.urgency, number: data.number });
  saveUnseen();
  if ((data.urgency === "emergency" || data.urgency === "urgent") && "Notification" in window && Notification.permission === "granted") {
    try {
      const n = new Notification(`${URGENCY[data.urgency]}工单 ${data.number}`, { body: `${label}：请尽快处理`, tag: `${data.id}:${label}`, requireInteraction: data.urgency === "emergency" });
      n.onclick = () => {
        window.focus();
        void openReferral(data.id);
      };
    } catch {
      /* some browsers only allow notifications from a service worker */
    }
  }
}

export function markSeen(id) {
  if (state.unseen.delete(id)) saveUnseen();
  const row = $("list").querySelector(`.row[data-id="${CSS.escape(id)}"]`);
  row?.classList.remove("unseen");
  row?.querySelector(".new-mark")?.remove();
}

export function setupNotifyButton() {
  const b = $("notifyBtn");
  const update = () => (b.hidden = !("Notification" in window) || Notification.permission !== "default");
  update();
  b.onclick = async () => {
    await Notification.requestPermission();
    update();
    toast(Notification.permission === "granted" ? "已开启：危急、紧急工单会弹出桌面提醒" : "未开启桌面提醒，可在浏览器设置里更改");
  };
}
