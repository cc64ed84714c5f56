// The bureau's dashboard in headless Chromium: a county supervisor opens 数据看板, the figures
// shown match the events the test created (test/console/dashboard-seed.ts), the wage surge
// is flagged, filters narrow the numbers and the CSV download holds the same table.
// Screenshots go to test-output/screenshots/ (laptop 1280x800, phone 390x844).

import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { seed, startDashboardServer, type DashboardServer, type Seeded } from "../console/dashboard-seed.ts";
import { createStaff } from "../server/helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(PROJECT_ROOT, "test-output", "screenshots");
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[e2e] skipped: ${CHROMIUM} not found (install Debian's chromium package)`);

describe.skipIf(!haveChromium)("dashboard in a real browser", () => {
  let t: DashboardServer;
  let s: Seeded;
  let browser: Browser;
  let password: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startDashboardServer();
    s = await seed(t);
    // A county-wide supervisor (the seeded one covers Xihe only).
    password = (await createStaff(t as never, s.staff.admin, { username: "zhou", name: "周督导", role: "supervisor", regions: ["qinghe"], onDuty: false })).password;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const shot = (page: Page, name: string, fullPage = false) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
  const kpi = (page: Page, key: string) => page.textContent(`[data-kpi="${key}"] .kpi-value`);

  async function openDashboard(page: Page) {
    await page.goto(`${t.base}/console`);
    await page.fill("#username", "zhou");
    await page.fill("#password", password);
    await page.click("#loginForm button[type=submit]");
    await page.waitForSelector("#mainView:not([hidden])");
    await page.click("#dashboardTab");
    await page.waitForSelector("#chart-daily canvas", { timeout: 15_000 });
    // The seeded history spans ten weeks.
    await page.fill("#dash-from", s.from);
    await expect.poll(() => kpi(page, "questions"), { timeout: 30_000 }).toBe("67");
  }

  test("a supervisor sees the numbers the events produced, and downloads them", async () => {
    const ctx = await browser.newContext({ viewport: LAPTOP, locale: "zh-CN", acceptDownloads: true });
    const page = await ctx.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    // CSP refusals and script errors surface here; failed requests are checked by URL below.
    page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && problems.push(m.text()));
    // Before login the page asks /me and gets 401; browsers ask for a favicon the console lacks.
    page.on("response", (r) => r.status() >= 400 && !/\/api\/console\/me$|favicon\.ico$/.test(r.url()) && problems.push(`${r.status()} ${r.url()}`));
    await openDashboard(page);

    const shown = Object.fromEntries(await Promise.all(["answered", "escalated", "emergencies", "medianMinutes", "p90Minutes", "keptShare", "ratingMean", "ratings", "undelivered"].map(async (k) => [k, await kpi(page, k)])));
    expect(shown).toEqual({ answered: "62", escalated: "5", emergencies: "1", medianMinutes: "60", p90Minutes: "936", keptShare: "80", ratingMean: "3.67", ratings: "3", undelivered: "1" });
    expect(await page.textContent("#dash-rising")).toContain("劳动争议（近7天 9 条");
    expect(await page.isVisible('[data-table="lawyers"]')).toBe(true);
    // The wording list is shown open, masked.
    const wordings = await page.textContent('[data-table="wordings"] table');
    expect(wordings).toContain("[手机号]");
    expect(wordings).not.toContain("13812345678");
    await shot(page, "dashboard-laptop-top");

    // The table behind the response chart, as shown and as downloaded.
    const response = page.locator('[data-table="response"]');
    await response.locator("summary").click();
    const totalRow = response.locator("tbody tr").last();
    expect(await totalRow.locator("td").allTextContents()).toEqual(["合计", "5", "5", "60", "936", "5", "4", "80"]);
    await response.scrollIntoViewIfNeeded();
    await shot(page, "dashboard-laptop-response");
    const [download] = await Promise.all([page.waitForEvent("download"), response.locator("a[data-csv]").click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const bytes = readFileSync(await download.path());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const csv = bytes.toString("utf8");
    expect(csv).toContain("日期,新工单,已首次回复,首次响应中位数(分钟)");
    expect(csv).toContain("\r\n合计,5,5,60,936,5,4,80\r\n");

    const [summaryDownload] = await Promise.all([page.waitForEvent("download"), page.click('a[data-csv="summary"]')]);
    expect(readFileSync(await summaryDownload.path(), "utf8")).toContain("\r\n咨询问题,67,条,questions\r\n");

    // A township: its villages aggregated.
    await page.selectOption("#dash-region", "qinghe.dongzhen");
    await expect.poll(() => kpi(page, "questions")).toBe("18");
    await page.selectOption("#dash-channel", "wechat_oa");
    await expect.poll(() => kpi(page, "questions")).toBe("0");
    await page.selectOption("#dash-region", "");
    await expect.poll(() => kpi(page, "questions")).toBe("3");
    await page.selectOption("#dash-channel", "");
    await expect.poll(() => kpi(page, "questions")).toBe("67");
    await shot(page, "dashboard-laptop-full", true);

    // On a phone.
    const phone = await (await browser.newContext({ viewport: PHONE, locale: "zh-CN", isMobile: true, hasTouch: true })).newPage();
    phone.on("pageerror", (e) => problems.push(e.message));
    await openDashboard(phone);
    await shot(phone, "dashboard-phone-top");
    // Nothing wider than the phone: wide tables scroll inside their card.
    expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(PHONE.width);
    await phone.locator('[data-table="rising"]').scrollIntoViewIfNeeded();
    await shot(phone, "dashboard-phone-rising");
    await phone.locator('[data-table="escalations"]').screenshot({ path: join(SHOTS, "dashboard-phone-escalations.png") });
    await phone.locator('[data-table="wordings"]').screenshot({ path: join(SHOTS, "dashboard-phone-wordings.png") });
    await phone.locator('[data-table="lawyers"]').screenshot({ path: join(SHOTS, "dashboard-phone-lawyers.png") });
    await shot(phone, "dashboard-phone-full", true);

    expect(problems).toEqual([]);
  }, 180_000);
});
