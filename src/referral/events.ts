// Live updates for the console: one typed EventEmitter per referral service. Listeners
// must filter by canView before pushing anything to a user's screen.

import { EventEmitter } from "node:events";
import type { Referral } from "./types.ts";

/** The changes to a referral the console hears about live. */
export type ReferralEventName =
  | "referral.created"
  | "referral.assigned"
  | "referral.claimed"
  | "referral.transferred"
  | "referral.reassigned"
  | "referral.handed_back"
  | "referral.replied"
  | "referral.note"
  | "referral.closed"
  | "referral.reopened"
  | "referral.rated"
  | "referral.reminder"
  | "referral.overdue"
  | "referral.resident_message"
  | "referral.delivery_failed";

/** One change to a referral: which, the referral as it is now, who did it and when. */
export interface ReferralChangeEvent {
  name: ReferralEventName;
  referral: Referral;
  /** Acting user id; null for the system or the resident. */
  actorId: string | null;
  at: string;
}

type Listener = (e: ReferralChangeEvent) => void;

/**
 * Live referral changes for the console; each is also published as `referral.changed`.
 *
 * @example
 * ```ts
 * const off = referrals.events.onEvent("referral.changed", (e) => { if (canView(user, e.referral)) push(e); });
 * off(); // when the console connection closes
 * ```
 */
export class ReferralEvents extends EventEmitter {
  /** Receives a listener's error; the default drops it (the service passes its logger). */
  onListenerError: (err: unknown, e: ReferralChangeEvent) => void = () => {};

  /**
   * Every event is also delivered as `referral.changed`. Each listener runs in isolation:
   * one broken console connection must not keep the others from hearing about a change.
   */
  publish(e: ReferralChangeEvent): void {
    for (const name of [e.name, "referral.changed"]) {
      for (const listener of this.listeners(name) as Listener[]) {
        try {
          listener(e);
        } catch (err) {
          this.onListenerError(err, e);
        }
      }
    }
  }

  onEvent(name: ReferralEventName | "referral.changed", listener: Listener): () => void {
    this.on(name, listener);
    return () => this.off(name, listener);
  }
}
