// End to end in headless Chromium: a resident asks in the web chat and is escalated; a duty
// lawyer (created by the admin, on the rota) logs in, changes the first password, sees the
// referral arrive without reloading, claims and replies; the resident's page shows the
// reply live; the lawyer closes; the resident rates. Screenshots go to
// test-output/screenshots/ for a person to look at (laptop 1280x800, phone 390x844).

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { ADMIN_PASSWORD, Client, startTestServer, type TestServer, WAGE_QUESTION } from "../server/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(PROJECT_ROOT, "test-output", "screenshots");
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[e2e] skipped: ${CHROMIUM} not found (install Debian's chromium package)`);

describe.skipIf(!haveChromium)("web chat and console in a real browser", () => {
  let t: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestServer({ logLevel: "warn" });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  test("escalate, claim, reply live, close, rate", async () => {
    // The administrator creates the duty lawyer and puts them on the rota, through the API.
    const admin = new Client(t.base);
    await admin.login("admin", ADMIN_PASSWORD);
    const created = await admin.post("/api/console/users", { username: "chen", name: "陈律师", role: "lawyer", regions: ["qinghe"], topics: ["labour"], password: "First-Passw0rd-x1" });
    expect(created.status).toBe(200);
    const schedule = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
    expect((await admin.post("/api/console/rota", { userId: created.body.user.id, regions: ["qinghe"], schedule })).status).toBe(200);

    // Lawyer on a laptop: log in, forced to change the first password, lands on an empty queue.
    const lawyerCtx = await browser.newContext({ viewport: LAPTOP, locale: "zh-CN" });
    const lawyer = await lawyerCtx.newPage();
    const pageErrors: string[] = [];
    lawyer.on("pageerror", (e) => pageErrors.push(e.message));
    await lawyer.goto(`${t.base}/console`);
    await lawyer.fill("#username", "chen");
    await lawyer.fill("#password", "wrong-password");
    await lawyer.click("#loginForm button[type=submit]");
    await expect.poll(() => lawyer.textContent("#loginError")).toBe("用户名或密码错误");
    await lawyer.fill("#password", "First-Passw0rd-x1");
    await shot(lawyer, "console-laptop-login");
    await lawyer.click("#loginForm button[type=submit]");
    await lawyer.waitForSelector("#passwordView:not([hidden])");
    await lawyer.fill("#oldPassword", "First-Passw0rd-x1");
    await lawyer.fill("#newPassword", "Lawyer-Own-Passw0rd7");
    await lawyer.fill("#newPassword2", "Lawyer-Own-Passw0rd7");
    await lawyer.click("#passwordForm button[type=submit]");
    await lawyer.waitForSelector("#mainView:not([hidden])");
    await expect.poll(() => lawyer.textContent("#list"), { timeout: 30_000 }).toContain("暂无工单");

    // Resident on a phone: a question the corpus answers, then one for a person.
    const residentCtx = await browser.newContext({ viewport: PHONE, locale: "zh-CN", isMobile: true, hasTouch: true });
    const resident = await residentCtx.newPage();
    resident.on("pageerror", (e) => pageErrors.push(e.message));
    await resident.goto(`${t.base}/`);
    await resident.fill("#text", WAGE_QUESTION);
    await resident.click("#send");
    await resident.waitForSelector(".msg.bot .cites");
    await resident.click(".msg.bot .cite summary");
    expect(await resident.textContent(".msg.bot .cite blockquote")).toContain("用人单位应当按照劳动合同约定和国家规定");
    expect(await resident.textContent(".msg.bot .cite .status")).toBe("现行有效");
    await shot(resident, "chat-phone-answer");

    await resident.fill("#text", "我家的狗咬了邻居的鸡，邻居要我赔一万块钱");
    await resident.click("#send");
    await resident.waitForSelector(".msg.bot .badge");
    expect(await resident.textContent(".msg.bot:last-child")).toContain("已转给值班律师");
    await shot(resident, "chat-phone-escalated");

    // The lawyer's queue shows it without a reload.
    const row = lawyer.locator(".row", { hasText: "狗咬了邻居的鸡" });
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).toMatch(/已等待.*期限/);
    await expect.poll(() => lawyer.textContent("#toast"), { timeout: 30_000 }).toMatch(/工单/);
    await shot(lawyer, "console-laptop-queue");

    await row.click();
    await lawyer.waitForSelector("#claimBtn");
    expect(await lawyer.textContent("#detail")).toContain("机器人找到的依据");
    // What the bot found opens in full.
    await lawyer.locator("#detail .finding button.link").first().click();
    await lawyer.waitForSelector("#docDialog[open]");
    expect((await lawyer.textContent("#docBody"))?.length).toBeGreaterThan(20);
    await shot(lawyer, "console-laptop-finding");
    await lawyer.click("#docDialog form button");
    await lawyer.click("#claimBtn");
    await lawyer.waitForSelector("#replyText");
    await lawyer.fill("#replyText", "您好，我是值班律师陈律师。饲养的动物造成他人损害的，一般由饲养人承担责任，赔多少要看鸡的实际价值，一万元明显过高，可以先找村调解委员会调解。");
    await lawyer.click("#replyBtn");
    await expect.poll(() => lawyer.textContent("#detail .timeline"), { timeout: 30_000 }).toContain("已送达");
    await shot(lawyer, "console-laptop-detail");

    // The resident's page shows the reply live.
    await resident.waitForSelector(".msg.lawyer", { timeout: 30_000 });
    expect(await resident.textContent(".msg.lawyer")).toContain("饲养的动物造成他人损害");
    expect(await resident.textContent("#referralState")).toBe("律师已回复，请看上方消息");
    await shot(resident, "chat-phone-lawyer-reply");

    // The lawyer closes; the resident is asked to rate, live.
    await lawyer.click("summary:has-text('办结工单')");
    await lawyer.fill("#outcomeText", "已解答，建议先调解");
    // A live update (the administrator adds a note) re-renders the referral under the
    // lawyer's hands: the close form stays open, with the typed outcome and the caret.
    const selectedId = await lawyer.getAttribute("#list .row.sel", "data-id");
    expect((await admin.post(`/api/console/referrals/${selectedId}/notes`, { text: "督导已阅" })).status).toBe(200);
    await expect.poll(() => lawyer.textContent("#detail .timeline"), { timeout: 30_000 }).toContain("督导已阅");
    expect(await lawyer.isVisible("#closeBtn")).toBe(true);
    expect(await lawyer.inputValue("#outcomeText")).toBe("已解答，建议先调解");
    expect(await lawyer.evaluate("document.activeElement?.id")).toBe("outcomeText");
    await lawyer.click("#closeBtn");
    await resident.waitForSelector("#rating:not([hidden])", { timeout: 30_000 });
    await resident.click(".stars button[data-stars='5']");
    await resident.fill("#ratingComment", "律师很耐心");
    await shot(resident, "chat-phone-rating");
    await resident.click("#ratingSend");
    await expect.poll(() => resident.textContent("#log"), { timeout: 30_000 }).toContain("感谢您的评价");
    expect(await resident.isHidden("#rating")).toBe(true);

    // The rating reaches the console live.
    await expect.poll(() => lawyer.textContent("#detail"), { timeout: 30_000 }).toContain("★★★★★");
    expect(await lawyer.textContent("#detail")).toContain("律师很耐心");
    await lawyer.click("button[data-view='closed']");
    await lawyer.locator(".row", { hasText: "狗咬了邻居的鸡" }).waitFor();
    await shot(lawyer, "console-laptop-closed");

    // The same console on a phone.
    const phoneCtx = await browser.newContext({ viewport: PHONE, locale: "zh-CN", isMobile: true, hasTouch: true, storageState: await lawyerCtx.storageState() });
    const phone = await phoneCtx.newPage();
    await phone.goto(`${t.base}/console`);
    await phone.click("button[data-view='closed']");
    await phone.locator(".row", { hasText: "狗咬了邻居的鸡" }).click();
    await phone.waitForSelector("#detail .timeline");
    expect(await phone.isVisible("#list")).toBe(false);
    await shot(phone, "console-phone-detail");
    await phone.click("#detail .back");
    expect(await phone.isVisible("#list")).toBe(true);
    await shot(phone, "console-phone-queue");

    // The chat on a laptop, after a reload: the history survives.
    const laptopChat = await (await browser.newContext({ viewport: LAPTOP, locale: "zh-CN", storageState: await residentCtx.storageState() })).newPage();
    await laptopChat.goto(`${t.base}/`);
    await laptopChat.waitForSelector(".msg.lawyer");
    expect(await laptopChat.locator(".msg.resident").count()).toBe(3);
    await shot(laptopChat, "chat-laptop-history");

    // The admin's user management page.
    const adminPage = await (await browser.newContext({ viewport: LAPTOP, locale: "zh-CN" })).newPage();
    await adminPage.goto(`${t.base}/console`);
    await adminPage.fill("#username", "admin");
    await adminPage.fill("#password", ADMIN_PASSWORD);
    await adminPage.click("#loginForm button[type=submit]");
    await adminPage.click("#usersTab");
    await adminPage.waitForSelector("text=陈律师（chen）");
    await shot(adminPage, "console-laptop-users");

    expect(pageErrors).toEqual([]);
  }, 180_000);
});
