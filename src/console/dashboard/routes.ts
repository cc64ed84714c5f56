// The bureau's dashboard API under /api/console/dashboard (needs a console session):
//   GET /meta                 filter choices within the viewer's regions
//   GET /?filters             every table the viewer may see, for the page
//   GET /:table?filters       one table as JSON
//   GET /:table/csv?filters   the same table as CSV (UTF-8 with BOM)
// and ECharts itself, served from node_modules (no CDN: county LANs may have no internet).
// Scope: admins see every region, supervisors and lawyers their own; per-lawyer numbers
// are for supervisors and admins only.

import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { App } from "../../app.ts";
import { GroupStore, type GroupNeedRow } from "../../channels/groups/index.ts";
import { loadTopics } from "../../pipeline/topic.ts";
import { anyRegionCovers } from "../../referral/regions.ts";
import { HttpError } from "../../server/errors.ts";
import { SqlReportStore } from "../../store/report-sql.ts";
import { requireStaff, staffOf } from "../session.ts";
import { toCsv } from "./csv.ts";
import { groupChoices, parseFilters, shanghaiDay, type Scope } from "./filters.ts";
import { buildTables, CHANNEL_LABEL, RESTRICTED, TABLE_NAMES, type TableContext, type TableName } from "./tables.ts";

/** The app, a clock and the group channel's needs for the statistics dashboard. */
export interface DashboardOptions {
  app: App;
  /** The running WeChat group channel (its groupNeeds), or null: the table is read directly. */
  wechaty?: { groupNeeds(range: { from: Date; to: Date }): GroupNeedRow[] | Promise<GroupNeedRow[]> } | null;
  /** For tests; deadlines still running are judged against this. */
  now?: () => Date;
}

const ECHARTS = join(dirname(createRequire(import.meta.url).resolve("echarts")), "echarts.esm.min.mjs");

/** The statistics dashboard's API (figures, tables, CSV export) and the chart library it loads. Registered by the server. */
export async function dashboardPlugin(server: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const { app } = opts;
  const now = opts.now ?? (() => new Date());
  const topics = loadTopics(app.config.knowledgeDir);
  const topicLabels = new Map(topics.map((t) => [t.id, t.label]));
  const topicLabel = (id: string) => topicLabels.get(id) ?? (id === "other" ? "其他" : id);
  const regionName = (id: string | null) => (id ? (app.directory.regions.get(id)?.name ?? id) : "未知区域");

  server.get("/console/vendor/echarts.esm.min.mjs", (request, reply) => {
    void reply.header("cache-control", "public, max-age=86400").type("text/javascript; charset=utf-8").send(createReadStream(ECHARTS));
  });

  await server.register(async (api) => {
    api.addHook("preHandler", requireStaff(app.auth));

    const viewer = (request: FastifyRequest) => {
      const { user } = staffOf(request);
      const scope: Scope = user.role === "admin" ? null : user.regions;
      return { user, scope, maySeeLawyers: user.role === "admin" || user.role === "supervisor" };
    };

    const context = (request: FastifyRequest): TableContext => {
      const { scope } = viewer(request);
      const filters = parseFilters(request.query as Record<string, unknown>, now());
      // Asking for a region outside one's own is not an error, just empty: the scope still applies.
      return { sql: app.sql, filters, scope, topicLabel, regionName, now: now(), groupNeeds: opts.wechaty ? (range) => opts.wechaty!.groupNeeds(range) : null };
    };

    const tableName = (request: FastifyRequest<{ Params: { table: string } }>): TableName => {
      const name = request.params.table as TableName;
      if (!TABLE_NAMES.includes(name)) throw new HttpError(404, "没有这个统计表", "not_found");
      if (RESTRICTED.has(name) && !viewer(request).maySeeLawyers) throw new HttpError(403, "律师个人统计仅督导和管理员可见", "forbidden");
      return name;
    };

    api.get("/api/console/dashboard/meta", async (request) => {
      const { user, scope, maySeeLawyers } = viewer(request);
      const visible = (region: string | null) => scope === null || anyRegionCovers(scope, region);
      return {
        today: shanghaiDay(now()),
        role: user.role,
        scope,
        maySeeLawyers,
        channels: Object.entries(CHANNEL_LABEL)
          .filter(([id]) => id !== "eval" && id !== "cli")
          .map(([id, label]) => ({ id, label })),
        topics: [...topics.map((t) => ({ id: t.id, label: t.label })), { id: "other", label: "其他" }],
        regions: [...app.directory.regions.values()].filter((r) => visible(r.id)).map((r) => ({ id: r.id, name: r.name, level: r.level })),
        groups: groupChoices(
          (await new GroupStore(app.sql).listGroups()).map((g) => ({ channel: g.channel, groupKey: g.groupKey, name: g.name || g.groupKey, region: g.region })),
          await new SqlReportStore(app.sql).groupsAsked(),
        )
          .filter((g) => visible(g.region))
          .map((g) => ({ id: g.groupKey, name: g.name, region: g.region })),
      };
    });

    api.get("/api/console/dashboard", async (request, reply) => {
      const ctx = context(request);
      const names = TABLE_NAMES.filter((n) => !RESTRICTED.has(n) || viewer(request).maySeeLawyers);
      void reply.header("cache-control", "no-store");
      return { filters: ctx.filters, scope: ctx.scope, tables: Object.fromEntries((await buildTables(ctx, names)).map((t) => [t.name, t])) };
    });

    api.get<{ Params: { table: string } }>("/api/console/dashboard/:table", async (request, reply) => {
      const name = tableName(request);
      const ctx = context(request);
      void reply.header("cache-control", "no-store");
      return { filters: ctx.filters, table: (await buildTables(ctx, [name]))[0] };
    });

    api.get<{ Params: { table: string } }>("/api/console/dashboard/:table/csv", async (request, reply) => {
      const name = tableName(request);
      const ctx = context(request);
      const [table] = await buildTables(ctx, [name]);
      const file = `${name}_${ctx.filters.from}_${ctx.filters.to}.csv`;
      void reply
        .header("cache-control", "no-store")
        .header("content-type", "text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="${file}"; filename*=UTF-8''${encodeURIComponent(`${table.title}_${ctx.filters.from}_${ctx.filters.to}.csv`)}`);
      return toCsv(table);
    });
  });
}
