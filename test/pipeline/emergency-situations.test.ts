// Each danger situation through the whole answering pipeline: the reply comes at once with
// the numbers the situation needs, no statute is quoted, and an urgent referral names the
// situation in Chinese for the duty lawyer. A danger beside a legal question is a danger first.
// These sentences were written for this test; the measured sets live in test/fixtures.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAnswerer } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge, type KnowledgeBase } from "../../src/knowledge/base.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { Answerer } from "../../src/pipeline/answer.ts";
import { EMPTY_CONTEXT } from "../../src/pipeline/types.ts";
import { LABOUR_LAW } from "../server/helpers.ts";
import { profileOf } from "../../src/channels/profiles.ts";

let dir: string;
let kb: KnowledgeBase;
let answerer: Answerer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lawdesk-danger-"));
  mkdirSync(join(dir, "laws"));
  writeFileSync(join(dir, "laws", "劳动合同法.md"), LABOUR_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(dir, "data"), LAWDESK_LAWS: join(dir, "laws"), LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv);
  kb = await openKnowledge(config);
  answerer = await createAnswerer(config, kb, ServiceDirectory.load(config.knowledgeDir), pino({ level: "silent" }));
}, 120_000);

afterAll(() => {
  kb.close();
  rmSync(dir, { recursive: true, force: true });
});

const SITUATIONS: Array<{ situation: string; text: string; numbers: RegExp[]; label: RegExp }> = [
  { situation: "domestic violence", text: "他喝了酒又在打我 我躲在厕所里", numbers: [/110/], label: /暴力/ },
  { situation: "held until a debt is paid", text: "我儿子被放贷的锁在屋里 说不还钱不放人", numbers: [/110/], label: /人身自由/ },
  { situation: "ID cards taken, factory locked", text: "老板把我们身份证都收了 晚上厂门锁着不让出去", numbers: [/110/], label: /人身自由/ },
  { situation: "sexual abuse of a child", text: "继父半夜进我女儿房间摸她 女儿刚跟我说的", numbers: [/110/, /12338|12355/], label: /性侵害|未成年人/ },
  { situation: "forced marriage of a minor", text: "家里逼我表妹明天就嫁人 她才16岁", numbers: [/110/], label: /强迫婚姻/ },
  { situation: "threat to kill", text: "他说我要是敢起诉离婚就砍死我 以前他动过刀", numbers: [/110/], label: /威胁/ },
  { situation: "fight with someone down", text: "为了地界两家打起来了 我叔已经倒在地上了", numbers: [/110/], label: /暴力/ },
  { situation: "collapse with people trapped", text: "工地塌了 两个人埋在下面 老板不让打电话", numbers: [/119|120/, /110/], label: /被困/ },
  { situation: "missing elderly person", text: "我爸有老年痴呆 昨天下午出门到现在没回来", numbers: [/110/], label: /走失/ },
  { situation: "child dragged away", text: "有个陌生男的把我家孩子拽走了 往村口跑了", numbers: [/110/], label: /走失|未成年人/ },
  { situation: "self-harm", text: "我不想活了 药已经准备好了", numbers: [/12356|400-161-9995/], label: /自伤自杀/ },
  { situation: "overdose with an inheritance question", text: "我妈刚吞了一瓶安眠药 她的房子以后归谁", numbers: [/120/], label: /自伤自杀|受伤/ },
];

describe("emergency situations through the pipeline", () => {
  it.each(SITUATIONS)("$situation: numbers at once, no statutes, an urgent referral in Chinese", async ({ text, numbers, label }) => {
    for (const channel of ["web", "wechat_oa", "wechaty", "telegram"] as const) {
      const r = await answerer.run(text, { ...EMPTY_CONTEXT }, profileOf(channel).format);
      expect(r.intent, `${channel}: ${text}`).toBe("emergency");
      for (const n of numbers) expect(r.text).toMatch(n);
      expect(r.citations).toEqual([]);
      expect(r.text).not.toMatch(/第[一二三四五六七八九十百零]+条/);
      expect(r.escalation).toMatchObject({ reason: "emergency", urgency: "emergency" });
      expect(r.escalation!.summary).toMatch(label);
      expect(r.escalation!.summary).not.toMatch(/[a-z]{4,}/);
    }
  });

  it("a question about detention procedure is not an emergency", async () => {
    for (const text of ["行政拘留会不会留案底", "家属能不能给看守所里的人送衣服"]) {
      const r = await answerer.run(text, { ...EMPTY_CONTEXT }, profileOf("web").format);
      expect(r.intent, text).not.toBe("emergency");
    }
  });

  it("a family member taken away just now is urgent and handled as detention", async () => {
    const r = await answerer.run("我老公刚被派出所带走了 怎么办", { ...EMPTY_CONTEXT }, profileOf("web").format);
    expect(r.escalation).toMatchObject({ urgency: "urgent" });
    expect(r.text).toMatch(/派出所|拘留/);
  });
});
