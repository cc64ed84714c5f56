// The resident's web chat in headless Chromium at phone size (issue 12): a new answer is
// brought into view from its start (not scrolled to the disclaimer at its end), the statute
// text appears once (folded out, not also in the message), and a follow-up gets its own
// short answer. Screenshots go to test-output/screenshots/.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { startTestServer, type TestServer, WAGE_QUESTION } from "../server/helpers.ts";
import { CHROMIUM, haveChromium, launchChromium, newPage, PHONE, residentAsks } from "./browser.ts";

const SHOTS = join(PROJECT_ROOT, "test-output", "screenshots");
if (!haveChromium) console.warn(`[e2e] skipped: ${CHROMIUM} not found (install Debian's chromium package)`);

describe.skipIf(!haveChromium)("the resident's web chat on a phone", () => {
  let t: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestServer({ logLevel: "warn" });
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await t?.close();
  });

  async function ask(page: Page, text: string): Promise<void> {
    await residentAsks(page, text);
    // The render has settled: the log's scroll and the answer's place hold still across two frames.
    await expect.poll(() => page.evaluate(HOLDS_STILL)).toBe(true);
  }

  /** Resolves true when the log's scroll and its last message's place are the same two frames later. */
  const HOLDS_STILL = `new Promise((resolve) => {
    const log = document.getElementById("log");
    const place = () => log.scrollTop + ":" + log.lastElementChild?.getBoundingClientRect().top;
    const before = place();
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(place() === before)));
  })`;

  /** Where the last answer's first line sits relative to the visible part of the log. */
  async function lastAnswerPlacement(page: Page) {
    const log = page.locator("#log");
    const last = page.locator(".msg.bot").last();
    const box = (await log.boundingBox())!;
    const msg = (await last.boundingBox())!;
    return {
      top: msg.y - box.y,
      visible: box.height,
      scrollTop: await log.evaluate((e) => e.scrollTop),
      text: (await last.locator(".text").textContent()) ?? "",
      folded: await last.locator("details.cite").count(),
    };
  }

  test("a new answer is shown from its start; the statute text is folded, not repeated; a follow-up answers what was asked", async () => {
    const page = await newPage(browser, contexts, PHONE, true);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await page.goto(`${t.base}/`);

    await ask(page, WAGE_QUESTION);
    const first = await lastAnswerPlacement(page);
    expect(first.top).toBeGreaterThanOrEqual(0);
    expect(first.top).toBeLessThan(first.visible / 3);
    expect([...first.text].length).toBeLessThanOrEqual(600);
    expect(first.folded).toBeGreaterThan(0);
    // The article text is in the fold-out only.
    const quote = await page.locator(".msg.bot").last().locator("details.cite blockquote").first().textContent();
    expect(quote && quote.length > 20).toBe(true);
    expect(first.text).not.toContain(quote!.slice(0, 30));

    await ask(page, "那我应该去哪里申请仲裁");
    const follow = await lastAnswerPlacement(page);
    expect(follow.text).toContain("仲裁院");
    expect(follow.text).not.toContain("下一步怎么做");

    // A third answer on a log longer than the screen: its start is in view, the log scrolled to it.
    await ask(page, "公司辞退我不给经济补偿怎么办");
    const third = await lastAnswerPlacement(page);
    await page.screenshot({ path: join(SHOTS, "chat-new-answer-phone.png") });
    expect(third.scrollTop).toBeGreaterThan(0);
    expect(third.top).toBeGreaterThanOrEqual(0);
    expect(third.top).toBeLessThan(third.visible / 3);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
