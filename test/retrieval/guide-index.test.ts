import { describe, expect, it } from "vitest";
import { GuideIndex } from "../../src/retrieval/guide-index.ts";
import type { Guide } from "../../src/knowledge/types.ts";

function guide(id: string, title: string, topics: string[], questions: string[], body: string): Guide {
  return { id, title, topics, questions, legalBasis: [], steps: [], materials: [], where: [], fees: "", timeLimits: "", alwaysEscalate: false, body, source: `${id}.md` };
}

const guides = [
  guide("wage", "农民工讨薪", ["欠薪", "劳动报酬"], ["老板欠工资不给怎么办", "包工头跑了工钱找谁要"], "可以向劳动保障监察投诉，或申请劳动仲裁。"),
  guide("divorce", "离婚", ["离婚", "抚养权"], ["怎么起诉离婚", "离婚孩子归谁"], "协议离婚到婚姻登记机关，诉讼离婚向人民法院起诉。"),
  guide("aid", "申请法律援助", ["法律援助"], ["请不起律师怎么办", "法律援助怎么申请"], "经济困难的可以申请法律援助，签承诺书即可。"),
];

describe("GuideIndex", () => {
  const gi = new GuideIndex(guides);

  it("finds the right guide for a colloquial question", () => {
    const hits = gi.search("老板欠我三个月工资不给咋办", 3);
    expect(hits[0].guide.id).toBe("wage");
    expect(hits[0].margin).toBeGreaterThan(0);
    expect(hits[0].matched).toContain("工资");
  });

  it("normalised scores are comparable: on-topic high, off-topic low", () => {
    const on = gi.search("离婚孩子归谁", 1)[0];
    const off = gi.search("邻居家的狗晚上一直叫，离婚", 1)[0];
    expect(on.guide.id).toBe("divorce");
    expect(on.normalized).toBeGreaterThan(off.normalized);
    expect(gi.search("今天天气", 3)).toEqual([]);
  });

  it("a long story about a matter a guide covers is not read as off-topic for its names, places and sums", () => {
    const core = "老板欠我工资不给怎么办";
    const story =
      "俺是河南周口的，二零二一年跟着老乡去江苏昆山一个电子厂干活，流水线上站十二个小时，宿舍八个人一间，" +
      "厂里食堂饭菜难吃，过年回家坐了二十个钟头大巴，老婆孩子都在老家，" + core;
    const short = gi.search(core, 1)[0];
    const long = gi.search(story, 1)[0];
    expect(long.guide.id).toBe("wage");
    // The story's many unseen words lower the score a little, not to the level of an unrelated question.
    expect(long.normalized).toBeGreaterThan(short.normalized * 0.4);
    const unrelated = gi.search("二零二一年去江苏昆山坐大巴，宿舍饭菜难吃，能不能离婚", 1)[0];
    expect(long.normalized).toBeGreaterThan(unrelated.normalized);
  });

  it("handles an empty guide set", () => {
    expect(new GuideIndex([]).search("离婚", 3)).toEqual([]);
  });
});
