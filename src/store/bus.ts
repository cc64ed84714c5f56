// Messages between the processes that share one database: a console server must hear that
// a referral changed on another server, a resident's open web chat that a lawyer replied
// elsewhere. Subscribers receive only what OTHER processes published; each process already
// delivers its own events locally. On SQLite there is one process, so the bus is silent.

import { randomUUID } from "node:crypto";

/** Named by purpose, not by channel: "live_reply" wakes a resident's open live chat (today the web chat). */
export type BusTopic = "referral" | "notify" | "live_reply" | "outbox";

export interface Bus {
  /** This process's id in published messages (so it can skip its own). */
  readonly origin: string;
  publish(topic: BusTopic, data: Record<string, unknown>): Promise<void>;
  subscribe(topic: BusTopic, handler: (data: Record<string, unknown>) => void): () => void;
  close(): Promise<void>;
}

/** The single-process bus: nothing to tell anyone. */
export class LocalBus implements Bus {
  readonly origin = randomUUID();
  async publish(): Promise<void> {}
  subscribe(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}
