import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readdirSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildOrLoadIndex, loadTrainingFor, rankCorpus, PROJECT_ROOT } from "../../src/retrieval/rank.ts";
import { readLabelledQuestions } from "../../src/retrieval/question-bank.ts";
import { ARTICLES } from "./fixtures.ts";

const tmp = mkdtempSync(join(tmpdir(), "lawdesk-rank-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const corpus = join(tmp, "corpus.jsonl");
const queries = join(tmp, "queries.jsonl");
const train = join(tmp, "train.jsonl");
writeFileSync(corpus, ARTICLES.map((a) => JSON.stringify({ id: a.id, law: a.law, article: a.article, text: a.text, status: a.status })).join("\n") + "\n");
writeFileSync(
  queries,
  [
    { id: "q1", query: "老板欠我三个月工资不给咋办" },
    { id: "q2", query: "民法典第一千零七十九条" },
    { id: "q3", query: "醉酒开车会判刑吗" },
  ]
    .map((q) => JSON.stringify(q))
    .join("\n"),
);
writeFileSync(train, JSON.stringify({ id: "t1", query: "喝醉了开车被抓", relevant: [ARTICLES[9].id] }) + "\n");

async function collect(opts: Parameters<typeof rankCorpus>[0]) {
  const out = [];
  for await (const r of rankCorpus(opts)) out.push(r);
  return out;
}

describe("rankCorpus", () => {
  it("ranks every query, builds once and then reuses the cache", async () => {
    const cacheDir = join(tmp, "cache");
    const opts = { corpusPath: corpus, queriesPath: queries, k: 5, cacheDir, trainPath: train, termsPath: false as const, aliasesPath: false as const };
    const a = await collect(opts);
    expect(a.map((r) => r.id)).toEqual(["q1", "q2", "q3"]);
    expect(a[0].ranked.length).toBeLessThanOrEqual(5);
    expect(a[1].ranked[0]).toBe(ARTICLES[2].id); // exact citation
    expect(a[2].ranked).toContain(ARTICLES[9].id);
    expect(readdirSync(cacheDir)).toHaveLength(1);
    const b = await collect(opts);
    expect(b).toEqual(a);
    expect(readdirSync(cacheDir)).toHaveLength(1);
    // different options -> different cache entry
    await collect({ ...opts, trainPath: false });
    expect(readdirSync(cacheDir)).toHaveLength(2);
  });

  it("indexes the corpus with the chapter headings of the statutes given, and caches per statutes", () => {
    const laws = join(tmp, "laws");
    mkdirSync(laws, { recursive: true });
    const divorce = ARTICLES[2];
    writeFileSync(join(laws, "婚姻家庭编.md"), `# ${divorce.law}\n\n# 婚姻家庭编\n\n<!-- INFO END -->\n\n## 第四章 离婚\n\n${divorce.article} ${divorce.text}\n`);
    const cacheDir = join(tmp, "cache-chapters");
    const opts = { corpusPath: corpus, queriesPath: queries, cacheDir, trainPath: false as const, termsPath: false as const, aliasesPath: false as const };
    const joined = buildOrLoadIndex({ ...opts, chaptersFrom: [laws] });
    expect(joined.index.articles.find((a) => a.id === divorce.id)?.chapters).toEqual(["婚姻家庭编", "第四章 离婚"]);
    expect(joined.index.articles.filter((a) => a.chapters.length > 0)).toHaveLength(1);
    const bare = buildOrLoadIndex({ ...opts, chaptersFrom: [] });
    expect(bare.key).not.toBe(joined.key);
    expect(bare.index.articles.every((a) => a.chapters.length === 0)).toBe(true);
    // Read back from the cache, the chapters are still there.
    const again = buildOrLoadIndex({ ...opts, chaptersFrom: [laws] });
    expect(again.cached).toBe(true);
    expect(again.index.articles.find((a) => a.id === divorce.id)?.chapters).toEqual(["婚姻家庭编", "第四章 离婚"]);
  });

  it("ignores training files whose ids do not match the corpus", () => {
    const ids = new Set(ARTICLES.map((a) => a.id));
    expect(loadTrainingFor(train, ids)).toHaveLength(1);
    expect(loadTrainingFor(train, new Set(["other"]))).toBeNull();
    expect(loadTrainingFor(join(tmp, "absent.jsonl"), ids)).toBeNull();
  });

  it("carries a lawyer's answer along with the question (it expands the cited articles)", () => {
    const answered = join(tmp, "answered.jsonl");
    writeFileSync(answered, JSON.stringify({ id: "t2", query: "喝醉了开车被抓", relevant: [ARTICLES[9].id], answer: "醉酒驾驶机动车构成危险驾驶罪。" }) + "\n");
    const ids = new Set(ARTICLES.map((a) => a.id));
    expect(loadTrainingFor(answered, ids)).toEqual([{ query: "喝醉了开车被抓", relevant: [ARTICLES[9].id], answer: "醉酒驾驶机动车构成危险驾驶罪。" }]);
    expect(loadTrainingFor(train, ids)![0]).not.toHaveProperty("answer");
    expect(readLabelledQuestions(answered)).toEqual([]); // no relevant_names: not a bank entry of this format
    const bank = join(tmp, "bank.jsonl");
    writeFileSync(bank, JSON.stringify({ query: "喝醉了开车被抓", relevant_names: ["中华人民共和国刑法第一百三十三条之一"], answer: "构成危险驾驶罪。" }) + "\n");
    expect(readLabelledQuestions(bank)).toEqual([{ query: "喝醉了开车被抓", answers: ["中华人民共和国刑法|第一百三十三条之一"], answer: "构成危险驾驶罪。" }]);
  });
});

describe("STARD data (../shared/data)", () => {
  const dataDir = resolve(PROJECT_ROOT, "../shared/data");
  const present = existsSync(join(dataDir, "stard/corpus.jsonl")) && existsSync(join(dataDir, "stard/queries-train.jsonl"));
  if (!present) console.warn(`skipping STARD checks: ${dataDir}/stard not found`);

  it.skipIf(!present)("training labels match the corpus ids (so rank learns from them by default)", async () => {
    const { readFileSync } = await import("node:fs");
    const ids = new Set(
      readFileSync(join(dataDir, "stard/corpus.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { id: string }).id),
    );
    expect(ids.size).toBeGreaterThan(50_000);
    expect(loadTrainingFor(join(dataDir, "stard/queries-train.jsonl"), ids)?.length).toBeGreaterThan(1000);
  });
});
