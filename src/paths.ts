// Where the project and its shared data sit, defined once for every folder.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's root folder (where package.json is). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Real external data for tests, evaluation and benchmarks, beside the project. */
export const SHARED_DATA_DIR = resolve(PROJECT_ROOT, "../shared/data");

/**
 * The national statutes of the shared collection (its folders but DLC/, other provinces'
 * local regulations, and 案例, cases), or none when the collection is absent.
 */
export function sharedNationalLawFolders(): string[] {
  const shared = resolve(SHARED_DATA_DIR, "laws");
  if (!existsSync(shared)) return [];
  return readdirSync(shared, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith(".") && d.name !== "DLC" && d.name !== "案例")
    .map((d) => join(shared, d.name));
}
