// The real answering pipeline over the bundled guides and a one-law corpus (the labour
// contract law), built in a temp data dir: for tests that need real answers, not a fake.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { createAnswerer } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { openKnowledge } from "../../src/knowledge/base.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { Answerer } from "../../src/pipeline/answer.ts";
import { LABOUR_LAW } from "../server/helpers.ts";

export async function labourAnswerer(prefix: string): Promise<{ answerer: Answerer; close(): void }> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(root, "laws"));
  writeFileSync(join(root, "laws", "劳动合同法.md"), LABOUR_LAW);
  const config = loadConfig({ LAWDESK_DATA_DIR: join(root, "data"), LAWDESK_LAWS: join(root, "laws"), LAWDESK_TRAINING: "off" } as NodeJS.ProcessEnv);
  const kb = await openKnowledge(config);
  const answerer = await createAnswerer(config, kb, ServiceDirectory.load(config.knowledgeDir), pino({ level: "silent" }));
  return {
    answerer,
    close() {
      kb.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
