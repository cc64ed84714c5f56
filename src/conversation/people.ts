// The people's side of a conversation: the duty lawyer who takes a thread over, replies,
// notes for colleagues and the rating request when a referral closes. Everything meant for
// the resident is written to the outbox here and announced to the core's delivery port, so
// lawyers' words reach the resident by the same single sender as the bot's answers.

import type { Logger } from "pino";
import type { ConversationStore, OutboxRow, ThreadMessageRow, ThreadRow } from "../store/conversation-store.ts";

/** Roles a person's entry in the history may have (the resident's and bot's come from messages). */
export type PersonEntryRole = "resident" | "bot" | "lawyer" | "system";

/** What a person sends into a thread: the text kept in history, and optionally the text delivered. */
export interface PersonReply {
  /** What goes into the thread's history (what the lawyer typed). */
  text: string;
  /** What the resident receives, when it differs (a heading, the lawyer's name). */
  deliveredText?: string;
  meta?: Record<string, unknown>;
}

/**
 * Writes what people (not the pipeline) say in a thread, and hands every row queued for
 * the resident to `deliver` (the core's delivery port) once it is committed.
 */
export interface PeopleDeskOptions {
  store: ConversationStore;
  /** The delivery port: told about every row queued for the resident, after it is committed. */
  deliver: (row: OutboxRow) => void;
  log?: Logger;
  now?: () => Date;
}

/**
 * What people (duty lawyers) do in a thread: take it over, reply, leave notes and request a rating.
 * What is meant for the resident goes to the outbox and the core's delivery port.
 *
 * @example
 * ```ts
 * await core.people.assign(threadId, lawyerId);
 * const row = await core.people.reply(threadId, lawyerId, { text: "您好，我是值班律师……" });
 * ```
 */
export class PeopleDesk {
  private readonly store: ConversationStore;
  private readonly deliver: (row: OutboxRow) => void;
  private readonly log: Logger | undefined;
  private readonly now: () => Date;

  constructor(o: PeopleDeskOptions) {
    this.store = o.store;
    this.deliver = o.deliver;
    this.log = o.log;
    this.now = o.now ?? (() => new Date());
  }

  /** First-ask ownership: while a person holds the thread the bot does not answer; null hands it back. */
  assign(threadId: number, userId: string | null): Promise<void> {
    return this.store.assignThread(threadId, userId, this.now());
  }

  /** An entry in the history that is not sent to the resident (a note, an event). */
  async note(threadId: number, role: PersonEntryRole, text: string, meta: Record<string, unknown> = {}): Promise<ThreadMessageRow> {
    const authorId = typeof meta.userId === "string" ? meta.userId : null;
    return this.store.appendMessage(threadId, { role, text, meta, authorId }, this.now());
  }

  /** A person's reply: into the history and the outbox in one write, then delivered. */
  async reply(threadId: number, userId: string, reply: PersonReply): Promise<OutboxRow> {
    const { outbox } = await this.store.addLawyerReply(threadId, userId, reply.text, this.now(), { outboxText: reply.deliveredText, meta: reply.meta });
    this.log?.info({ threadId, outboxId: outbox.id }, "person reply queued");
    this.deliver(outbox);
    return outbox;
  }

  /** Asks the resident to rate the service (一案一评); their next "1"-"5" rates `referralId`. */
  async requestRating(threadId: number, referralId: string, text: string): Promise<OutboxRow> {
    const now = this.now();
    await this.store.setAwaitingRating(threadId, referralId, now);
    await this.store.appendMessage(threadId, { role: "system", text, meta: { ratingRequest: referralId } }, now);
    const row = await this.store.enqueueOutbox({ threadId, kind: "notice", text }, now);
    this.log?.info({ threadId, outboxId: row.id }, "rating request queued");
    this.deliver(row);
    return row;
  }

  thread(threadId: number): Promise<ThreadRow | undefined> {
    return this.store.getThread(threadId);
  }

  history(threadId: number): Promise<ThreadMessageRow[]> {
    return this.store.listMessages(threadId);
  }
}
