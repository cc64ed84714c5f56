// Settings come from the environment, optionally from a YAML/JSON file named by
// LAWDESK_CONFIG (or ./lawdesk.config.yaml when present); the environment wins.
// Every setting is validated at start-up and a wrong one is reported by name.

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { closest, distance } from "fastest-levenshtein";
import YAML from "yaml";
import { z } from "zod";
import { parseTrustProxy } from "./server/proxy.ts";
import { PROJECT_ROOT, sharedNationalLawFolders } from "./paths.ts";

export { PROJECT_ROOT, SHARED_DATA_DIR } from "./paths.ts";

const optionalUrl = z.url().optional();
const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const list = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((s) => s.trim()).filter(Boolean));

export const ConfigSchema = z.object({
  LAWDESK_DATA_DIR: z.string().min(1).default("./data"),
  LAWDESK_KNOWLEDGE_DIR: z.string().min(1).default(resolve(PROJECT_ROOT, "knowledge")),
  /** Statute corpora ingested on first start, besides the bundled knowledge. */
  LAWDESK_LAWS: list.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PORT: port.default(3000),
  HOST: z.string().default("127.0.0.1"),
  /**
   * Behind reverse proxies: their number (hops) or their addresses/CIDR ranges; the client
   * address is the one the nearest untrusted hop had (see server/proxy.ts). 0: no proxy.
   */
  LAWDESK_TRUST_PROXY: z
    .union([z.string(), z.number()])
    .transform((v) => String(v).trim())
    .refine(
      (v) => {
        try {
          parseTrustProxy(v);
          return true;
        } catch {
          return false;
        }
      },
      "must be 0, a number of proxy hops (1 = one proxy), or the proxies' addresses or CIDR ranges, comma-separated",
    )
    .default("0"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL (leave unset for the embedded SQLite)")
    .optional(),
  /** PostgreSQL schema for lawdesk's tables (created when missing); default: the server's (public). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier such as lawdesk")
    .optional(),
  DATABASE_POOL_MAX: positiveInt.default(10),
  /**
   * Several processes on PostgreSQL: a message claimed by a process that has not finished it
   * within this many seconds counts as abandoned (that process died) and is answered by another.
   */
  LAWDESK_CLAIM_LEASE_SECONDS: positiveInt.default(30),
  EMBEDDINGS_PROVIDER: z.enum(["lsa", "openai", "ollama"]).default("lsa"),
  EMBEDDINGS_MODEL: z.string().optional(),
  EMBEDDINGS_BASE_URL: optionalUrl,
  EMBEDDINGS_API_KEY: z.string().optional(),
  LLM_PROVIDER: z.enum(["none", "openai", "ollama"]).optional(),
  LLM_BASE_URL: optionalUrl,
  LLM_MODEL: z.string().optional(),
  LLM_API_KEY: z.string().optional(),
  LLM_TIMEOUT_MS: positiveInt.default(8000),
  LAWDESK_ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  LAWDESK_MAX_MESSAGE_CHARS: positiveInt.default(500),
  /**
   * The labelled layperson questions beside the project (../shared/data/stard): document
   * expansion for retrieval and the question bank that tells answerable questions. `off`
   * leaves them out (tests, and installations that must not depend on that collection).
   */
  LAWDESK_TRAINING: z.enum(["on", "off"]).default("on"),
  /** Confidence below which a legal question is escalated instead of answered. */
  LAWDESK_ANSWER_THRESHOLD: z.coerce.number().min(0).max(1).default(0.7),
  LAWDESK_RATE_LIMIT_PER_MINUTE: positiveInt.default(10),
  /** Web chat messages per client address a minute (residents behind one NAT share it). */
  LAWDESK_CHAT_RATE_LIMIT_PER_MINUTE: positiveInt.max(100_000).default(60),
  /** Live-update (server-sent events) streams open at once: per resident or console user, per client address, in all. */
  LAWDESK_LIVE_STREAMS_PER_CLIENT: positiveInt.max(10_000).default(10),
  LAWDESK_LIVE_STREAMS_PER_ADDRESS: positiveInt.max(100_000).default(100),
  LAWDESK_LIVE_STREAMS_MAX: positiveInt.max(1_000_000).default(1000),
  /** Seconds a client has to send a request's headers and body; slower ones get 408 and are disconnected. */
  LAWDESK_REQUEST_TIMEOUT_SECONDS: positiveInt.max(3600).default(10),
  /** When set, /metrics and /readyz ask for `Authorization: Bearer <token>`. */
  LAWDESK_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** When set, /metrics and /readyz are served only on this port (on LAWDESK_METRICS_HOST), not on the public one. */
  LAWDESK_METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  LAWDESK_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** Days after a thread goes quiet (and its referrals close) before residents' words are purged. */
  LAWDESK_RETENTION_DAYS: positiveInt.default(180),
  // ---- township WeChat groups (Wechaty); the channel runs when WECHATY_PUPPET is set
  /** Puppet module: wechaty-puppet-service (WeCom through a puppet service), wechaty-puppet-wechat4u, … */
  WECHATY_PUPPET: z.string().min(1).optional(),
  WECHATY_PUPPET_SERVICE_TOKEN: z.string().min(1).optional(),
  /** Session name: Wechaty keeps the login under this name, so a restart needs no new scan. */
  WECHATY_NAME: z.string().min(1).default("lawdesk"),
  /** Leading words that address the assistant in a group besides an @-mention. */
  WECHATY_GROUP_TRIGGERS: list.default(["问:", "问：", "法律咨询"]),
  /** Group (topic or room id) → region id: a YAML/JSON mapping, or a file holding one (default knowledge/groups.yaml). */
  WECHATY_GROUP_REGIONS: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
  // ---- Telegram (grammY); the channel runs when TELEGRAM_BOT_TOKEN is set
  TELEGRAM_BOT_TOKEN: z.string().min(1).optional(),
  /** Set → webhook mode (Telegram POSTs updates here); unset → long polling. */
  TELEGRAM_WEBHOOK_URL: optionalUrl,
  /** secret_token Telegram sends back in every webhook call; derived from the bot token when unset. */
  TELEGRAM_WEBHOOK_SECRET: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "1-256 characters A-Z a-z 0-9 _ -").optional(),
  /** Bot API server (a local telegram-bot-api server, or a test server). */
  TELEGRAM_API_ROOT: optionalUrl,
  /** The lawyers' group where new referrals are posted with a 认领 button. */
  TELEGRAM_LAWYERS_CHAT_ID: z.string().regex(/^-?\d+$/, "must be a numeric chat id").optional(),
  // ---- WeChat official account (公众号); mounted at /wechat/oa when WECHAT_OA_TOKEN is set
  WECHAT_OA_TOKEN: z.string().min(3).max(32).optional(),
  WECHAT_OA_APPID: z.string().min(1).optional(),
  WECHAT_OA_APPSECRET: z.string().min(1).optional(),
  /** EncodingAESKey: 43 letters and digits; enables the compatible and safe (AES) modes. */
  WECHAT_OA_AES_KEY: z
    .string()
    .regex(/^[A-Za-z0-9]{43}$/, "must be exactly 43 letters and digits (the EncodingAESKey)")
    .optional(),
  WECHAT_API_BASE: z.url().default("https://api.weixin.qq.com"),
  /** How long a passive reply may wait for the answer, from the request's arrival (WeChat gives up at 5 s). */
  WECHAT_OA_REPLY_BUDGET_MS: z.coerce.number().int().min(50).max(4900).default(4500),
});

