// Headless Chromium for the end-to-end tests and scripts/screenshots.ts: one way to launch it,
// the phone and desktop sizes, and an axe-core accessibility check run inside the page.

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1366, height: 900 };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

export type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

/** A page in a context of its own (a phone is mobile and touch), kept in `contexts` for closing. */
export async function newPage(browser: Browser, contexts: BrowserContext[], viewport: typeof PHONE, phone = false, storageState?: StorageState): Promise<Page> {
  const ctx = await browser.newContext({ viewport, locale: "zh-CN", ...(phone ? { isMobile: true, hasTouch: true } : {}), ...(storageState ? { storageState } : {}) });
  contexts.push(ctx);
  return ctx.newPage();
}

/** Types a question into the web chat, sends it, and waits for the bot's next message. */
export async function residentAsks(page: Page, text: string): Promise<void> {
  const before = await page.locator(".msg.bot").count();
  await page.fill("#text", text);
  await page.click("#send");
  await page.locator(".msg.bot").nth(before).waitFor({ timeout: 30_000 });
}

/** Signs in on the console page and waits for the desk. */
export async function signIn(page: Page, base: string, username: string, password: string): Promise<void> {
  await page.goto(`${base}/console`);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await page.click("#loginForm button[type=submit]");
  await page.waitForSelector("#mainView:not([hidden])");
}

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
let axeSource: string | null = null;

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules and axe's best practices) on the page as it is
 * and returns the violations of serious or critical impact, each with the elements it found.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeFinding[]> {
  const loaded = await page.evaluate("typeof window.axe === 'object'");
  if (!loaded) {
    // The pages' CSP (script-src 'self') refuses an injected <script>; evaluating the source
    // through the DevTools protocol is not subject to it and leaves the CSP as it is.
    axeSource ??= readFileSync(AXE_PATH, "utf8");
    await page.evaluate(axeSource);
  }
  const results = (await page.evaluate(
    "window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] })",
  )) as { violations: { id: string; impact: string | null; help: string; nodes: { target: string[]; failureSummary?: string }[] }[] };
  // A11Y_REPORT=1 prints every violation, whatever its impact, for looking into the pages.
  if (process.env.A11Y_REPORT) console.log(JSON.stringify(results.violations.map((v) => [v.id, v.impact, v.nodes.length, v.nodes[0]?.target])));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(" ")} — ${(n.failureSummary ?? "").replace(/\s+/g, " ").slice(0, 200)}`) }));
}
