// End to end in headless Chromium (issue 15): the resident's screen after 转人工 (referral
// number, expected time, state live; a compact rating panel; the favicon), the lawyer's desk
// (transcript at the latest message, queue filters, the resident's earlier referrals,
// lasting alerts, closing warnings, templates) and the administrator's pages, at phone
// (390x844) and desktop (1366x900) sizes. Screenshots go to test-output/screenshots/.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, waitFor, type TestServer } from "../server/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(PROJECT_ROOT, "test-output", "screenshots");
const DESKTOP = { width: 1366, height: 900 };
const PHONE = { width: 390, height: 844 };
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[e2e] skipped: ${CHROMIUM} not found (install Debian's chromium package)`);

describe.skipIf(!haveChromium)("the lawyer's desk and the resident's screen", () => {
  let t: TestServer;
  let browser: Browser;
  let admin: Client;
  let lawyer: { client: Client; id: string; password: string };
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestServer({ logLevel: "warn" });
    admin = new Client(t.base);
    await admin.login("admin", ADMIN_PASSWORD);
    lawyer = await createStaff(t, admin, { username: "deskli", name: "李律师", role: "lawyer", regions: ["qinghe"] });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: false });

  async function open(viewport: typeof DESKTOP, phone = false, storageState?: Awaited<ReturnType<BrowserContext["storageState"]>>): Promise<Page> {
    const ctx = await browser.newContext({ viewport, locale: "zh-CN", ...(phone ? { isMobile: true, hasTouch: true } : {}), ...(storageState ? { storageState } : {}) });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("response", (r) => {
      if (r.status() >= 400 && !r.url().includes("/api/")) failedRequests.push(`${r.status()} ${r.url()}`);
    });
    return page;
  }

  async function residentAsks(page: Page, text: string) {
    const before = await page.locator(".msg.bot").count();
    await page.fill("#text", text);
    await page.click("#send");
    await expect.poll(() => page.locator(".msg.bot").count(), { timeout: 30_000 }).toBeGreaterThan(before);
  }

  async function referralOf(number: string) {
    return t.app.referrals.getByNumber(number, lawyer.id);
  }

  test("the resident sees the referral's number, expected time and state live; a compact rating keeps full-width punctuation", async () => {
    const resident = await open(PHONE, true);
    await resident.goto(`${t.base}/`);
    await residentAsks(resident, "转人工");
    await resident.waitForSelector("#referral:not([hidden])", { timeout: 30_000 });
    const number = (await resident.textContent("#referralNumber"))!.trim();
    expect(number).toMatch(/\d{4}/);
    expect(await resident.textContent("#referralState")).toBe("等待律师接手");
    expect(await resident.textContent("#referralExpect")).toMatch(/预计24小时内回复（.*前）/);
    expect(await resident.getAttribute("#referral .steps li[data-step='waiting']", "aria-current")).toBe("step");
    await shot(resident, "desk-chat-phone-waiting");

    const r = await referralOf(number);
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/claim`)).status).toBe(200);
    await expect.poll(() => resident.textContent("#referralState"), { timeout: 30_000 }).toBe("律师已接手，正在处理");
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/reply`, { text: "您好，我是李律师。请说说具体情况：对方是谁，欠了多少，有没有欠条？" })).status).toBe(200);
    await expect.poll(() => resident.textContent("#referralState"), { timeout: 30_000 }).toBe("律师已回复，请看上方消息");
    await resident.waitForSelector(".msg.lawyer");
    await shot(resident, "desk-chat-phone-replied");

    // The resident asks again and the lawyer closes without answering: no rating request.
    await residentAsks(resident, "邻居借了我两万块钱，有借条，一直不还");
    const before = (await lawyer.client.get(`/api/console/referrals/${r.id}`)).body;
    expect(before.unanswered).toBe(true);
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/close`, { outcome: "已电话联系，约到中心面谈" })).status).toBe(200);
    await expect.poll(() => resident.textContent("#referralState"), { timeout: 30_000 }).toBe("已办结");
    expect(await resident.isHidden("#rating")).toBe(true);

    // Reopened, answered and closed: now the resident is asked, in a panel that leaves the
    // conversation most of the phone's screen.
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/reopen`, { reason: "当事人要书面答复" })).status).toBe(200);
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/claim`)).status).toBe(200);
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/reply`, { text: "有借条的，可以先发催告，再向法院起诉，诉讼时效三年。" })).status).toBe(200);
    expect((await lawyer.client.post(`/api/console/referrals/${r.id}/close`, { outcome: "已书面答复" })).status).toBe(200);
    await resident.waitForSelector("#rating:not([hidden])", { timeout: 30_000 });
    const closedPanel = (await resident.locator("#rating").boundingBox())!;
    expect(closedPanel.height).toBeLessThanOrEqual(PHONE.height * 0.12);
    await resident.click(".stars button[data-stars='4']");
    expect(await resident.getAttribute(".stars button[data-stars='4']", "aria-pressed")).toBe("true");
    const openPanel = (await resident.locator("#rating").boundingBox())!;
    expect(openPanel.height).toBeLessThanOrEqual(PHONE.height * 0.2);
    await resident.fill("#ratingComment", "律师很耐心，讲得清楚。");
    await shot(resident, "desk-chat-phone-rating");
    await resident.click("#ratingSend");
    await expect.poll(() => resident.textContent("#log"), { timeout: 30_000 }).toContain("感谢您的评价");
    await waitFor(async () => (await referralOf(number)).rating !== null, 10_000, "the rating");
    expect((await referralOf(number)).ratingComment).toBe("律师很耐心，讲得清楚。");

    // The icon is served (no 404 on every load).
    const icon = await resident.request.get(`${t.base}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()["content-type"]).toBe("image/x-icon");
    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
