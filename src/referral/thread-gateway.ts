// The referral queue's view of a conversation, through the conversation core: ownership,
// history and what lawyers send. Replies and rating requests go out through the core's
// delivery port, the same single outbox sender as the bot's answers.

import type { PeopleDesk } from "../conversation/index.ts";
import type { ThreadGateway, ThreadHistoryItem, ThreadRole, ThreadSummary } from "./ports.ts";

/** The referral queue's port to conversations, over the core's people desk: ownership, history and what lawyers send. */
export class ConversationThreadGateway implements ThreadGateway {
  constructor(private readonly people: PeopleDesk) {}

  setOwner(threadId: string, userId: string | null): Promise<void> {
    return this.people.assign(Number(threadId), userId);
  }

  async appendMessage(threadId: string, role: ThreadRole, text: string, meta: Record<string, unknown>): Promise<void> {
    await this.people.note(Number(threadId), role, text, meta);
  }

  async enqueueReply(threadId: string, reply: { authorId: string; text: string; deliveredText: string; meta: Record<string, unknown> }): Promise<string> {
    const outbox = await this.people.reply(Number(threadId), reply.authorId, { text: reply.text, deliveredText: reply.deliveredText, meta: reply.meta });
    return String(outbox.id);
  }

  async requestRating(threadId: string, referralId: string, text: string): Promise<string> {
    return String((await this.people.requestRating(Number(threadId), referralId, text)).id);
  }

  async getThread(threadId: string): Promise<ThreadSummary | null> {
    const t = await this.people.thread(Number(threadId));
    return t ? { id: String(t.id), channel: t.channel, ownedBy: t.ownedBy } : null;
  }

  async getHistory(threadId: string, limit = 200): Promise<ThreadHistoryItem[]> {
    const rows = await this.people.history(Number(threadId));
    return rows.slice(-limit).map((m) => ({ role: m.role, text: m.text, at: m.createdAt, meta: m.meta }));
  }
}
