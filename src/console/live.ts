// Live updates for the console: every referral change goes to the open console tabs of the
// people allowed to see that referral (canView, checked against the user as stored now, so
// a role or region change applies at once); notifications ("assigned to you") go to the
// named people. Only ids, number, status and urgency travel: the page fetches the rest.

import type { FastifyReply, FastifyRequest } from "fastify";
import type { App } from "../app.ts";
import { canView, type Notifier, type NotifyKind, type Referral, type ReferralChangeEvent } from "../referral/index.ts";
import type { SseHub, SseStream } from "../server/sse.ts";

interface Tab {
  userId: string;
  stream: SseStream;
}

function brief(r: Referral) {
  return { id: r.id, number: r.number, status: r.status, urgency: r.urgency };
}

export class ConsoleLive implements Notifier {
  private readonly tabs = new Set<Tab>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly app: App,
    private readonly hub: SseHub,
  ) {
    this.unsubscribe = app.referrals.events.onEvent("referral.changed", (e) => void this.onChange(e));
    app.notifier.add(this);
  }

  subscribe(userId: string, request: FastifyRequest, reply: FastifyReply): SseStream {
    const tab: Tab = { userId, stream: null as unknown as SseStream };
    tab.stream = this.hub.open(request, reply, () => this.tabs.delete(tab), `console:${userId}`);
    this.tabs.add(tab);
    return tab.stream;
  }

  private async onChange(e: ReferralChangeEvent): Promise<void> {
    const userIds = new Set([...this.tabs].map((t) => t.userId));
    for (const userId of userIds) {
      const user = await this.app.auth.getUser(userId);
      const allowed = !!user && canView(user, e.referral);
      for (const tab of this.tabs) {
        if (tab.userId !== userId) continue;
        if (allowed) tab.stream.send("referral", { event: e.name, ...brief(e.referral) });
        else if (!user?.active) tab.stream.close();
      }
    }
  }

  async notify(userIds: string[], referral: Referral, kind: NotifyKind): Promise<void> {
    const wanted = new Set(userIds);
    for (const tab of this.tabs) if (wanted.has(tab.userId)) tab.stream.send("notify", { kind, ...brief(referral) });
  }

  close(): void {
    this.unsubscribe();
  }
}