export type Config = z.infer<typeof ConfigSchema> & { dataDir: string; knowledgeDir: string };

export class ConfigError extends Error {}

const SETTINGS = Object.keys(ConfigSchema.shape);

/**
 * Name prefixes that are lawdesk's: a variable with one of them that is no setting is a typo
 * (WECHATY_PUPET), which would otherwise leave a channel silently off or a database unused.
 */
const OWN_PREFIXES = ["LAWDESK_", "WECHATY_", "WECHAT_", "TELEGRAM_", "LLM_", "EMBEDDINGS_", "DATABASE_"];

/** Variables with those prefixes that are not settings, by name, with who reads them. */
const NOT_SETTINGS = new Set([
  // loadConfig itself: the settings file.
  "LAWDESK_CONFIG",
  // The test suite and the benchmark (test/store/backends.ts, test/reliability, scripts/soak).
  "LAWDESK_TEST_DATABASE_URL",
  "LAWDESK_CRASH_RUNS",
  "LAWDESK_BENCH_DATABASE_URL",
  "WECHAT_PROPERTY_RUNS",
  // Wechaty and its puppets read these from the environment themselves.
  "WECHATY_LOG",
  "WECHATY_PUPPET_SERVICE_ENDPOINT",
  "WECHATY_PUPPET_SERVICE_AUTHORITY",
  "WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT",
  "WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER",
  "WECHATY_PUPPET_SERVICE_TLS_CA_CERT",
  "WECHATY_PUPPET_SERVICE_TLS_SERVER_CERT",
  "WECHATY_PUPPET_SERVICE_TLS_SERVER_KEY",
  "WECHATY_PUPPET_SERVICE_TLS_SERVER_NAME",
  "WECHATY_SERVICE_DISCOVERY_ENDPOINT",
]);

