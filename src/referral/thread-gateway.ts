// The referral queue's view of the conversation store: ownership, history and replies.

import type { ConversationStore } from "../store/conversation-store.ts";
import type { ThreadGateway, ThreadHistoryItem, ThreadRole, ThreadSummary } from "./ports.ts";

export class ConversationThreadGateway implements ThreadGateway {
  constructor(
    private readonly store: ConversationStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async setOwner(threadId: string, userId: string | null): Promise<void> {
    await this.store.assignThread(Number(threadId), userId, this.now());
  }

  async appendMessage(threadId: string, role: ThreadRole, text: string, meta: Record<string, unknown>): Promise<void> {
    const authorId = typeof meta.userId === "string" ? meta.userId : null;
    await this.store.appendMessage(Number(threadId), { role, text, meta, authorId }, this.now());
  }

  async enqueueReply(threadId: string, reply: { authorId: string; text: string; deliveredText: string; meta: Record<string, unknown> }): Promise<string> {
    const { outbox } = await this.store.addLawyerReply(Number(threadId), reply.authorId, reply.text, this.now(), { outboxText: reply.deliveredText, meta: reply.meta });
    return String(outbox.id);
  }

  async requestRating(threadId: string, referralId: string, text: string): Promise<string> {
    await this.store.setAwaitingRating(Number(threadId), referralId, this.now());
    await this.store.appendMessage(Number(threadId), { role: "system", text, meta: { ratingRequest: referralId } }, this.now());
    const row = await this.store.enqueueOutbox({ threadId: Number(threadId), kind: "notice", text }, this.now());
    return String(row.id);
  }

  async getThread(threadId: string): Promise<ThreadSummary | null> {
    const t = await this.store.getThread(Number(threadId));
    return t ? { id: String(t.id), channel: t.channel, ownedBy: t.ownedBy } : null;
  }

  async getHistory(threadId: string, limit = 200): Promise<ThreadHistoryItem[]> {
    const rows = await this.store.listMessages(Number(threadId));
    return rows.slice(-limit).map((m) => ({ role: m.role, text: m.text, at: m.createdAt, meta: m.meta }));
  }
}
