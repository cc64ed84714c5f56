// Accessibility in headless Chromium (issue 15): axe-core on the web chat (phone and desktop,
// before and after 转人工, with the rating panel open), the lawyer's queue and referral view,
// the reply templates dialog, the administrator's pages and the dashboard. A serious or
// critical violation fails the test; no rule is switched off.

import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer, WAGE_QUESTION, waitFor } from "../server/helpers.ts";
import { haveChromium, launchChromium, newPage, PHONE, residentAsks, seriousA11yViolations, signIn, type AxeFinding, type StorageState } from "./browser.ts";

const LAPTOP = { width: 1280, height: 800 };

describe.skipIf(!haveChromium)("accessibility (axe-core, no serious or critical violations)", () => {
  let t: TestServer;
  let browser: Browser;
  let admin: Client;
  let lawyer: { client: Client; id: string; password: string };
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    t = await startTestServer({ logLevel: "warn" });
    admin = new Client(t.base);
    await admin.login("admin", ADMIN_PASSWORD);
    lawyer = await createStaff(t, admin, { username: "a11ylaw", name: "王律师", role: "lawyer", regions: ["qinghe"] });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await t?.close();
  });

  const open = (viewport: typeof PHONE, phone = false, storageState?: StorageState) => newPage(browser, contexts, viewport, phone, storageState);

  /** Checks the page and names the state in the failure. */
  async function expectAccessible(page: Page, state: string) {
    const found: AxeFinding[] = await seriousA11yViolations(page);
    expect.soft({ state, violations: found }).toEqual({ state, violations: [] });
  }

  for (const [size, viewport, phone] of [["phone", PHONE, true], ["desktop", LAPTOP, false]] as const) {
    test(`the web chat on a ${size}: empty, answered, after 转人工, rating`, async () => {
      const page = await open(viewport, phone);
      await page.goto(`${t.base}/`);
      await page.waitForSelector("#log .msg.welcome");
      await expectAccessible(page, `chat ${size}: welcome`);
      await residentAsks(page, WAGE_QUESTION);
      await expectAccessible(page, `chat ${size}: answered`);
      await residentAsks(page, "转人工");
      await page.waitForSelector("#referral:not([hidden])", { timeout: 30_000 });
      await expectAccessible(page, `chat ${size}: waiting for a lawyer`);

      const number = (await page.textContent("#referralNumber"))!.trim();
      const r = await t.app.referrals.getByNumber(number, lawyer.id);
      for (const [path, body] of [["claim", {}], ["reply", { text: "您好，我是王律师。请问拖欠的工资有没有工资条或者转账记录？" }], ["close", { outcome: "已解答" }]] as const) {
        expect((await lawyer.client.post(`/api/console/referrals/${r.id}/${path}`, body)).status).toBe(200);
      }
      await page.waitForSelector("#rating:not([hidden])", { timeout: 30_000 });
      await page.click(".stars button[data-stars='5']");
      await page.waitForSelector("#ratingMore:not([hidden])");
      await expectAccessible(page, `chat ${size}: closed, rating open`);
    }, 120_000);
  }

  test("the lawyer's desk: sign-in, queue, referral view, templates dialog", async () => {
    const res = new Client(t.base);
    await res.get("/api/chat/history");
    await res.post("/api/chat/messages", { id: `a11y-${Date.now().toString(36)}-1`, text: "没签劳动合同，老板还要我补签，双倍工资怎么算" });
    await res.post("/api/chat/messages", { id: `a11y-${Date.now().toString(36)}-2`, text: "我要找律师" });
    await waitFor(async () => (await lawyer.client.get("/api/console/queue?view=mine")).body.rows.length > 0, 15_000, "a referral");

    const page = await open(LAPTOP);
    await page.goto(`${t.base}/console`);
    await page.waitForSelector("#loginView:not([hidden])");
    await expectAccessible(page, "console: sign-in");
    await signIn(page, t.base, "a11ylaw", lawyer.password);
    await page.click("button[data-view='mine']");
    await page.locator("#list .row").first().waitFor();
    await expectAccessible(page, "console: queue");
    await page.locator("#list .row").first().click();
    await page.waitForSelector("#detail .chat .bubble");
    await expectAccessible(page, "console: referral before claiming");
    await page.click("#claimBtn");
    await page.waitForSelector("#replyText");
    await expectAccessible(page, "console: referral claimed, reply form");
    await page.click("#manageTplBtn");
    await page.waitForSelector("#templateDialog[open]");
    await expectAccessible(page, "console: templates dialog");

    // The same desk on a phone: the queue, then the referral in place of it.
    const phone = await open(PHONE, true, await page.context().storageState());
    await phone.goto(`${t.base}/console`);
    await phone.waitForSelector("#mainView:not([hidden])");
    await phone.locator("#list .row").first().waitFor();
    await expectAccessible(phone, "console phone: queue");
    await phone.locator("#list .row").first().click();
    await phone.waitForSelector("#detail .chat .bubble");
    await expectAccessible(phone, "console phone: referral");
  }, 120_000);

  test("the administrator's pages and the dashboard", async () => {
    const page = await open(LAPTOP);
    await signIn(page, t.base, "admin", ADMIN_PASSWORD);
    await page.click("#dashboardTab");
    await page.waitForSelector(".dash-title");
    await page.waitForLoadState("networkidle");
    await expectAccessible(page, "dashboard");
    // A new account's one-time password panel.
    await page.click("#usersTab");
    await page.fill("#u-username", "a11yzhao");
    await page.fill("#u-name", "赵律师");
    await page.locator("#userForm input[name='u-region'][value='qinghe']").check();
    await page.click("#userForm button[type=submit]");
    await page.waitForSelector("#otpPanel");
    await expectAccessible(page, "admin: users with a one-time password");
    for (const view of ["duty", "rota", "knowledge", "testbench", "channels"]) {
      await page.click(`button[data-view='${view}']`);
      await page.waitForLoadState("networkidle");
      await expectAccessible(page, `admin: ${view}`);
    }
  }, 120_000);
});
