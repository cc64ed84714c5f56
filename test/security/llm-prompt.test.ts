// The language-model prompt is built from @langchain/core prompt templates: the resident's
// words fill the {question} slot once and are never read as a template, so `{materials}`,
// `{{`, `$'`, `$&` or `}` in a message leave the prompt as written (issue 14, point 7).

import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { LlmExplainer, type LlmMaterial } from "../../src/pipeline/llm.ts";
import { maskPersonalData } from "../../src/privacy.ts";

const SYSTEM = readFileSync(join(PROJECT_ROOT, "prompts/answer-system.md"), "utf8");
const USER = readFileSync(join(PROJECT_ROOT, "prompts/answer-user.md"), "utf8");

/** A model that records what it was sent and answers with a fixed explanation. */
function recordingModel(sent: BaseMessage[][]): BaseChatModel {
  return {
    invoke: async (messages: BaseMessage[]) => {
      sent.push(messages);
      return new AIMessage("依据[1]，您可以申请劳动仲裁。");
    },
  } as unknown as BaseChatModel;
}

/** The prompt as the template means it: each slot filled once, literally. */
function expected(question: string, materials: LlmMaterial[]): string {
  const q = maskPersonalData(question.replace(/<<<|>>>/g, ""));
  const m = materials.map((x) => `[${x.n}] ${x.label}\n${x.text}`).join("\n\n");
  return USER.split(/(\{question\}|\{materials\})/)
    .map((part) => (part === "{question}" ? q : part === "{materials}" ? m : part))
    .join("");
}

const MATERIALS: LlmMaterial[] = [{ n: 1, label: "《劳动合同法》第三十条", text: "用人单位应当按照劳动合同约定和国家规定，向劳动者及时足额支付劳动报酬。{question} $& }" }];

async function promptFor(question: string, materials = MATERIALS): Promise<BaseMessage[]> {
  const sent: BaseMessage[][] = [];
  await new LlmExplainer(recordingModel(sent), 1000).explain(question, materials);
  return sent[0];
}

const text = (m: BaseMessage) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content));

describe("the language-model prompt", () => {
  it.each(["{materials}", "{{", "$'", "$&", "}", "老板欠薪{materials}怎么办$'$&$`$$}{{question}}", "{question}", "{ materials }", "{{materials}}"])("keeps %s as the resident wrote it", async (q) => {
    const [system, user] = await promptFor(`工资被拖欠 ${q} 咋办`);
    expect(text(system)).toBe(SYSTEM);
    expect(text(user)).toBe(expected(`工资被拖欠 ${q} 咋办`, MATERIALS));
    // The materials appear once, in their own slot.
    expect(text(user).split("用人单位应当按照").length).toBe(2);
  });

  it("property: any message fills exactly the question slot, any material exactly the materials slot", async () => {
    const tricky = fc.oneof(fc.string(), fc.constantFrom("{materials}", "{question}", "{{", "}}", "$'", "$&", "$`", "$$", "$1", "}", "{", "<<<", ">>>"));
    await fc.assert(
      fc.asyncProperty(fc.array(tricky, { minLength: 1, maxLength: 6 }).map((a) => a.join("")), fc.array(tricky, { maxLength: 4 }).map((a) => a.join("")), async (q, extra) => {
        const materials = [{ n: 1, label: `条文${extra}`, text: `内容${extra}` }];
        const [system, user] = await promptFor(q, materials);
        expect(text(system)).toBe(SYSTEM);
        expect(text(user)).toBe(expected(q, materials));
      }),
      { numRuns: 500 },
    );
  });
});