/** "X: unknown setting …", with the setting probably meant when one is close enough. */
function unknownSetting(name: string, where: string): string {
  const near = closest(name, SETTINGS);
  // A few edits, relative to the length: WECHATY_PUPET → WECHATY_PUPPET, not LOG → PORT.
  const hint = distance(name, near) <= Math.max(2, Math.floor(near.length / 4)) ? `; did you mean ${near}?` : "";
  return `${name}: unknown setting ${where}${hint}`;
}

/** Reads and validates the settings; throws ConfigError naming each bad setting. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  const file = env.LAWDESK_CONFIG ?? (existsSync(resolve(cwd, "lawdesk.config.yaml")) ? "lawdesk.config.yaml" : undefined);
  let fromFile: Record<string, unknown> = {};
  if (file) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw new ConfigError(`LAWDESK_CONFIG: file not found: ${path}`);
    try {
      // A warning (an unknown !tag) would silently change a value: refused like an error.
      const doc = YAML.parseDocument(readFileSync(path, "utf8"));
      const problem = doc.errors[0] ?? doc.warnings[0];
      if (problem) throw new Error(problem.message);
      const parsed = doc.toJS() ?? {};
      if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("expected a mapping of SETTING: value");
      fromFile = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(`LAWDESK_CONFIG: ${path}: ${(e as Error).message}`);
    }
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const key of SETTINGS) {
    const v = env[key];
    if (v !== undefined && v !== "") merged[key] = v;
  }
  // Every key of the file is a setting; in the environment, every variable named like one.
  const unknownInFile = Object.keys(fromFile).filter((k) => !SETTINGS.includes(k));
  if (unknownInFile.length > 0) throw new ConfigError(unknownSetting(unknownInFile[0], `in ${file}`));
  const unknownInEnv = Object.keys(env).filter((k) => OWN_PREFIXES.some((p) => k.startsWith(p)) && !SETTINGS.includes(k) && !NOT_SETTINGS.has(k));
  if (unknownInEnv.length > 0) throw new ConfigError(unknownSetting(unknownInEnv[0], "in the environment"));

  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const c = result.data;
  if (c.LLM_PROVIDER && c.LLM_PROVIDER !== "none" && !c.LLM_MODEL) {
    throw new ConfigError("LLM_MODEL: required when LLM_PROVIDER is set");
  }
  if (c.LLM_PROVIDER === "openai" && !c.LLM_BASE_URL) throw new ConfigError("LLM_BASE_URL: required when LLM_PROVIDER=openai");
  if (c.EMBEDDINGS_PROVIDER !== "lsa" && !c.EMBEDDINGS_MODEL) {
    throw new ConfigError(`EMBEDDINGS_MODEL: required when EMBEDDINGS_PROVIDER=${c.EMBEDDINGS_PROVIDER}`);
  }
  return { ...c, dataDir: resolve(cwd, c.LAWDESK_DATA_DIR), knowledgeDir: resolve(cwd, c.LAWDESK_KNOWLEDGE_DIR) };
}

/**
 * Corpora to ingest on first start: the setting, else the national statutes of the shared
 * collection beside the project. Other provinces' local regulations (its DLC/ folder) are
 * left out by default: a county needs its own province's, named in LAWDESK_LAWS.
 */
export function defaultLawSources(config: Config): string[] {
  if (config.LAWDESK_LAWS) return config.LAWDESK_LAWS.map((p) => resolve(p));
  return sharedNationalLawFolders();
}
