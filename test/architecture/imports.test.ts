// Data flows one way: channel -> conversation core -> pipeline -> reply or referral -> core ->
// channel. This reads every `import … from` / `export … from` line under src/ and checks
// that no folder imports against that flow, so the rule stays true as the code changes.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

interface Edge {
  /** The importing file, relative to src/. */
  file: string;
  /** The imported file, relative to src/. */
  target: string;
  /** `import type …` or every name imported as `type …`: no code runs across it. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?([^;]*?)\s*from\s*["'](\.{1,2}\/[^"']+)["']/gm;
const SIDE_EFFECT = /^\s*import\s+["'](\.{1,2}\/[^"']+)["']/gm;

/** Every relative import between files under src/. */
function importsUnder(root: string): Edge[] {
  const edges: Edge[] = [];
  for (const path of sourceFiles(root)) {
    const text = readFileSync(path, "utf8");
    const file = relative(root, path);
    const to = (spec: string) => relative(root, resolve(dirname(path), spec));
    for (const m of text.matchAll(IMPORT)) {
      const names = m[2].trim();
      const inlineTypes = /^\{[\s\S]*\}$/.test(names) && names.slice(1, -1).split(",").map((n) => n.trim()).filter(Boolean).every((n) => n.startsWith("type "));
      edges.push({ file, target: to(m[3]), typeOnly: !!m[1] || inlineTypes });
    }
    for (const m of text.matchAll(SIDE_EFFECT)) edges.push({ file, target: to(m[1]), typeOnly: false });
  }
  return edges;
}

/** The concern a file belongs to: its top folder ("pipeline"), a channel ("channels/telegram"), or a file at the top ("app.ts"). */
function concern(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return parts[0];
  if (parts[0] === "channels" && parts.length > 2) return `channels/${parts[1]}`;
  return parts[0];
}

const under = (c: string, folder: string) => c === folder || c.startsWith(`${folder}/`);

interface Rule {
  from: string;
  /** Never imported, not even a type. */
  never: string[];
  /** Never imported for its code (a type, a data shape, is fine). */
  noCode?: string[];
  why: string;
}

const OUTER = ["server", "console", "commands", "app.ts"];
/** Channels the server does not serve itself; commands/serve.ts starts them and hands the server their ports. */
const CHAT_APPS = ["channels/wechaty", "channels/telegram", "channels/wechat-oa", "channels/terminal"];

const RULES: Rule[] = [
  { from: "pipeline", never: ["channels", "conversation", "referral", ...OUTER], why: "the pipeline knows no platform, no conversation and no screen" },
  { from: "conversation", never: ["channels", "referral", ...OUTER], why: "the core hands replies to its delivery port, never to a channel" },
  { from: "knowledge", never: ["conversation", "channels", "referral", ...OUTER], noCode: ["pipeline"], why: "the knowledge base knows no conversation" },
  { from: "store", never: ["conversation", "channels", ...OUTER], why: "the store knows no behaviour" },
  { from: "referral", never: ["channels", ...OUTER], why: "the referral queue speaks to residents through the core" },
  { from: "channels", never: [], noCode: ["pipeline"], why: "a channel reaches the pipeline only through the core" },
  { from: "server", never: CHAT_APPS, why: "the server reaches a chat-app channel only through the ChannelAdmin port" },
  { from: "console", never: CHAT_APPS, why: "the console reaches a chat-app channel only through the ChannelAdmin port" },
];

function violations(edges: Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = concern(e.file);
    const to = concern(e.target);
    if (from === to) continue;
    for (const rule of RULES) {
      if (!under(from, rule.from)) continue;
      const never = rule.never.some((f) => under(to, f));
      const code = !e.typeOnly && (rule.noCode ?? []).some((f) => under(to, f));
      if (never || code) out.push(`${e.file} -> ${e.target} (${rule.why})`);
    }
    // One channel never reaches into another; shared channel code sits at src/channels/ or in groups/.
    if (from.startsWith("channels/") && to.startsWith("channels/") && to !== "channels/groups") {
      out.push(`${e.file} -> ${e.target} (channels do not import each other)`);
    }
  }
  return out;
}

describe("imports follow the flow channel -> core -> pipeline -> reply | referral -> core -> channel", () => {
  const edges = importsUnder(SRC);

  it("reads the imports it checks (the parser is not silently finding nothing)", () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ file: "conversation/core.ts", target: "pipeline/types.ts", typeOnly: true });
    expect(edges).toContainEqual({ file: "app.ts", target: "conversation/index.ts", typeOnly: false });
  });

  it("no folder imports against the flow", () => {
    expect(violations(edges)).toEqual([]);
  });

  it("catches a break of each kind (the rules are not vacuous)", () => {
    const probe = (file: string, target: string, typeOnly = false) => violations([{ file, target, typeOnly }]);
    expect(probe("pipeline/answer.ts", "channels/wechaty/profile.ts", true)).toHaveLength(1);
    expect(probe("pipeline/answer.ts", "conversation/context.ts", true)).toHaveLength(1);
    expect(probe("conversation/core.ts", "channels/dispatcher.ts")).toHaveLength(1);
    expect(probe("channels/telegram/channel.ts", "channels/wechaty/thread-keys.ts")).toHaveLength(1);
    expect(probe("channels/wechaty/channel.ts", "pipeline/intent.ts")).toHaveLength(1);
    expect(probe("channels/web/plugin.ts", "pipeline/types.ts", true)).toEqual([]);
    expect(probe("channels/telegram/channel.ts", "channels/groups/index.ts")).toEqual([]);
    expect(probe("console/admin/channels.ts", "channels/wechaty/index.ts", true)).toHaveLength(1);
    expect(probe("server/server.ts", "channels/telegram/index.ts", true)).toHaveLength(1);
    expect(probe("server/server.ts", "channels/web/plugin.ts")).toEqual([]);
  });
});
