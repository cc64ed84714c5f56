// The index of a RUNNING knowledge base is rebuilt in a worker thread: a real knowledge base
// on a temp data directory (SQLite) over a synthetic corpus whose build is seconds of CPU.
// While the worker builds, the old index keeps answering searches on the main thread (how
// long the event loop stalls either way is measured by scripts/bench-rebuild.ts, not
// asserted here: it depends on the machine); afterwards the new law is found and the saved index carries the store
// version it was built for. Concurrent refreshes start one worker; a failed worker (the
// store gone, the worker out of memory) leaves the old index answering and surfaces the
// error, and the next refresh recovers. The worker opens PostgreSQL from the configuration
// too, and embeds through a configured embedding endpoint as an in-process build does.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge, type KnowledgeBase } from "../../src/knowledge/base.ts";
import { ingestPaths } from "../../src/knowledge/ingest.ts";
import { createLogger } from "../../src/log.ts";
import { SqlKnowledgeStore } from "../../src/store/knowledge-store.ts";
import { openPg } from "../../src/store/pg/pool.ts";
import { PG_SKIP_REASON, PG_URL } from "../store/backends.ts";
import { startFakeEmbeddings, type FakeEmbeddings } from "../helpers/fake-embeddings.ts";
import { LABOUR_LAW } from "../server/helpers.ts";
import { BEE_LAW, BEE_LAW_TITLE, BEE_QUESTION, syntheticLawsJsonl } from "./synthetic-laws.ts";

/** 35 × 100 synthetic articles: an in-process build stalls the event loop for a second or more. */
const SYNTHETIC_LAWS = 35;
const PER_LAW = 100;
const OLD_QUESTION = "老板拖欠劳动报酬，可以申请支付令吗";

let dir = "";
let kb: KnowledgeBase;
const logs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const logged = (msg: string) => logs.filter((l) => (JSON.parse(l) as { msg: string }).msg === msg);
const leftovers = () => readdirSync(join(dir, "data")).filter((n) => /^index\.(tmp|old)-/.test(n));

/** Writes a law file outside the configured corpus and ingests it through the store, as an upload does. */
async function ingestLaw(name: string, content: string): Promise<void> {
  const path = join(dir, "uploads", name);
  mkdirSync(join(dir, "uploads"), { recursive: true });
  writeFileSync(path, content);
  const summary = await ingestPaths(kb.store, [path]);
  expect(summary.changed, JSON.stringify(summary)).toBe(true);
}

const stamp = () => JSON.parse(readFileSync(join(dir, "data", "index", "stamp.json"), "utf8")) as { knowledgeVersion: number };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lawdesk-index-worker-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  writeFileSync(join(dir, "laws", "合成测试条例.jsonl"), syntheticLawsJsonl(SYNTHETIC_LAWS, PER_LAW));
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv, dir);
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  // The first build, at start-up, runs in-process: nothing answers yet.
  kb = await openKnowledge(config, { log: createLogger("info", sink) });
  expect(logged("search index built")).toHaveLength(1);
  expect(kb.articleCount).toBe(SYNTHETIC_LAWS * PER_LAW + 3);
}, 120_000);

