// Prometheus metrics. Message, escalation and referral counts are read from the database
// at scrape time rather than counted in memory: they then cover every channel (including
// those mounted later and messages recovered after a crash) and survive restarts.

import client from "prom-client";
import type { FastifyInstance } from "fastify";
import { SqlConversationStore } from "../store/conversation-store.ts";
import { SqlReferralStore } from "../store/referral-store.ts";
import { sqlValue, type SqlDb } from "../store/sql.ts";

export interface ServerMetrics {
  registry: client.Registry;
  sseClients: client.Gauge<"stream">;
}

type CountRow = { n: unknown } & Record<string, unknown>;

const labelsOf = (row: CountRow, labelNames: string[]) => Object.fromEntries(labelNames.map((l) => [l, row[l] === null || row[l] === undefined ? "unknown" : String(row[l])]));

/** A counter whose value is the database's running total at scrape time. */
function dbCounter(registry: client.Registry, name: string, help: string, labelNames: string[], query: () => Promise<CountRow[]>): void {
  new client.Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      // Read first, then reset and fill without an await in between: two scrapes at once
      // must not interleave their increments.
      const rows = await query();
      this.reset();
      for (const row of rows) this.inc(labelsOf(row, labelNames), sqlValue.num(row.n));
    },
  });
}

export function createMetrics(db: SqlDb): ServerMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "lawdesk_" });

  const conversations = new SqlConversationStore(db);
  const referrals = new SqlReferralStore(db);
  dbCounter(registry, "lawdesk_messages_total", "Residents' messages handled, by channel and intent", ["channel", "intent"], () =>
    conversations.countMessages(),
  );
  dbCounter(registry, "lawdesk_escalations_total", "Threads escalated to a person, by reason and urgency", ["reason", "urgency"], () =>
    conversations.countEscalations(),
  );
  new client.Gauge({
    name: "lawdesk_referrals",
    help: "Referrals (工单) by current status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const rows = await referrals.countByStatus();
      this.reset();
      for (const r of rows) this.set({ status: String(r.status) }, sqlValue.num(r.n));
    },
  });
  const sseClients = new client.Gauge({ name: "lawdesk_sse_clients", help: "Open live-update connections", labelNames: ["stream"], registers: [registry] });
  return { registry, sseClients };
}

/** HTTP latency by route pattern (never the raw URL: it may carry ids). */
export function instrumentHttp(server: FastifyInstance, registry: client.Registry): void {
  const histogram = new client.Histogram({
    name: "lawdesk_http_request_duration_seconds",
    help: "HTTP request latency",
    labelNames: ["method", "route", "status_code"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  server.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    histogram.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}
