import type { Migration } from "./types.ts";

// Versions 30-39.
export const CONSOLE_MIGRATIONS: Migration[] = [];