afterAll(async () => {
  await kb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("rebuilding a running knowledge base's index in a worker thread", () => {
  it("keeps the event loop serving and the old index answering while the worker builds; then the new law is found", async () => {
    const before = kb.articleCount;

    await ingestLaw("养蜂管理条例.md", BEE_LAW);
    expect((await kb.searchArticles(BEE_QUESTION, 5)).some((h) => h.article.law === BEE_LAW_TITLE)).toBe(false);

    // The refresh path of a running server (watchForChanges / an upload call refreshNow),
    // with searches against the knowledge base all the while.
    const during: { first: string | undefined; bee: boolean }[] = [];
    let finished = false;
    const refreshing = kb.refreshNow().finally(() => (finished = true));
    while (!finished) {
      // this.index changes before the retriever does: the old count means the old index.
      const onOld = kb.articleCount === before;
      const [old, bee] = await Promise.all([kb.searchArticles(OLD_QUESTION, 3), kb.searchArticles(BEE_QUESTION, 5)]);
      if (onOld) during.push({ first: old[0]?.article.article, bee: bee.some((h) => h.article.law === BEE_LAW_TITLE) });
      await sleep(20);
    }
    expect(await refreshing).toBe("rebuilt");
    // (a) Built in the worker thread, while the main thread kept serving: searches ran on the
    // old index until the new one was swapped in, and found only what the old one held.
    expect(logged("search index built in a worker thread")).toHaveLength(1);
    expect(logged("search index built")).toHaveLength(1); // the start-up build only: nothing on this thread
    expect(during.length, `searches answered during the rebuild: ${during.length}`).toBeGreaterThanOrEqual(3);
    for (const d of during) {
      expect(d.first).toBe("第三十条");
      expect(d.bee).toBe(false);
    }

    // (b) Afterwards the new law's articles are found, from the index built for the store's
    // version, which is what the saved index says too; no temporary folder is left behind.
    expect(kb.articleCount).toBe(before + 2);
    const hits = await kb.searchArticles(BEE_QUESTION, 3);
    expect(hits[0].article.law).toBe(BEE_LAW_TITLE);
    expect(stamp().knowledgeVersion).toBe(await kb.store.version());
    for (let i = 0; i < 50 && leftovers().length > 0; i++) await sleep(20);
    expect(leftovers()).toEqual([]);
    expect(await kb.refreshNow()).toBe("unchanged");
  }, 120_000);

  it("starts one worker for concurrent refreshes", async () => {
    const built = logged("search index built in a worker thread").length;
    await ingestLaw("养蜂管理条例-补充.jsonl", JSON.stringify({ id: "bee-3", law: BEE_LAW_TITLE, article: "第三条", text: "蜂农合作社应当为社员提供蜂病防治指导。", level: "地方性法规", status: "现行有效" }));
    const direct = kb.rebuildIndex({ inWorker: true });
    const first = kb.refreshNow();
    const second = kb.refreshNow();
    await direct;
    expect([await first, await second]).toEqual(["rebuilt", "unchanged"]);
    expect(logged("search index built in a worker thread")).toHaveLength(built + 1);
    expect((await kb.searchArticles("蜂病防治指导", 3))[0].article.id).toBe("bee-3");
    expect(stamp().knowledgeVersion).toBe(await kb.store.version());
  }, 120_000);

  it("keeps the old index when the worker cannot read the store, surfaces the error, and recovers", async () => {
    const count = kb.articleCount;
    const version = await kb.store.version();
    await ingestLaw("养蜂管理条例-罚则.jsonl", JSON.stringify({ id: "bee-4", law: BEE_LAW_TITLE, article: "第四条", text: "擅自在自然保护区核心区放蜂的，由林业主管部门责令改正。", level: "地方性法规", status: "现行有效" }));
    // The store file goes away under the running process (its open connection still works):
    // the worker must not build from an empty store it would create in its place.
    const db = join(dir, "data", "lawdesk.db");
    renameSync(db, `${db}.away`);
    try {
      await expect(kb.refreshNow()).rejects.toThrow(/index worker: the knowledge store .*lawdesk\.db is missing/);
    } finally {
      renameSync(`${db}.away`, db);
    }
    expect(logged("search index build failed; the previous index keeps answering").length).toBeGreaterThanOrEqual(1);
    expect(kb.articleCount).toBe(count);
    expect((await kb.searchArticles(OLD_QUESTION, 3))[0].article.article).toBe("第三十条");
    expect((await kb.searchArticles("自然保护区核心区放蜂", 3)).some((h) => h.article.id === "bee-4")).toBe(false);
    expect(stamp().knowledgeVersion).toBe(version);
    expect(leftovers()).toEqual([]);

    // The next refresh (the watcher's next tick) builds it.
    expect(await kb.refreshNow()).toBe("rebuilt");
    expect((await kb.searchArticles("自然保护区核心区放蜂", 3))[0].article.id).toBe("bee-4");
    expect(stamp().knowledgeVersion).toBe(await kb.store.version());
  }, 120_000);

  it("keeps the old index when the worker dies (out of memory) before reporting", async () => {
    const count = kb.articleCount;
    const version = stamp().knowledgeVersion;
    const failed = logged("search index build failed; the previous index keeps answering").length;
    await expect(kb.rebuildIndex({ inWorker: true, resourceLimits: { maxOldGenerationSizeMb: 24 } })).rejects.toThrow(/index worker: .*memory limit/);
    expect(logged("search index build failed; the previous index keeps answering")).toHaveLength(failed + 1);
    expect(kb.articleCount).toBe(count);
    expect((await kb.searchArticles(OLD_QUESTION, 3))[0].article.article).toBe("第三十条");
    expect(stamp().knowledgeVersion).toBe(version);
    expect(existsSync(join(dir, "data", "index", "manifest.json"))).toBe(true);
    expect(leftovers()).toEqual([]);
  }, 120_000);
});

/** A knowledge base over the three-article labour law in its own temp folder, for the store and embedding variants. */
async function smallKnowledgeBase(env: Record<string, string>, opts: { store?: SqlKnowledgeStore } = {}) {
  const d = mkdtempSync(join(tmpdir(), "lawdesk-index-worker-small-"));
  mkdirSync(join(d, "laws"));
  writeFileSync(join(d, "laws", "劳动合同法.md"), LABOUR_LAW);
  writeFileSync(join(d, "bee.md"), BEE_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(d, "data"), LAWDESK_LAWS: join(d, "laws"), LAWDESK_TRAINING: "off", ...env } as NodeJS.ProcessEnv, d);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      done();
    },
  });
  const small = await openKnowledge(config, { log: createLogger("info", sink), store: opts.store });
  return {
    kb: small,
    beePath: join(d, "bee.md"),
    workerBuilds: () => lines.filter((l) => l.includes("search index built in a worker thread")).length,
    stampVersion: () => (JSON.parse(readFileSync(join(d, "data", "index", "stamp.json"), "utf8")) as { knowledgeVersion: number }).knowledgeVersion,
    leftovers: () => readdirSync(join(d, "data")).filter((n) => /^index\.(tmp|old)-/.test(n)),
    async remove(closed = false) {
      if (!closed) await small.close();
      rmSync(d, { recursive: true, force: true });
    },
  };
}

