// The bus over PostgreSQL LISTEN/NOTIFY. One dedicated connection listens (a pooled one
// would be handed to queries); it reconnects with backoff when the server restarts.
// Payloads carry ids, never personal data, and stay far below NOTIFY's 8,000-byte limit:
// receivers re-read what they need from the database.

import { randomUUID } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import type { Bus, BusTopic } from "../bus.ts";
import type { PgPool } from "./pool.ts";

const CHANNEL = "lawdesk_bus";

interface Envelope {
  o: string;
  t: BusTopic;
  d: Record<string, unknown>;
}

export class PgBus implements Bus {
  readonly origin = randomUUID();
  private readonly handlers = new Map<BusTopic, Set<(data: Record<string, unknown>) => void>>();
  private listener: pg.Client | null = null;
  private closed = false;
  private retryMs = 500;
  private retryTimer: NodeJS.Timeout | null = null;
  /** Channel name qualified by schema: processes on other schemas (tests, tenants) stay apart. */
  private readonly channel: string;

  private constructor(
    private readonly pool: PgPool,
    private readonly url: string,
    schema: string | null,
    private readonly log?: Logger,
  ) {
    this.channel = schema ? `${CHANNEL}_${schema}` : CHANNEL;
  }

  static async open(pool: PgPool, url: string, schema: string | null, log?: Logger): Promise<PgBus> {
    const bus = new PgBus(pool, url, schema, log);
    await bus.listen();
    return bus;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5000 });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client, null));
    client.on("notification", (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      this.deliver(msg.payload);
    });
    await client.connect();
    await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    this.listener = client;
    this.retryMs = 500;
  }

  private lost(client: pg.Client, err: Error | null): void {
    if (this.closed || this.listener !== client) return;
    this.listener = null;
    this.log?.warn({ err: err?.message }, "live-update listener lost its database connection; reconnecting");
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.listen().catch((err) => {
        this.log?.warn({ err: (err as Error).message }, "live-update listener could not reconnect yet");
        this.retryMs = Math.min(this.retryMs * 2, 30_000);
        this.scheduleReconnect();
      });
    }, this.retryMs);
    this.retryTimer.unref();
  }

  private deliver(payload: string): void {
    let msg: Envelope;
    try {
      msg = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (msg.o === this.origin) return;
    for (const handler of this.handlers.get(msg.t) ?? []) {
      try {
        handler(msg.d);
      } catch (err) {
        this.log?.error({ err, topic: msg.t }, "bus handler failed");
      }
    }
  }

  async publish(topic: BusTopic, data: Record<string, unknown>): Promise<void> {
    const payload = JSON.stringify({ o: this.origin, t: topic, d: data } satisfies Envelope);
    await this.pool.query("SELECT pg_notify($1, $2)", [this.channel, payload]);
  }

  subscribe(topic: BusTopic, handler: (data: Record<string, unknown>) => void): () => void {
    let set = this.handlers.get(topic);
    if (!set) this.handlers.set(topic, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.listener;
    this.listener = null;
    await client?.end().catch(() => undefined);
  }
}
