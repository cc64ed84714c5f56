// The REAL `lawdesk serve` as a child process (node bin/lawdesk.js serve), on a temp data
// dir and a tiny statute folder, so tests and the soak can SIGKILL it, restart it on the
// same data, and read the SQLite file afterwards. Loopback only.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../src/paths.ts";
import { LABOUR_LAW } from "../server/helpers.ts";

export const CHILD_ADMIN_PASSWORD = "Admin-Passw0rd-2026";

/** A data dir with a laws/ folder; survives restarts of the child until remove(). */
export interface Workspace {
  dir: string;
  dataDir: string;
  dbPath: string;
  remove(): void;
}

export function makeWorkspace(prefix = "lawdesk-child-"): Workspace {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  const dataDir = join(dir, "data");
  return { dir, dataDir, dbPath: join(dataDir, "lawdesk.db"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ChildServer {
  base: string;
  pid: number;
  process: ChildProcess;
  /** Everything the child wrote so far (stdout + stderr), for failure messages. */
  output(): string;
  /** Resident set size of the child in bytes (Linux /proc). */
  rssBytes(): number | null;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `lawdesk serve` on a free loopback port and resolves once it listens.
 * `env` overrides the defaults (e.g. LLM_* for a fake model endpoint).
 */
export async function startChild(ws: Workspace, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ChildServer> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/lawdesk.js"), "serve"], {
    cwd: ws.dir,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? ws.dir,
      LAWDESK_DATA_DIR: ws.dataDir,
      LAWDESK_LAWS: join(ws.dir, "laws"),
      LAWDESK_ADMIN_PASSWORD: CHILD_ADMIN_PASSWORD,
      LAWDESK_TRAINING: "off",
      LOG_LEVEL: "warn",
      PORT: "0",
      HOST: "127.0.0.1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));

  const base = await new Promise<string>((resolveBase, reject) => {
    const timer = setTimeout(() => reject(new Error(`lawdesk serve did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      // serve.ts prints "lawdesk 已启动：居民咨询 http://127.0.0.1:PORT/  律师工作台 …" once listening.
      const m = /居民咨询 (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveBase(m[1]);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`lawdesk serve exited early (${code ?? signal}):\n${out}`));
    });
  });

  return {
    base,
    pid: child.pid!,
    process: child,
    output: () => out,
    rssBytes: () => rssOf(child.pid!),
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** One browser-like resident or lawyer: a cookie jar, an optional fixed client address. */
export class HttpActor {
  private readonly jar = new Map<string, string>();
  csrf: string | null = null;

  /** `forwardedFor`: with LAWDESK_TRUST_PROXY=1 each actor counts as its own client for per-IP limits. */
  constructor(
    public base: string,
    readonly forwardedFor?: string,
  ) {}

  /** The cookies as a Cookie header (for a raw fetch: a live stream, an upload). */
  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** One cookie's value as the browser holds it, or null. */
  cookie(name: string): string | null {
    return this.jar.get(name) ?? null;
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; ms: number }> {
    const h: Record<string, string> = { ...headers };
    if (this.jar.size) h.cookie = this.cookieHeader();
    if (body !== undefined) h["content-type"] = "application/json";
    if (this.forwardedFor) h["x-forwarded-for"] = this.forwardedFor;
    if (this.csrf && method !== "GET") h["x-csrf-token"] = this.csrf;
    const t0 = performance.now();
    const res = await fetch(this.base + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair.indexOf("=");
      this.jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const text = await res.text();
    const ms = performance.now() - t0;
    try {
      return { status: res.status, body: JSON.parse(text), ms };
    } catch {
      return { status: res.status, body: text, ms };
    }
  }

  async login(username: string, password: string) {
    const res = await this.request("POST", "/api/console/login", { username, password });
    if (res.status === 200) this.csrf = res.body.csrfToken;
    return res;
  }
}
