// Real external data lives beside the project in ../shared/data; tests that need it skip
// with a clear message when it is absent.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { SHARED_DATA_DIR } from "../../src/config.ts";

export const LAWS_DIR = resolve(SHARED_DATA_DIR, "laws");
export const STARD_DIR = resolve(SHARED_DATA_DIR, "stard");
export const HAS_LAWS = existsSync(resolve(LAWS_DIR, "index.jsonl"));
export const HAS_STARD = existsSync(resolve(STARD_DIR, "corpus.jsonl"));

export function skipReason(what: string, dir: string): string {
  return `${what}: skipped, ${dir} is absent (the shared data set lives beside the project)`;
}
