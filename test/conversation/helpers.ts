// Test helpers: a temp SQLite file (with the channels' tables, as the app opens it), a fake
// answering pipeline, a controllable clock and a logger that captures its output.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Logger } from "pino";
import { CHANNEL_MIGRATIONS } from "../../src/channels/migrations.ts";
import { createLogger } from "../../src/log.ts";
import type { InboundMessage } from "../../src/channel-message.ts";
import type { AnswerPipeline, PipelineResult, ReplyFormat, ThreadContext } from "../../src/pipeline/types.ts";
import { SqlConversationStore } from "../../src/store/conversation-store.ts";
import { openSqlite, type SqliteDb } from "../../src/store/sqlite.ts";

export interface TempDb {
  dir: string;
  path: string;
  db: SqliteDb;
  store: SqlConversationStore;
  /** Opens a second connection to the same file: what a restarted process would see. */
  reopen(): { db: SqliteDb; store: SqlConversationStore };
  cleanup(): void;
}

export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-conv-"));
  const path = join(dir, "data", "lawdesk.db");
  const db = openSqlite(path, CHANNEL_MIGRATIONS);
  const opened: SqliteDb[] = [db];
  return {
    dir,
    path,
    db,
    store: new SqlConversationStore(db),
    reopen() {
      const db2 = openSqlite(path, CHANNEL_MIGRATIONS);
      opened.push(db2);
      return { db: db2, store: new SqlConversationStore(db2) };
    },
    cleanup() {
      for (const d of opened) if (d.open) d.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function answer(text: string, overrides: Partial<PipelineResult> = {}): PipelineResult {
  const reply = `答复：${text}`;
  return {
    kind: "reply",
    text: reply,
    fullText: `${reply}（全文）`,
    intent: "legal_question",
    topic: "labour",
    confidence: 0.8,
    citations: [{ law: "中华人民共和国劳动合同法", article: "第三十条", status: "现行有效", quote: "用人单位应当……", articleId: "ldht-30" }],
    guideId: null,
    escalation: null,
    composer: "template",
    ...overrides,
  };
}

export interface PipelineCall {
  text: string;
  ctx: ThreadContext;
  /** The format the core asked for (the channel's profile). */
  format: ReplyFormat;
}

/** Records every call; answers with `behaviour` (default: a plain reply echoing the question). */
export class FakePipeline implements AnswerPipeline {
  readonly calls: PipelineCall[] = [];
  behaviour: (text: string, ctx: ThreadContext, format: ReplyFormat) => PipelineResult | Promise<PipelineResult> = (text) => answer(text);

  async run(text: string, ctx: ThreadContext, format: ReplyFormat): Promise<PipelineResult> {
    this.calls.push({ text, ctx: structuredClone(ctx), format });
    return this.behaviour(text, ctx, format);
  }
}

export class Clock {
  constructor(public ms = Date.parse("2025-01-20T08:00:00.000Z")) {}
  now = (): Date => new Date(this.ms);
  advance(ms: number): void {
    this.ms += ms;
  }
}

let seq = 0;
export function inbound(over: Partial<InboundMessage> = {}): InboundMessage {
  seq += 1;
  return {
    channel: "telegram",
    threadKey: "chat-1",
    senderKey: "user-1",
    groupKey: null,
    text: `老板欠我工资不给怎么办 ${seq}`,
    platformMessageId: `pm-${seq}-${Math.random().toString(36).slice(2)}`,
    receivedAt: new Date("2025-01-20T08:00:00.000Z"),
    region: null,
    ...over,
  };
}

export function captureLogger(level = "debug"): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const log = createLogger(level, sink);
  return {
    log,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export const silentLogger = (): Logger => createLogger("silent");

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A promise with its resolve exposed, to hold the pipeline mid-answer. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
