// LAWDESK_TRAINING reaches the knowledge base through the validated configuration: with it
// on, the labelled questions beside the project form the question bank (neighbour evidence
// for the confidence score); with it off, there is no bank. Nothing is read from
// process.env behind the configuration's back.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKnowledge } from "../../src/knowledge/base.ts";
import { HAS_STARD, skipReason, STARD_DIR } from "../helpers/shared-data.ts";
import { tempInstall, type TempInstall } from "./temp-install.ts";

let install: TempInstall;

beforeAll(() => {
  install = tempInstall("lawdesk-training-setting-");
});

afterAll(() => install?.remove());

const QUESTION = "公司拖欠我的工资好几个月了，我该怎么办";

describe.skipIf(!HAS_STARD)(`LAWDESK_TRAINING${HAS_STARD ? "" : ` — ${skipReason("labelled questions", STARD_DIR)}`}`, () => {
  it("off: no question bank; on: the labelled questions answer for neighbours", async () => {
    expect(install.config.LAWDESK_TRAINING).toBe("off");
    const off = await openKnowledge(install.config);
    try {
      expect(off.neighbours(QUESTION)).toBeNull();
    } finally {
      await off.close();
    }
    // Same installation, its own data folder (the index differs: trained document expansion).
    const onConfig = { ...install.config, LAWDESK_TRAINING: "on" as const, dataDir: join(install.dir, "data-trained") };
    const on = await openKnowledge(onConfig);
    try {
      const evidence = on.neighbours(QUESTION);
      expect(evidence).not.toBeNull();
    } finally {
      await on.close();
    }
  }, 180_000);
});
