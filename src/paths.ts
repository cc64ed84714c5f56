// Where the project and its shared data sit, defined once for every folder.
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The project's root folder (where package.json is). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Real external data for tests, evaluation and benchmarks, beside the project. */
export const SHARED_DATA_DIR = resolve(PROJECT_ROOT, "../shared/data");
