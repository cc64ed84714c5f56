// `lawdesk answer --questions FILE.jsonl`: each {id, question} answered as a new
// conversation over the knowledge in the data directory; one JSON line per question.
// This is the interface evaluation uses: keep its shape stable.

import { profileOf } from "../channels/profiles.ts";
import { presentAnswer } from "../conversation/index.ts";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Config } from "../config.ts";
import { createAnswerer } from "../app.ts";
import { openKnowledge } from "../knowledge/base.ts";
import { ServiceDirectory } from "../knowledge/directory.ts";
import { createLogger } from "../log.ts";
import { EMPTY_CONTEXT, type PipelineResult } from "../pipeline/types.ts";

export function answerLine(id: unknown, r: PipelineResult): Record<string, unknown> {
  return {
    id,
    text: r.text,
    intent: r.intent,
    // A number for every line: 0 when no answer was drawn from the knowledge base.
    confidence: r.confidence ?? 0,
    escalated: r.escalation !== null,
    escalation: r.escalation ? { reason: r.escalation.reason, urgency: r.escalation.urgency, topic: r.escalation.topic } : null,
    citations: r.citations.map((c) => ({ law: c.law, article: c.article, status: c.status, quote: c.quote })),
  };
}

export async function runAnswer(config: Config, questionsPath: string, channel: "eval" | "wechat_oa" | "telegram" = "eval"): Promise<number> {
  const profile = profileOf(channel);
  const { format } = profile;
  const log = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);
  const kb = await openKnowledge(config, { log });
  const answerer = await createAnswerer(config, kb, ServiceDirectory.load(config.knowledgeDir), log);
  let failed = 0;
  try {
    const lines = createInterface({ input: createReadStream(questionsPath, "utf8"), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
      n++;
      if (!line.trim()) continue;
      let q: { id?: unknown; question?: unknown };
      try {
        q = JSON.parse(line) as typeof q;
      } catch {
        console.error(`${questionsPath}:${n}: not valid JSON, skipped`);
        failed++;
        continue;
      }
      if (typeof q.question !== "string") {
        console.error(`${questionsPath}:${n}: "question" must be a string, skipped`);
        failed++;
        continue;
      }
      const result = presentAnswer(profile, await answerer.run(q.question, { ...EMPTY_CONTEXT }, format), format);
      process.stdout.write(JSON.stringify(answerLine(q.id ?? n, result)) + "\n");
    }
  } finally {
    await kb.close();
  }
  return failed > 0 ? 1 : 0;
}
