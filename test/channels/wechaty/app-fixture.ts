// A real lawdesk app for channel tests: a temp data dir, a tiny statute folder the test
// writes, the bundled guides and directory (fictional 清河县), no training data. Plus console
// users and a duty rota created through app.auth / app.rota.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp, type App, type CreateAppOptions } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config.ts";
import type { Logger } from "pino";
import { createLogger } from "../../../src/log.ts";
import type { User } from "../../../src/referral/types.ts";

const LABOUR_LAW = `# 中华人民共和国劳动合同法

2012年12月28日 修正

<!-- INFO END -->

## 第五章 法律责任

第三十条 用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。

用人单位拖欠或者未足额支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令，人民法院应当依法发出支付令。

第八十五条 用人单位未及时足额支付劳动报酬的，由劳动行政部门责令限期支付劳动报酬；逾期不支付的，责令用人单位按应付金额百分之五十以上百分之一百以下的标准向劳动者加付赔偿金。
`;

export interface TestApp {
  app: App;
  dir: string;
  admin: User;
  /** A lawyer with a changed password (so they may act) and a round-the-clock duty slot in `regions`. */
  addLawyer(username: string, regions: string[]): Promise<User>;
  close(): Promise<void>;
}

const PASSWORD = "Qinghe-admin-2026!";
export const LAWYER_PASSWORD = "Duty-Second-2026!";
const ROUND_THE_CLOCK = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));

export async function createTestApp(env: Record<string, string> = {}, log?: Logger, opts: Omit<CreateAppOptions, "log"> = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-channel-"));
  mkdirSync(join(dir, "laws"), { recursive: true });
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LOG_LEVEL: "silent", LAWDESK_TRAINING: "off", ...env }, dir);
  const app = await createApp(config, { ...opts, log: log ?? createLogger(process.env.TEST_LOG_LEVEL ?? "silent") });
  const admin = await firstAdmin(app);

  return {
    app,
    dir,
    admin,
    addLawyer: (username, regions) => addDutyLawyer(app, admin, username, regions),
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The administrator of a fresh app, logged in (so they may create accounts). */
export async function firstAdmin(app: App): Promise<User> {
  await app.auth.ensureAdmin({ password: PASSWORD });
  return (await app.auth.login("admin", PASSWORD)).user;
}

/** A lawyer (password LAWYER_PASSWORD, already changed from the first one) on duty around the clock in `regions`. */
export async function addDutyLawyer(app: App, admin: User, username: string, regions: string[]): Promise<User> {
  const first = "Duty-First-2026!";
  const { user } = await app.auth.createUser(admin.id, { username, name: `${username}律师`, role: "lawyer", regions, password: first });
  await app.auth.changePassword(user.id, first, LAWYER_PASSWORD);
  await app.rota.add(admin.id, { userId: user.id, regions, schedule: ROUND_THE_CLOCK });
  return user;
}

/** Polls until `check` returns a value other than undefined/null/false, or fails after `ms`. */
export async function waitFor<T>(check: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 5000, what = "condition"): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
