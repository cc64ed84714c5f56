// Multi-turn conversations through the whole answering path (`npm run eval` runs it last):
// for each follow-up turn, whether it was answered (not escalated, not a fixed fallback),
// whether the reply differs from the previous bot answer (character-bigram Jaccard < 0.5),
// whether it carries what was asked (contains one of `expect_any`), and all three; the
// first-message length per channel (p50/p90) and the answer latency p95.
//   node bin/run-script.js scripts/eval-conversations.ts [FILE.jsonl] [--blind] [--show]
// Default FILE: test/fixtures/conversations-dev.jsonl. --blind runs the blind set and prints
// aggregate figures only (never a conversation). Only interfaces present on main are used,
// so the same script measures the code before a change.

import { existsSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { PROJECT_ROOT, loadConfig } from "../src/config.ts";
import { createAnswerer } from "../src/app.ts";
import { nextContext } from "../src/conversation/context.ts";
import { openKnowledge } from "../src/knowledge/base.ts";
import { ServiceDirectory } from "../src/knowledge/directory.ts";
import { createLogger } from "../src/log.ts";
import * as R from "../src/pipeline/replies.ts";
import type { ChannelName } from "../src/channel-message.ts";
import { EMPTY_CONTEXT, type PipelineResult, type ThreadContext } from "../src/pipeline/types.ts";
import { profileOf } from "../src/channels/profiles.ts";

/** One message of a conversation; a follow-up names what it asks and what a reply must contain. */
export interface Turn {
  text: string;
  asks?: string;
  expect_any?: string[];
}
/** One line of the conversations file. */
export interface Conversation {
  id: string;
  topic?: string;
  style?: string;
  turns: Turn[];
}

const DEV = join(PROJECT_ROOT, "test/fixtures/conversations-dev.jsonl");
const BLIND = join(PROJECT_ROOT, "test/fixtures/blind/conversations.jsonl");
const CHANNELS: ChannelName[] = ["web", "wechat_oa", "telegram"];
const NOT_ANSWERS = new Set(["greeting", "out_of_scope", "feedback", "abuse", "ask_human", "emergency"]);
const FALLBACKS = [R.NO_PREVIOUS_ANSWER, R.NEGATIVE_FEEDBACK, R.OUT_OF_SCOPE, R.WELCOME, R.EMPTY_TEXT];

/** Character bigrams of a text without punctuation and spaces. */
export function bigramSet(text: string): Set<string> {
  const chars = [...text.replace(/[\p{P}\p{S}\s]/gu, "")];
  const out = new Set<string>();
  for (let i = 0; i + 1 < chars.length; i++) out.add(chars[i] + chars[i + 1]);
  return out;
}

/** Jaccard similarity of two texts' character bigrams. */
export function jaccard(a: string, b: string): number {
  const x = bigramSet(a);
  const y = bigramSet(b);
  if (x.size === 0 && y.size === 0) return 1;
  let both = 0;
  for (const g of x) if (y.has(g)) both++;
  return both / (x.size + y.size - both);
}

/** A reply that answers: not escalated, not a fixed fallback, not a non-answer intent. */
export function answered(r: PipelineResult): boolean {
  if (r.kind !== "reply" || r.escalation !== null || NOT_ANSWERS.has(r.intent)) return false;
  return !FALLBACKS.some((f) => r.text.startsWith(f.slice(0, 20)));
}

/** The p-th percentile (nearest rank) of a list of numbers. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** Reads a JSONL file of conversations. */
export function readConversations(path: string): Conversation[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Conversation);
}

interface TurnScore {
  asks: string;
  answered: boolean;
  differs: boolean;
  carries: boolean;
  detail: string;
}

/** Aggregate figures over a conversation set (misses are printed for the dev set only). */
export interface ConversationFigures {
  conversations: number;
  followUps: number;
  answered: number;
  differs: number;
  carries: number;
  all: number;
  byAsk: Map<string, { n: number; all: number }>;
  firstLength: Record<string, { p50: number; p90: number }>;
  latencyP95: number;
  /** Processor time per answer, p95: what the answer costs when the machine is busy with other work. */
  cpuP95: number;
  misses: string[];
}

type Run = (text: string, ctx: ThreadContext, channel: ChannelName) => Promise<PipelineResult>;

