// A throwaway installation for start-up tests: a copy of the bundled knowledge, one small
// statute, its own data folder, no labelled questions.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, PROJECT_ROOT, type Config } from "../../src/config.ts";
import { LABOUR_LAW } from "../server/helpers.ts";

export interface TempInstall {
  dir: string;
  config: Config;
  remove(): void;
}

export function tempInstall(prefix: string): TempInstall {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  cpSync(join(PROJECT_ROOT, "knowledge"), join(dir, "knowledge"), { recursive: true });
  const config = loadConfig(
    { LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_KNOWLEDGE_DIR: join(dir, "knowledge"), LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv,
    dir,
  );
  return {
    dir,
    config,
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
