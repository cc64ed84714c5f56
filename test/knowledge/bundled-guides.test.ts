// A release that corrects its bundled guides must reach a bureau that installed an earlier
// one: changed guide files are ingested again at start, without rebuilding the search index,
// while a guide an administrator replaced with their own version keeps it (and the log says
// the release changed the bundled text).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config.ts";
import { openKnowledge } from "../../src/knowledge/base.ts";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { createLogger } from "../../src/log.ts";
import { tempInstall, type TempInstall } from "./temp-install.ts";

let install: TempInstall;
let dir = "";
let config: Config;

beforeAll(() => {
  install = tempInstall("lawdesk-bundled-guides-");
  ({ dir, config } = install);
});

afterAll(() => install?.remove());

/** Starts as a server does; returns what the guide says and the messages logged. */
async function start(id: string): Promise<{ title: string | undefined; msgs: string[] }> {
  const msgs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split("\n").filter(Boolean)) msgs.push((JSON.parse(l) as { msg: string }).msg);
      done();
    },
  });
  const kb = await openKnowledge(config, { log: createLogger("info", sink) });
  try {
    return { title: kb.guideById(id)?.title, msgs };
  } finally {
    await kb.close();
  }
}

const retitle = (file: string, title: string) => writeFileSync(file, readFileSync(file, "utf8").replace(/^title: .*$/m, `title: ${title}`));

describe("bundled guides after an upgrade", () => {
  it("a corrected bundled guide is applied at the next start, without rebuilding the index", async () => {
    const file = join(dir, "knowledge", "guides", "wage-arrears.md");
    const first = await start("wage-arrears");
    expect(first.msgs).toContain("search index built");
    retitle(file, "老板欠工资怎么讨（新版）");
    const next = await start("wage-arrears");
    expect(next.title).toBe("老板欠工资怎么讨（新版）");
    expect(next.msgs).toContain("bundled guides updated");
    expect(next.msgs).not.toContain("search index built");
    // Nothing changed: nothing is ingested again.
    expect((await start("wage-arrears")).msgs).not.toContain("bundled guides updated");
  });

  it("an administrator's own version of a guide is kept when the release changes the bundled text", async () => {
    const bundled = join(dir, "knowledge", "guides", "renting.md");
    const own = join(dir, "data", "uploads", "guides", "renting.md");
    mkdirSync(join(dir, "data", "uploads", "guides"), { recursive: true });
    writeFileSync(own, readFileSync(bundled, "utf8").replace(/^title: .*$/m, "title: 本县租房纠纷指引"));
    const kb = await openKnowledge(config, { log: createLogger("silent") });
    await ingestPaths(kb.store, [own]);
    await kb.close();

    retitle(bundled, "租房纠纷（新版）");
    const after = await start("renting");
    expect(after.title).toBe("本县租房纠纷指引");
    expect(after.msgs.some((m) => /renting: an administrator's version is in use/.test(m))).toBe(true);
  });
});
