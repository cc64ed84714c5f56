// Configuration loading under random settings: random environments and random YAML config
// files (10,000 cases each) either load or fail with ConfigError naming the problem — never
// another exception, which would crash start-up unexplained.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, ConfigSchema, loadConfig } from "../../src/config.ts";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 10_000);

describe("configuration loading", () => {
  const cwd = mkdtempSync(join(tmpdir(), "lawdesk-config-prop-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  // Every known setting, plus look-alikes and an unknown one; LAWDESK_CONFIG points at files that may not exist.
  const keys = [...Object.keys(ConfigSchema.shape), "LAWDESK_CONFIG", "UNKNOWN_SETTING", "lawdesk_data_dir"];
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.constantFrom("", "0", "-1", "1.5", "1e309", "NaN", "65536", "true", "openai", "ollama", "none", "postgres://x", "http://127.0.0.1:1/v1", "not a url", "a".repeat(43), "debug", "1", "0.7", "2"),
    fc.integer().map(String),
    fc.double().map(String),
  );

  it(`random environments either load or throw ConfigError, never anything else (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 8 }), (env) => {
        try {
          const c = loadConfig(env as NodeJS.ProcessEnv, cwd);
          expect(c.PORT).toBeGreaterThanOrEqual(0);
          expect(c.LAWDESK_RETENTION_DAYS).toBeGreaterThan(0);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(ConfigError);
          expect((e as Error).message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`random YAML config files either load or throw ConfigError (${RUNS} runs, each writing a file)`, () => {
    const yamlish = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 6 }).map((d) => Object.entries(d).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n")),
      fc.constantFrom("- a\n- b", "PORT: [1, 2]", "PORT: {a: 1}", "&a [*a]", "!!binary x", "PORT: 3000\nPORT: 3001", "null", "42", "'"),
    );
    let n = 0;
    fc.assert(
      fc.property(yamlish, (content) => {
        const file = `c${n++ % 8}.yaml`;
        writeFileSync(join(cwd, file), content);
        try {
          loadConfig({ LAWDESK_CONFIG: file } as NodeJS.ProcessEnv, cwd);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(ConfigError);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("loads a config file, lets the environment win, and refuses a YAML tag it cannot resolve", () => {
    writeFileSync(join(cwd, "good.yaml"), "PORT: 3100\nDATABASE_URL: postgres://lawdesk@db/lawdesk\nDATABASE_SCHEMA: county_a\n");
    const c = loadConfig({ LAWDESK_CONFIG: "good.yaml", DATABASE_SCHEMA: "county_b" } as NodeJS.ProcessEnv, cwd);
    expect([c.PORT, c.DATABASE_URL, c.DATABASE_SCHEMA]).toEqual([3100, "postgres://lawdesk@db/lawdesk", "county_b"]);
    writeFileSync(join(cwd, "tagged.yaml"), "PORT: !port 3100\n");
    expect(() => loadConfig({ LAWDESK_CONFIG: "tagged.yaml" } as NodeJS.ProcessEnv, cwd)).toThrow(/LAWDESK_CONFIG: .*tagged\.yaml: .*tag/i);
    expect(() => loadConfig({ DATABASE_SCHEMA: "Robert'); DROP" } as NodeJS.ProcessEnv, cwd)).toThrow(/DATABASE_SCHEMA/);
  });

  it("refuses a misspelt setting in the environment or the file, naming the setting probably meant", () => {
    const env = (e: Record<string, string>) => () => loadConfig(e as NodeJS.ProcessEnv, cwd);
    expect(env({ WECHATY_PUPET: "wechaty-puppet-service" })).toThrow(/^WECHATY_PUPET: unknown setting in the environment; did you mean WECHATY_PUPPET\?$/);
    expect(env({ TELEGRAM_BOT_TOKN: "1:x" })).toThrow(/did you mean TELEGRAM_BOT_TOKEN\?/);
    expect(env({ DATABASE_SCHEME: "county_a" })).toThrow(/did you mean DATABASE_SCHEMA\?/);
    expect(env({ LAWDESK_TRAINNG: "off" })).toThrow(/did you mean LAWDESK_TRAINING\?/);
    // Nothing close: the name alone.
    expect(env({ LAWDESK_SOMETHING_ELSE_ENTIRELY: "1" })).toThrow(/^LAWDESK_SOMETHING_ELSE_ENTIRELY: unknown setting in the environment$/);
    // Other programs' variables are none of lawdesk's business; Wechaty's own are known.
    expect(env({ PATH: "/usr/bin", HOME: "/root", WECHATY_LOG: "info", WECHATY_PUPPET_SERVICE_ENDPOINT: "127.0.0.1:8788" })).not.toThrow();
    // In the file no prefix is exempt: every key must be a setting.
    writeFileSync(join(cwd, "typo.yaml"), "WECHAT_OA_TOKN: abcdef\n");
    expect(() => loadConfig({ LAWDESK_CONFIG: "typo.yaml" } as NodeJS.ProcessEnv, cwd)).toThrow(/^WECHAT_OA_TOKN: unknown setting in typo\.yaml; did you mean WECHAT_OA_TOKEN\?$/);
    writeFileSync(join(cwd, "telegram.yaml"), "TELEGRAM_ANYTHING: 1\n");
    expect(() => loadConfig({ LAWDESK_CONFIG: "telegram.yaml" } as NodeJS.ProcessEnv, cwd)).toThrow(/^TELEGRAM_ANYTHING: unknown setting in telegram\.yaml/);
  });

  it("validates LAWDESK_TRAINING like every other setting", () => {
    expect(loadConfig({} as NodeJS.ProcessEnv, cwd).LAWDESK_TRAINING).toBe("on");
    expect(loadConfig({ LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv, cwd).LAWDESK_TRAINING).toBe("off");
    writeFileSync(join(cwd, "training.yaml"), "LAWDESK_TRAINING: \"off\"\n");
    expect(loadConfig({ LAWDESK_CONFIG: "training.yaml" } as NodeJS.ProcessEnv, cwd).LAWDESK_TRAINING).toBe("off");
    expect(() => loadConfig({ LAWDESK_TRAINING: "no" } as NodeJS.ProcessEnv, cwd)).toThrow(/LAWDESK_TRAINING/);
  });
});
