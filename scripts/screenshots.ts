// The README's screenshots, taken in headless Chromium from a real lawdesk on loopback (a temp
// data dir, as the end-to-end tests use): the web chat on a phone after a lawyer replied, and
// the lawyer's referral view on a desktop. Writes docs/screenshots/*.png.
//   node bin/run-script.js scripts/screenshots.ts
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { PROJECT_ROOT } from "../src/config.ts";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, waitFor } from "../test/server/helpers.ts";
import { DESKTOP, launchChromium, newPage, PHONE, residentAsks, signIn } from "../test/e2e/browser.ts";

const OUT = join(PROJECT_ROOT, "docs", "screenshots");
mkdirSync(OUT, { recursive: true });

const t = await startTestServer({ logLevel: "warn" });
const browser = await launchChromium();
const contexts: BrowserContext[] = [];
try {
  const admin = new Client(t.base);
  await admin.login("admin", ADMIN_PASSWORD);
  const lawyer = await createStaff(t, admin, { username: "lilvshi", name: "李律师", role: "lawyer", regions: ["qinghe"] });

  // A resident on a phone: a question the bot answers, then a lawyer.
  const phone = await newPage(browser, contexts, PHONE, true);
  await phone.goto(`${t.base}/`);
  await phone.locator("#region option[value='qinghe.dongzhen']").waitFor({ state: "attached" });
  await phone.selectOption("#region", "qinghe.dongzhen");
  await residentAsks(phone, "老板欠我三个月工资不给咋办");
  await residentAsks(phone, "没签劳动合同，我要找律师");
  await phone.waitForSelector("#referral:not([hidden])");
  const number = (await phone.textContent("#referralNumber"))!.trim();
  const r = await t.app.referrals.getByNumber(number, lawyer.id);
  await lawyer.client.post(`/api/console/referrals/${r.id}/claim`);
  await lawyer.client.post(`/api/console/referrals/${r.id}/reply`, {
    text: "您好，我是李律师。没签书面劳动合同超过一个月的，可以要求单位每月支付二倍工资。请把工资转账记录、考勤或工作群聊天记录整理好，明天上午到镇公共法律服务工作站找我。",
  });
  await phone.waitForSelector(".msg.lawyer");
  await waitFor(async () => (await phone.textContent("#referralState"))?.includes("已回复"), 10_000, "the replied state");
  await phone.screenshot({ path: join(OUT, "chat-phone.png") });

  // The lawyer's desk: the referral opens at the latest message.
  const desk = await newPage(browser, contexts, DESKTOP);
  await signIn(desk, t.base, "lilvshi", lawyer.password);
  await desk.click("button[data-view='mine']");
  await desk.locator(".row", { hasText: number }).click();
  await desk.waitForSelector("#detail .chat .bubble");
  await desk.waitForSelector("#residentCard:not(:has-text('载入中'))");
  await desk.screenshot({ path: join(OUT, "console-referral.png") });

  for (const name of ["chat-phone.png", "console-referral.png"]) console.log(`${join("docs", "screenshots", name)}  ${Math.round(statSync(join(OUT, name)).size / 1024)} KB`);
} finally {
  for (const c of contexts) await c.close().catch(() => {});
  await browser.close();
  await t.close();
}
