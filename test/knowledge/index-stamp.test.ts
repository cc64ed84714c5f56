// The saved index is reused at start-up only when it was built from the same store version
// AND the same vocabulary: a bureau that adds a lay term to knowledge/terms.yaml (or an
// upgrade that ships new terms) gets an index that knows it at the next start, not the old
// one loaded silently. Unchanged inputs load the saved index without rebuilding.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { openKnowledge } from "../../src/knowledge/base.ts";
import { createLogger } from "../../src/log.ts";
import { tempInstall, type TempInstall } from "./temp-install.ts";

let install: TempInstall;
let dir = "";
let config: Config;

beforeAll(() => {
  install = tempInstall("lawdesk-index-stamp-");
  ({ dir, config } = install);
});

afterAll(() => install?.remove());

/** Opens the knowledge base as a start-up does; returns the messages it logged. */
async function start(): Promise<{ msgs: string[]; found: string[] }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const kb = await openKnowledge(config, { log: createLogger("info", sink) });
  try {
    // A made-up lay word: only the added term connects it to article 30's 支付令.
    const hits = await kb.searchArticles("歪脖子蜂巢树", 3);
    return { msgs: lines.map((l) => (JSON.parse(l) as { msg: string }).msg), found: hits.map((h) => h.article.article) };
  } finally {
    await kb.close();
  }
}

const stamp = () => JSON.parse(readFileSync(join(dir, "data", "index", "stamp.json"), "utf8")) as { knowledgeVersion: number; inputs?: string };

describe("the saved index and the vocabulary it was built with", () => {
  it("is reused while nothing changed, and rebuilt when terms.yaml gains a term", async () => {
    const first = await start();
    expect(first.msgs).toContain("search index built");
    expect(first.found).not.toContain("第三十条");
    const built = stamp();
    expect(built.inputs).toMatch(/^[0-9a-f]{32}$/);

    const again = await start();
    expect(again.msgs).not.toContain("search index built");
    expect(stamp()).toEqual(built);

    // A bureau adds its own lay word.
    const termsPath = join(dir, "knowledge", "terms.yaml");
    writeFileSync(termsPath, readFileSync(termsPath, "utf8").replace("\nterms:\n", "\nterms:\n  - {lay: [歪脖子蜂巢树], legal: [支付令]}\n"));
    const changed = await start();
    expect(changed.msgs).toContain("terms, aliases or labelled questions changed; rebuilding the index");
    expect(changed.msgs).toContain("search index built");
    expect(changed.found[0]).toBe("第三十条");
    expect(stamp().knowledgeVersion).toBe(built.knowledgeVersion);
    expect(stamp().inputs).not.toBe(built.inputs);

    expect((await start()).msgs).not.toContain("search index built");
  });
});