describe("closing a knowledge base while its worker builds", () => {
  it("stops the worker: nothing is swapped in and the temporary folder is removed", async () => {
    const small = await smallKnowledgeBase({});
    try {
      expect((await ingestPaths(small.kb.store, [small.beePath])).changed).toBe(true);
      const refreshing = small.kb.refreshNow();
      await sleep(50);
      await small.kb.close();
      await expect(refreshing).rejects.toThrow(/index worker: stopped/);
      expect(small.workerBuilds()).toBe(0);
      expect(small.leftovers()).toEqual([]);
    } finally {
      await small.remove(true);
    }
  }, 60_000);
});

describe.skipIf(PG_SKIP_REASON !== null)(`the index worker on PostgreSQL${PG_SKIP_REASON ? ` — SKIPPED: ${PG_SKIP_REASON}` : ""}`, () => {
  it("opens the same database and schema from the configuration and builds from it", async () => {
    const pg = await openPg(PG_URL, { freshSchema: true, max: 3 });
    const small = await smallKnowledgeBase({ DATABASE_URL: PG_URL, DATABASE_SCHEMA: pg.schema! }, { store: new SqlKnowledgeStore(pg.pool) });
    try {
      expect(small.kb.articleCount).toBe(3);
      expect((await ingestPaths(small.kb.store, [small.beePath])).changed).toBe(true);
      expect(await small.kb.refreshNow()).toBe("rebuilt");
      expect(small.workerBuilds()).toBe(1);
      expect(small.kb.articleCount).toBe(5);
      expect((await small.kb.searchArticles(BEE_QUESTION, 3))[0].article.law).toBe(BEE_LAW_TITLE);
      expect(small.stampVersion()).toBe(await small.kb.store.version());
    } finally {
      await small.remove();
      await pg.close();
    }
  }, 60_000);
});

describe("the index worker with a remote embedding model", () => {
  // Served by this (main) thread's event loop while the worker embeds the articles.
  let fake: FakeEmbeddings;
  beforeAll(async () => {
    fake = await startFakeEmbeddings();
  });
  afterAll(() => fake?.close());

  it("embeds the articles through the endpoint, and the main thread embeds queries with the loaded index", async () => {
    const inputs = fake.inputs;
    const small = await smallKnowledgeBase({ EMBEDDINGS_PROVIDER: "openai", EMBEDDINGS_MODEL: "fake", EMBEDDINGS_BASE_URL: fake.base });
    try {
      expect((await ingestPaths(small.kb.store, [small.beePath])).changed).toBe(true);
      const before = inputs.length;
      expect(await small.kb.refreshNow()).toBe("rebuilt");
      expect(small.workerBuilds()).toBe(1);
      // The worker embedded the corpus, the new regulation included.
      expect(inputs.slice(before).some((t) => t.includes("蜂箱"))).toBe(true);
      const hits = await small.kb.searchArticles(BEE_QUESTION, 3);
      expect(hits[0].article.law).toBe(BEE_LAW_TITLE);
      expect(hits[0].parts.dense).toBeGreaterThan(0);
    } finally {
      await small.remove();
    }
  }, 60_000);
});
