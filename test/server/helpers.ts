// A real lawdesk on loopback for HTTP tests: a temp data dir, a three-article statute
// corpus the test writes (the big shared corpus would take minutes to index), the bundled
// guides, and an HTTP client that keeps cookies like a browser.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createApp, type App } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { buildServer, type BuildServerOptions, type LawdeskServer } from "../../src/server/server.ts";

/**
 * A resident's wage question written for the tests, not one of the wage-arrears guide's listed
 * example questions: a guide always matches its own examples, so asking one proves little.
 */
export const WAGE_QUESTION = "单位拖欠工资三个月不发，我怎么维权";

export const LABOUR_LAW = `# 中华人民共和国劳动合同法

2012年12月28日 第十一届全国人民代表大会常务委员会第三十次会议修正

<!-- INFO END -->

## 第一章 总则

第三十条 用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。

用人单位拖欠或者未足额支付劳动报酬的，劳动者可以依法向当地人民法院申请支付令，人民法院应当依法发出支付令。

第八十二条 用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。

第八十五条 用人单位有下列情形之一的，由劳动行政部门责令限期支付劳动报酬、加班费或者经济补偿；逾期不支付的，责令用人单位按应付金额百分之五十以上百分之一百以下的标准向劳动者加付赔偿金。
`;

export const ADMIN_PASSWORD = "Admin-Passw0rd-2026";

export interface TestServer {
  app: App;
  server: LawdeskServer;
  base: string;
  dir: string;
  /** Every log line written so far (the app's pino logger writes here). */
  logs: string[];
  close(): Promise<void>;
}

export async function startTestServer(opts: BuildServerOptions & { logLevel?: string; env?: Record<string, string> } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-server-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_TRAINING: "off", LAWDESK_ADMIN_PASSWORD: ADMIN_PASSWORD, ...opts.env } as NodeJS.ProcessEnv, dir);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const app = await createApp(config, { log: createLogger(opts.logLevel ?? "debug", sink) });
  await app.auth.ensureAdmin({ password: ADMIN_PASSWORD });
  const { env: _env, logLevel: _level, ...serverOpts } = opts;
  const server = await buildServer(app, { cookieSecret: "test-secret-0123456789-abcdefghijklmnop", ...serverOpts });
  const base = await server.listen({ port: 0, host: "127.0.0.1" });
  return {
    app,
    server,
    base,
    dir,
    logs,
    async close() {
      await server.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** fetch with a cookie jar and the console's CSRF header, like the page. */
export class Client {
  private readonly jar = new Map<string, string>();
  csrf: string | null = null;

  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
    const h: Record<string, string> = { ...headers };
    if (this.jar.size) h.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (body !== undefined) h["content-type"] = "application/json";
    if (this.csrf && method !== "GET" && !("x-csrf-token" in headers)) h["x-csrf-token"] = this.csrf;
    const res = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(c)) this.jar.delete(name);
      else this.jar.set(name, value);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  get(path: string) {
    return this.request("GET", path);
  }

  post(path: string, body: unknown = {}, headers?: Record<string, string>) {
    return this.request("POST", path, body, headers);
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  /** Logs in and keeps the CSRF token, as the console page does. */
  async login(username: string, password: string) {
    const res = await this.post("/api/console/login", { username, password });
    if (res.status === 200) this.csrf = res.body.csrfToken;
    return res;
  }
}

/** An admin-created account that changed its first password, on duty around the clock. */
export async function createStaff(
  t: TestServer,
  admin: Client,
  u: { username: string; name: string; role: "lawyer" | "supervisor"; regions: string[]; topics?: string[]; onDuty?: boolean },
): Promise<{ client: Client; id: string; password: string }> {
  const first = "First-Passw0rd-x1";
  const created = await admin.post("/api/console/users", { ...u, password: first });
  if (created.status !== 200) throw new Error(`create user: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.user.id as string;
  if (u.onDuty !== false) {
    const schedule = [1, 2, 3, 4, 5, 6, 7].map((day) => ({ day, start: "00:00", end: "24:00" }));
    const rota = await admin.post("/api/console/rota", { userId: id, regions: u.regions, topics: u.topics ?? [], schedule });
    if (rota.status !== 200) throw new Error(`rota: ${rota.status} ${JSON.stringify(rota.body)}`);
  }
  const client = new Client(t.base);
  await client.login(u.username, first);
  const password = "Second-Passw0rd-x2";
  const changed = await client.post("/api/console/password", { oldPassword: first, newPassword: password });
  if (changed.status !== 200) throw new Error(`change password: ${changed.status} ${JSON.stringify(changed.body)}`);
  client.csrf = changed.body.csrfToken;
  return { client, id, password };
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, ms = 5000, what = "condition"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
