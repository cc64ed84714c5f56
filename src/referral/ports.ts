// What the referral module needs from the rest of the system, as small ports the
// integrator wires: the conversation core (threads, history, outbox) and whoever pushes
// notifications to lawyers (web console, Telegram).

import type { ChannelName } from "../channel-message.ts";
import type { NotifyKind, Referral } from "./types.ts";

/** Who wrote a message in a thread, as the referral queue shows it. */
export type ThreadRole = "resident" | "bot" | "lawyer" | "system";

/** A conversation thread as the referral queue sees it: its channel and who holds it. */
export interface ThreadSummary {
  id: string;
  channel: ChannelName;
  /** The user id of the person who owns the thread (the bot stays silent), or null. */
  ownedBy: string | null;
}

/** One message of a thread's history, for the lawyer's view of a referral. */
export interface ThreadHistoryItem {
  role: ThreadRole;
  text: string;
  at: string;
  meta?: Record<string, unknown>;
}

/** The conversation core as the referral queue sees it. */
export interface ThreadGateway {
  /** First-ask ownership: while set, the bot does not answer the thread. null hands it back. */
  setOwner(threadId: string, userId: string | null): Promise<void>;
  appendMessage(threadId: string, role: ThreadRole, text: string, meta: Record<string, unknown>): Promise<void>;
  /**
   * A lawyer's reply, in one write: `text` into the thread's history (with `meta`) and
   * `deliveredText` queued for the thread's own channel. Returns the outbox id.
   */
  enqueueReply(threadId: string, reply: { authorId: string; text: string; deliveredText: string; meta: Record<string, unknown> }): Promise<string>;
  /**
   * Asks the resident to rate the service (一案一评). The conversation core sends `text` and
   * treats the resident's next "1"-"5" as the rating for `referralId` (then calls rate()).
   */
  requestRating(threadId: string, referralId: string, text: string): Promise<string>;
  getThread(threadId: string): Promise<ThreadSummary | null>;
  getHistory(threadId: string, limit?: number): Promise<ThreadHistoryItem[]>;
}

/** Pushes "you have a referral" to people. Failures are logged, never fatal to the change. */
export interface Notifier {
  notify(userIds: string[], referral: Referral, kind: NotifyKind): Promise<void>;
}

/** A notifier that tells no one, for tests and tools that run without people to notify. */
export const NULL_NOTIFIER: Notifier = { notify: async () => {} };
