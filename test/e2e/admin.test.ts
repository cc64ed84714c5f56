// End to end in headless Chromium, the bureau's side: a supervisor changes the duty rota in
// the console and the next referral (a resident asking 转人工 in the web chat) routes by it;
// an administrator uploads a guide (a broken one first, refused with its line) and the web
// chat answers from it at once; the test console, guide preview, laws and channels pages.
// Screenshots go to test-output/screenshots/ (laptop 1280x800, phone 390x844).

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { chinaToday } from "../../src/china-time.ts";
import type { GroupBotAdmin, LawyerLinkAdmin } from "../../src/channel-admin.ts";
import { PROJECT_ROOT } from "../../src/config.ts";
import { ADMIN_PASSWORD, Client, createStaff, startTestServer, type TestServer, WAGE_QUESTION, waitFor } from "../server/helpers.ts";
import { BAD_GUIDE, GOOD_GUIDE, GUIDE_QUESTION } from "../console/admin-fixtures.ts";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(PROJECT_ROOT, "test-output", "screenshots");
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[e2e] skipped: ${CHROMIUM} not found (install Debian's chromium package)`);

/** A logged-out Wechaty bot waiting for its QR to be scanned, in one township group. */
function fakeWechaty(): GroupBotAdmin {
  const groups = [{ channel: "wechaty" as const, groupKey: "room-dongzhen", name: "东镇法律服务群", region: null as string | null, regionSource: null, active: true, joinedAt: null, leftAt: null, updatedAt: new Date().toISOString() }];
  return {
    currentQr: () => ({ qrcode: "https://login.weixin.qq.com/l/IbTestQr0123==", imageUrl: "", status: "waiting", at: new Date().toISOString() }),
    status: async () => ({ loggedIn: false, account: null, groups: 1 }),
    listGroups: async () => groups,
    setGroupRegion: async (roomId: string, region: string | null) => {
      const g = groups.find((x) => x.groupKey === roomId);
      if (g) g.region = region;
      return g ?? null;
    },
    groupNeeds: async () => [],
  };
}

function fakeTelegram(): LawyerLinkAdmin {
  return {
    createLinkCode: async () => ({ code: "48213675", expiresAt: new Date(Date.now() + 600_000) }),
    linkByAdmin: async () => {},
    unlink: async () => false,
  };
}

describe.skipIf(!haveChromium)("the bureau's pages in a real browser", () => {
  let t: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestServer({ logLevel: "warn", wechaty: fakeWechaty(), telegram: fakeTelegram() });
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

  async function open(viewport: typeof LAPTOP, phone = false): Promise<Page> {
    const ctx = await browser.newContext({ viewport, locale: "zh-CN", ...(phone ? { isMobile: true, hasTouch: true } : {}) });
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    return page;
  }

  async function signIn(page: Page, username: string, password: string) {
    await page.goto(`${t.base}/console`);
    await page.fill("#username", username);
    await page.fill("#password", password);
    await page.click("#loginForm button[type=submit]");
    await page.waitForSelector("#mainView:not([hidden])");
  }

  async function residentAsks(page: Page, text: string) {
    const before = await page.locator(".msg.bot").count();
    await page.fill("#text", text);
    await page.click("#send");
    await expect.poll(() => page.locator(".msg.bot").count(), { timeout: 30_000 }).toBeGreaterThan(before);
    return page.locator(".msg.bot").last();
  }

  test("a supervisor's rota change routes the next referral; an uploaded guide answers at once", async () => {
    const admin = new Client(t.base);
    await admin.login("admin", ADMIN_PASSWORD);
    const sup = await createStaff(t, admin, { username: "zhao", name: "赵督导", role: "supervisor", regions: ["qinghe"], onDuty: false });
    const li = await createStaff(t, admin, { username: "lia", name: "李律师", role: "lawyer", regions: ["qinghe"] });
    const wang = await createStaff(t, admin, { username: "wangb", name: "王律师", role: "lawyer", regions: ["qinghe"], onDuty: false });
    const mine = async (c: Client) => ((await c.get("/api/console/queue?view=mine")).body.rows as unknown[]).length;

    // ---- the supervisor edits the rota on a laptop
    const supervisor = await open(LAPTOP);
    await signIn(supervisor, "zhao", sup.password);
    expect(await supervisor.isVisible("button[data-view='knowledge']")).toBe(false);
    await supervisor.click("button[data-view='rota']");
    await supervisor.waitForSelector("#rotaTable");
    expect(await supervisor.textContent("#onDutyNow")).toContain("李律师");

    await supervisor.locator("#rotaTable tr", { hasText: "李律师" }).getByText("编辑").click();
    await supervisor.waitForSelector("#rotaForm");
    const today = chinaToday();
    await supervisor.fill("#rotaDatesOff", today);
    await supervisor.fill("#rotaNote", "今天请假");
    await supervisor.click("#rotaSave");
    await expect.poll(() => supervisor.textContent("#onDutyNow")).toContain("当前无人值班");

    await supervisor.click("#rotaNew");
    await supervisor.selectOption("#rotaPerson", { label: "王律师（律师）" });
    await supervisor.locator("#rotaForm input[name='rota-region'][value='qinghe']").check();
    await supervisor.getByRole("button", { name: "每天全天" }).click();
    await supervisor.fill("#rotaNote", "替李律师值班");
    await shot(supervisor, "admin-laptop-rota-form");
    await supervisor.click("#rotaSave");
    await expect.poll(() => supervisor.textContent("#onDutyNow")).toContain("王律师");
    expect(await supervisor.textContent("#onDutyNow")).not.toContain("李律师");
    await shot(supervisor, "admin-laptop-rota");

    // ---- a resident asks for a person on a phone: the referral goes to 王律师
    const resident = await open(PHONE, true);
    await resident.goto(`${t.base}/`);
    const handed = await residentAsks(resident, "转人工");
    await expect.poll(() => handed.textContent(), { timeout: 30_000 }).toContain("值班律师");
    await waitFor(async () => (await mine(wang.client)) === 1, 10_000, "the referral to reach 王律师");
    expect(await mine(li.client)).toBe(0);

    // The same rota on a phone.
    const supPhone = await browser.newContext({ viewport: PHONE, locale: "zh-CN", isMobile: true, hasTouch: true, storageState: await supervisor.context().storageState() });
    contexts.push(supPhone);
    const supervisorPhone = await supPhone.newPage();
    supervisorPhone.on("pageerror", (e) => pageErrors.push(e.message));
    await supervisorPhone.goto(`${t.base}/console`);
    await supervisorPhone.click("button[data-view='rota']");
    await supervisorPhone.waitForSelector("#rotaTable");
    await shot(supervisorPhone, "admin-phone-rota");

    // ---- the administrator uploads a guide: a broken one first
    const adminPage = await open(LAPTOP);
    await signIn(adminPage, "admin", ADMIN_PASSWORD);
    await adminPage.click("button[data-view='knowledge']");
    await adminPage.waitForSelector("#kbFile");
    await adminPage.setInputFiles("#kbFile", { name: "坏指南.md", mimeType: "text/markdown", buffer: Buffer.from(BAD_GUIDE) });
    await adminPage.click("#kbUpload");
    await adminPage.waitForSelector("#kbUploadResult .problems");
    expect(await adminPage.textContent("#kbUploadResult")).toContain("第 5 行");
    await shot(adminPage, "admin-laptop-upload-error");

    await adminPage.setInputFiles("#kbFile", { name: "买猪崽.md", mimeType: "text/markdown", buffer: Buffer.from(GOOD_GUIDE) });
    await adminPage.click("#kbUpload");
    await adminPage.waitForSelector("#kbUploadResult .success");
    expect(await adminPage.textContent("#kbUploadResult")).toContain("已导入办事指南");
    await shot(adminPage, "admin-laptop-upload-ok");

    // ---- the resident's web chat answers from it at once
    const answer = await residentAsks(resident, GUIDE_QUESTION);
    await expect.poll(() => answer.textContent(), { timeout: 30_000 }).toContain("双倍返还定金");
    await shot(resident, "admin-chat-phone-uploaded-guide");

    // ---- the test console shows the reply and why
    await adminPage.click("button[data-view='testbench']");
    await adminPage.fill("#testQuestion", GUIDE_QUESTION);
    await adminPage.click("#testRun");
    await adminPage.waitForSelector("#testResult .decision");
    expect(await adminPage.textContent("#testResult .decision")).toContain("机器人直接答复");
    expect(await adminPage.textContent("#testResult")).toContain("piglet-sale-deposit");
    expect(await adminPage.textContent("#testResult")).toContain("置信度");
    await shot(adminPage, "admin-laptop-testbench");

    // ---- the guide editor previews a draft without saving
    await adminPage.click("button[data-view='knowledge']");
    await adminPage.click("nav.subtabs button[data-sub='guides']");
    await adminPage.waitForSelector("#guidePicker");
    await adminPage.selectOption("#guidePicker", "piglet-sale-deposit");
    await expect.poll(() => adminPage.inputValue("#guideMarkdown")).toContain("id: piglet-sale-deposit");
    const draft = (await adminPage.inputValue("#guideMarkdown")).replace("先保存好收据", "（草稿）先保存好收据");
    await adminPage.fill("#guideMarkdown", draft);
    await adminPage.click("#previewBtn");
    await adminPage.waitForSelector("#previewResult .trial");
    expect(await adminPage.textContent("#previewResult")).toContain("由草稿");
    await shot(adminPage, "admin-laptop-guide-preview");

    // ---- laws: mark the labour law repealed; the guide citing it is listed
    await adminPage.click("nav.subtabs button[data-sub='laws']");
    await adminPage.waitForSelector("table.laws");
    await adminPage.fill("#lawSearch", "劳动合同法");
    await expect.poll(() => adminPage.locator("table.laws tr[data-law]").count()).toBe(1);
    adminPage.once("dialog", (d) => void d.accept());
    await adminPage.click("table.laws .mark-repealed");
    await expect.poll(() => adminPage.textContent("table.laws")).toContain("后台标记");
    await shot(adminPage, "admin-laptop-laws");
    await adminPage.click("nav.subtabs button[data-sub='stale']");
    await adminPage.waitForSelector("#staleTable");
    expect(await adminPage.textContent("#staleTable")).toContain("老板拖欠工资怎么办");
    await shot(adminPage, "admin-laptop-stale");

    // ---- channels: the Wechaty login QR drawn locally, a group mapped, a Telegram code
    await adminPage.click("button[data-view='channels']");
    await adminPage.waitForSelector("#wechatyQr");
    await expect.poll(() => adminPage.$eval("#wechatyQr", (img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(100);
    const row = adminPage.locator("tr", { hasText: "东镇法律服务群" });
    const dongzhen = [...t.app.directory.regions.values()].find((r) => r.level === "township")!;
    await row.locator("select").selectOption(dongzhen.id);
    await row.getByText("保存").click();
    await expect.poll(() => adminPage.textContent("#toast")).toContain("东镇法律服务群");
    await adminPage.click("#makeCode");
    await expect.poll(() => adminPage.textContent("#linkCode")).toContain("/link 48213675");
    await shot(adminPage, "admin-laptop-channels");

    // ---- the test console on a phone
    const phoneAdmin = await browser.newContext({ viewport: PHONE, locale: "zh-CN", isMobile: true, hasTouch: true, storageState: await adminPage.context().storageState() });
    contexts.push(phoneAdmin);
    const adminPhone = await phoneAdmin.newPage();
    adminPhone.on("pageerror", (e) => pageErrors.push(e.message));
    await adminPhone.goto(`${t.base}/console`);
    await adminPhone.click("button[data-view='testbench']");
    await adminPhone.fill("#testQuestion", WAGE_QUESTION);
    await adminPhone.click("#testRun");
    await adminPhone.waitForSelector("#testResult .decision");
    await shot(adminPhone, "admin-phone-testbench");
    await adminPhone.click("button[data-view='knowledge']");
    await adminPhone.click("nav.subtabs button[data-sub='laws']");
    await adminPhone.waitForSelector("table.laws");
    await shot(adminPhone, "admin-phone-laws");

    expect(pageErrors).toEqual([]);
  }, 180_000);
});
