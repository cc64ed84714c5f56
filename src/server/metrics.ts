// Prometheus metrics. Message, escalation and referral counts are read from the database
// at scrape time rather than counted in memory: they then cover every channel (including
// those mounted later and messages recovered after a crash) and survive restarts.

import client from "prom-client";
import type { FastifyInstance } from "fastify";
import type { SqliteDb } from "../store/sqlite.ts";

export interface ServerMetrics {
  registry: client.Registry;
  sseClients: client.Gauge<"stream">;
}

type CountRow = { n: number } & Record<string, string | null | number>;

/** A counter whose value is the database's running total at scrape time. */
function dbCounter(registry: client.Registry, name: string, help: string, labelNames: string[], query: () => CountRow[]): void {
  new client.Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of query()) {
        const labels = Object.fromEntries(labelNames.map((l) => [l, String(row[l] ?? "unknown")]));
        this.inc(labels, row.n);
      }
    },
  });
}

export function createMetrics(db: SqliteDb): ServerMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "lawdesk_" });

  dbCounter(registry, "lawdesk_messages_total", "Residents' messages handled, by channel and intent", ["channel", "intent"], () =>
    db
      .prepare(
        `SELECT channel, COALESCE(reason, json_extract(result, '$.intent'), 'pending') AS intent, COUNT(*) AS n
         FROM inbound_messages GROUP BY channel, intent`,
      )
      .all() as CountRow[],
  );
  dbCounter(registry, "lawdesk_escalations_total", "Threads escalated to a person, by reason and urgency", ["reason", "urgency"], () =>
    db.prepare("SELECT reason, urgency, COUNT(*) AS n FROM escalations GROUP BY reason, urgency").all() as CountRow[],
  );
  new client.Gauge({
    name: "lawdesk_referrals",
    help: "Referrals (工单) by current status",
    labelNames: ["status"],
    registers: [registry],
    collect() {
      this.reset();
      const rows = db.prepare("SELECT status, COUNT(*) AS n FROM referrals GROUP BY status").all() as CountRow[];
      for (const r of rows) this.set({ status: String(r.status) }, r.n);
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
