// `lawdesk chat`: the assistant in a terminal, on the embedded defaults. The full path runs:
// conversation core, pipeline, escalation into the referral queue.

import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline/promises";
import type { Config } from "../config.ts";
import { createApp } from "../app.ts";
import { createLogger } from "../log.ts";

export async function runChat(config: Config): Promise<number> {
  const log = createLogger(config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL);
  process.stderr.write("正在加载知识库（首次启动需要建立索引，请稍候）…\n");
  const app = await createApp(config, { log });
  await app.recover();
  const threadKey = `cli-${process.env.USER ?? "resident"}`;
  // Lawyer replies to this terminal's thread are printed when they arrive.
  app.dispatcher.register({ channel: "cli", send: async (row) => void console.log(`\n【值班律师回复】${row.text}\n`) });
  app.dispatcher.start();

  console.log(`lawdesk 法律咨询助手（${app.knowledge.articleCount} 条法条，${app.knowledge.guideCount} 篇办事指南）。输入问题，/reset 重新开始，/quit 退出。`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    for (;;) {
      let line: string;
      try {
        line = await rl.question("> ");
      } catch {
        break; // stdin closed
      }
      const text = line.trim();
      if (text === "/quit" || text === "/exit") break;
      if (text === "/reset") {
        await app.core.reset("cli", threadKey);
        console.log("已重新开始对话。");
        continue;
      }
      const { outcome } = await app.core.receive({
        channel: "cli",
        threadKey,
        senderKey: threadKey,
        text,
        platformMessageId: randomUUID(),
        receivedAt: new Date(),
      });
      const r = outcome.result;
      if (r.kind === "reply") console.log(`\n${r.text}\n`);
      if (outcome.escalationId !== null) {
        const ref = await app.referrals.latestForThread(String(outcome.threadId));
        console.log(`[已转值班律师${ref ? `，工单号 ${ref.number}` : ""}：${r.escalation?.reason}，紧急程度 ${r.escalation?.urgency}]\n`);
      }
    }
  } finally {
    rl.close();
    await app.close();
  }
  return 0;
}
