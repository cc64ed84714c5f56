import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { attachChapters, chapterSourcesStamp, readChapterTable } from "../../src/retrieval/corpus-chapters.ts";
import { readCorpusJsonl } from "../../src/retrieval/corpus.ts";
import { sharedNationalLawFolders } from "../../src/paths.ts";
import { HAS_LAWS, HAS_STARD, LAWS_DIR, STARD_DIR, skipReason } from "../helpers/shared-data.ts";
import { ARTICLES, MFD } from "./fixtures.ts";

const tmp = mkdtempSync(join(tmpdir(), "lawdesk-chapters-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CONTRACTS = `# 中华人民共和国民法典

# 合同编

<!-- INFO END -->

## 第二分编 典型合同

### 第十四章 租赁合同

第七百二十五条 租赁物在承租人按照租赁合同占有期限内发生所有权变动的，不影响租赁合同的效力。

第七百二十六条 出租人出卖租赁房屋的，应当在出卖之前的合理期限内通知承租人。
`;

const LABOUR = `# 中华人民共和国劳动合同法

<!-- INFO END -->

## 第四章 劳动合同的解除和终止

第三十八条 用人单位有下列情形之一的，劳动者可以解除劳动合同：
（一）未按照劳动合同约定提供劳动保护或者劳动条件的；
`;

function unit(law: string, article: string, text: string, chapters: string[] = []) {
  return { ...ARTICLES[0], id: `${law}${article}`, law, article, text, chapters };
}

describe("chapters joined from the Markdown statutes", () => {
  const folder = join(tmp, "laws");
  mkdirSync(join(folder, "民法典"), { recursive: true });
  writeFileSync(join(folder, "民法典", "合同编.md"), CONTRACTS);
  writeFileSync(join(folder, "劳动合同法.md"), LABOUR);
  writeFileSync(join(folder, "README.md"), "no statute here\n");

  it("gives an article its book, part and chapter, matched by title, label and opening text", () => {
    const table = readChapterTable([folder]);
    const units = [
      unit(MFD, "第七百二十五条", "租赁物在承租人按照租赁合同占有期限内发生所有权变动的,不影响租赁合同的效力。"),
      // The short title and a text laid out over lines match as well.
      unit("劳动合同法", "第三十八条", "用人单位有下列情形之一的，劳动者可以解除劳动合同：\n（一）未按照劳动合同约定提供劳动保护或者劳动条件的；"),
      // Another version's text (the label exists, the words differ): left alone.
      unit(MFD, "第七百二十六条", "出租人出卖租赁房屋的，应当在出卖之前的合理期限内通知承租人，承租人享有以同等条件优先购买的权利。"),
      // Not in the statutes at all, and one that already has chapters.
      unit("中华人民共和国刑法", "第二百六十四条", "盗窃公私财物，数额较大的……"),
      unit(MFD, "第七百二十五条", "租赁物在承租人按照租赁合同占有期限内发生所有权变动的，不影响租赁合同的效力。", ["已有"]),
    ];
    expect(attachChapters(units, table)).toBe(2);
    expect(units.map((u) => u.chapters)).toEqual([
      ["合同编", "第二分编 典型合同", "第十四章 租赁合同"],
      ["第四章 劳动合同的解除和终止"],
      [],
      [],
      ["已有"],
    ]);
  });

  it("reads them while reading a JSONL corpus, and its stamp changes when a statute does", () => {
    const path = join(tmp, "corpus.jsonl");
    writeFileSync(path, JSON.stringify({ id: "a1", law: "民法典", article: "第七百二十五条", text: "租赁物在承租人按照租赁合同占有期限内发生所有权变动的，不影响租赁合同的效力。" }) + "\n");
    expect(readCorpusJsonl(path)[0].chapters).toEqual([]);
    expect(readCorpusJsonl(path, { chaptersFrom: [folder] })[0].chapters).toEqual(["合同编", "第二分编 典型合同", "第十四章 租赁合同"]);
    const before = chapterSourcesStamp([folder]);
    expect(chapterSourcesStamp([folder])).toBe(before);
    writeFileSync(join(folder, "劳动合同法.md"), LABOUR + "\n第三十九条 劳动者严重违反用人单位的规章制度的，用人单位可以解除劳动合同。\n");
    expect(chapterSourcesStamp([folder])).not.toBe(before);
    // A single file, or a folder that is not there (a mistyped LAWDESK_LAWS), reads as given.
    expect(readChapterTable([join(folder, "劳动合同法.md"), join(tmp, "absent")]).size).toBe(2);
    expect(chapterSourcesStamp([join(tmp, "absent")])).toBe(chapterSourcesStamp([]));
  });
});

describe("chapters for STARD's corpus from the shared statutes", () => {
  const present = HAS_LAWS && HAS_STARD;
  if (!present) console.warn(skipReason("STARD chapter join", HAS_LAWS ? STARD_DIR : LAWS_DIR));

  it.skipIf(!present)("finds the chapter of nearly every article a labelled question cites", async () => {
    const { readJsonl } = await import("../../scripts/lib/ir-metrics.ts");
    const units = readCorpusJsonl(join(STARD_DIR, "corpus.jsonl"), { chaptersFrom: sharedNationalLawFolders() });
    const byId = new Map(units.map((u) => [u.id, u]));
    const cited = readJsonl<{ relevant: string[] }>(join(STARD_DIR, "queries-train.jsonl")).flatMap((q) => q.relevant);
    const withChapters = cited.filter((id) => (byId.get(id)?.chapters.length ?? 0) > 0).length;
    // Laws without chapters (short regulations, most interpretations) have none to give.
    expect(withChapters / cited.length).toBeGreaterThan(0.85);
    const lease = units.find((u) => u.law === MFD && u.article === "第七百二十五条");
    expect(lease?.chapters).toEqual(["合同编", "第二分编 典型合同", "第十四章 租赁合同"]);
  });
});