/** Plays every conversation on every channel and scores the follow-up turns (on the web channel). */
export async function scoreConversations(convs: Conversation[], run: Run): Promise<ConversationFigures> {
  const lengths: Record<string, number[]> = Object.fromEntries(CHANNELS.map((c) => [c, []]));
  const latencies: number[] = [];
  const cpu: number[] = [];
  const scores: TurnScore[] = [];
  // Warm-up, untimed: the first calls pay for compiling the code paths.
  for (const conv of convs.slice(0, 3)) {
    let ctx: ThreadContext = { ...EMPTY_CONTEXT };
    for (const turn of conv.turns) ctx = { ...EMPTY_CONTEXT, ...nextContext(ctx, turn.text, await run(turn.text, ctx, "eval")), ownedByPerson: false };
  }
  for (const channel of CHANNELS) {
    for (const conv of convs) {
      let ctx: ThreadContext = { ...EMPTY_CONTEXT };
      let previous: string | null = null;
      for (const [i, turn] of conv.turns.entries()) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const r = await run(turn.text, ctx, channel);
        latencies.push(performance.now() - t0);
        const c1 = process.cpuUsage(c0);
        cpu.push((c1.user + c1.system) / 1000);
        if (i === 0) lengths[channel].push([...r.text].length);
        if (i > 0 && channel === "web" && turn.expect_any) {
          const ok = answered(r);
          const differs = previous === null || jaccard(r.text, previous) < 0.5;
          const carries = turn.expect_any.some((s) => r.text.includes(s));
          scores.push({ asks: turn.asks ?? "?", answered: ok, differs, carries, detail: `${conv.id}#${i} [${turn.asks}] ${turn.text} → ${ok ? "" : "NOT ANSWERED "}${differs ? "" : "REPEAT "}${carries ? "" : "MISSING "}${r.text.slice(0, 160).replace(/\n/g, " ")}` });
        }
        previous = r.text;
        ctx = { ...EMPTY_CONTEXT, ...nextContext(ctx, turn.text, r), ownedByPerson: false };
      }
    }
  }
  const byAsk = new Map<string, { n: number; all: number }>();
  for (const s of scores) {
    const e = byAsk.get(s.asks) ?? { n: 0, all: 0 };
    e.n++;
    if (s.answered && s.differs && s.carries) e.all++;
    byAsk.set(s.asks, e);
  }
  return {
    conversations: convs.length,
    followUps: scores.length,
    answered: scores.filter((s) => s.answered).length,
    differs: scores.filter((s) => s.differs).length,
    carries: scores.filter((s) => s.carries).length,
    all: scores.filter((s) => s.answered && s.differs && s.carries).length,
    byAsk,
    firstLength: Object.fromEntries(CHANNELS.map((c) => [c, { p50: percentile(lengths[c], 50), p90: percentile(lengths[c], 90) }])),
    latencyP95: percentile(latencies, 95),
    cpuP95: percentile(cpu, 95),
    misses: scores.filter((s) => !(s.answered && s.differs && s.carries)).map((s) => s.detail),
  };
}

const pct = (n: number, d: number) => (d === 0 ? "—" : `${((100 * n) / d).toFixed(1)}%`);

/** The aggregate figures, one block (nothing about any single conversation). */
export function formatFigures(f: ConversationFigures, label: string): string {
  const lines = [
    `${label}: ${f.conversations} conversations, ${f.followUps} follow-up turns`,
    `  answered ${pct(f.answered, f.followUps)}  differs ${pct(f.differs, f.followUps)}  carries what was asked ${pct(f.carries, f.followUps)}  all three ${pct(f.all, f.followUps)}`,
    `  by ask (all three): ${[...f.byAsk.entries()].sort().map(([k, v]) => `${k} ${v.all}/${v.n}`).join(", ")}`,
    `  first message length (chars) p50/p90: ${Object.entries(f.firstLength).map(([c, v]) => `${c} ${v.p50}/${v.p90}`).join(", ")}`,
    `  answer latency p95 ${f.latencyP95.toFixed(1)} ms wall, ${f.cpuP95.toFixed(1)} ms processor (no language model; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`,
  ];
  return lines.join("\n");
}

/** Runs the evaluation on a file (default: the dev set) over the knowledge in the data directory. */
export async function evalConversations(opts: { path?: string; blind?: boolean; show?: boolean } = {}): Promise<ConversationFigures | null> {
  const path = opts.blind ? BLIND : resolve(opts.path ?? DEV);
  if (!existsSync(path)) {
    console.log(`conversations: ${path} not found, skipped`);
    return null;
  }
  const config = loadConfig({ ...process.env, LLM_PROVIDER: "none", LOG_LEVEL: "error" } as NodeJS.ProcessEnv);
  const log = createLogger("error");
  const kb = await openKnowledge(config, { log });
  try {
    const answerer = await createAnswerer(config, kb, ServiceDirectory.load(config.knowledgeDir), log);
    const figures = await scoreConversations(readConversations(path), (t, c, ch) => answerer.run(t, c, profileOf(ch).format));
    console.log(formatFigures(figures, opts.blind ? "blind conversations" : `conversations (${path.replace(`${PROJECT_ROOT}/`, "")})`));
    if (opts.show && !opts.blind) for (const m of figures.misses) console.log(`  miss: ${m}`);
    return figures;
  } finally {
    await kb.close();
  }
}

if (process.argv[1]?.endsWith("scripts/eval-conversations.ts")) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith("--"));
  evalConversations({ path: file, blind: args.includes("--blind"), show: args.includes("--show") }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
