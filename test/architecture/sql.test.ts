// All SQL sits behind store methods: src/store, and the few stores a channel keeps for its
// own tables (src/channels/**/store.ts and the like). Anywhere else a statement is a leak: the
// console, the server and the core ask a store, so both databases stay covered by one suite.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** A string literal that opens with an SQL statement. */
const STATEMENT = /["'`]\s*(SELECT\s|INSERT\s+INTO\s|UPDATE\s+\w+\s+SET\s|DELETE\s+FROM\s|CREATE\s+(TABLE|INDEX)\s|ALTER\s+TABLE\s)/;

/** Where SQL may live: the store, and a channel's own store of its own tables. */
const ALLOWED = [/^store\//, /^channels\/[\w-]+\/([\w-]+-)?(store|cache)\.ts$/, /^channels\/migrations\.ts$/];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(path) : e.name.endsWith(".ts") ? [path] : [];
  });
}

describe("SQL lives behind store methods", () => {
  const files = sourceFiles(SRC).map((path) => ({ file: relative(SRC, path), text: readFileSync(path, "utf8") }));
  const withSql = files.filter((f) => STATEMENT.test(f.text)).map((f) => f.file);

  it("finds the statements it checks (the pattern is not silently matching nothing)", () => {
    expect(withSql).toContain("store/rate-counter.ts");
    expect(withSql).toContain("channels/telegram/store.ts");
  });

  it("no file outside the stores holds a statement", () => {
    expect(withSql.filter((f) => !ALLOWED.some((a) => a.test(f)))).toEqual([]);
  });
});
