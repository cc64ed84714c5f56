// The assistant as `lawdesk answer` runs it (the knowledge base in LAWDESK_DATA_DIR, the
// shipped knowledge, no language model unless configured), for evaluations that ask it
// questions.
import pino from "pino";
import { createAnswerer } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge, type KnowledgeBase } from "../../src/knowledge/base.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { Answerer } from "../../src/pipeline/answer.ts";

export interface Assistant {
  kb: KnowledgeBase;
  /** An answerer over the knowledge base; `threshold` overrides the confidence threshold (0: answer everything). */
  answerer(threshold?: number): Promise<Answerer>;
}

export async function openAssistant(): Promise<Assistant> {
  const config = loadConfig(process.env);
  const quiet = pino({ level: "silent" });
  const kb = await openKnowledge(config, { log: quiet });
  const directory = ServiceDirectory.load(config.knowledgeDir);
  return {
    kb,
    answerer: (threshold) => createAnswerer(threshold === undefined ? config : { ...config, LAWDESK_ANSWER_THRESHOLD: threshold }, kb, directory, quiet),
  };
}
