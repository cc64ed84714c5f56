// The lawyers' console JSON API under /api/console. Every route but login needs a session;
// every state-changing one the CSRF header (see session.ts). The referral module enforces
// who may do what; its typed errors become 400/401/403/404/409 in errors.ts.

import type { FastifyInstance, FastifyRequest } from "fastify";
import type { App } from "../app.ts";
import { canAct, timing, type QueueFilter, type QueueRow, type QueueView, type Referral, type ReferralAction, type ReferralEvent, type Role, type User } from "../referral/index.ts";
import { loadTopics } from "../pipeline/topic.ts";
import { HttpError } from "../server/errors.ts";
import type { ConsoleLive } from "./live.ts";
import { clearSessionCookie, requireStaff, SESSION_COOKIE, setSessionCookie, staffOf } from "./session.ts";

/** What the console's API is mounted with. */
export interface ConsoleOptions {
  app: App;
  /** The console's live-update streams (server-sent events). */
  live: ConsoleLive;
  /** Set the Secure flag on the session cookie (served over HTTPS). */
  secureCookies: boolean;
  /** Sign-in attempts allowed per client in the window (counted in the database). */
  loginRateLimit: { max: number; timeWindow: number };
}

const VIEWS = new Set<QueueView>(["mine", "unclaimed", "overdue", "closed", "all"]);
const FILTER_KEYS = ["number", "topic", "region", "urgency", "channel", "status", "text"] as const;
type QueueQuery = { view?: string } & Partial<Record<(typeof FILTER_KEYS)[number], string>>;
const ACTIONS: ReferralAction[] = ["claim", "reply", "note", "transfer", "reassign", "hand_back", "close", "reopen"];

type Body = Record<string, unknown>;

function str(body: Body | undefined, key: string, max = 10_000): string {
  const v = body?.[key];
  return typeof v === "string" ? v.slice(0, max) : "";
}

function strList(body: Body | undefined, key: string): string[] {
  const v = body?.[key];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string").map((s) => s.trim()).filter(Boolean);
  if (typeof v === "string") return v.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
  return [];
}

function publicUser(u: User) {
  return { id: u.id, username: u.username, name: u.name, role: u.role, regions: u.regions, topics: u.topics, active: u.active, mustChangePassword: u.mustChangePassword, phone: u.phone, lockedUntil: u.lockedUntil };
}

function queueRowView(row: QueueRow) {
  const r = row.referral;
  return {
    id: r.id,
    number: r.number,
    status: r.status,
    urgency: r.urgency,
    channel: r.channel,
    region: r.region,
    topic: r.topic,
    reason: r.reason,
    summary: r.summary.slice(0, 140),
    createdAt: r.createdAt,
    deadline: row.deadline,
    waitingMinutes: row.waitingMinutes,
    minutesLeft: row.minutesLeft,
    overdue: row.overdue,
    ownerName: row.ownerName,
    assigneeName: row.assigneeName,
    rating: r.rating,
  };
}

/**
 * The duty lawyers' console API under /api/console: sign-in and sessions, queues, referral
 * actions, saved replies, accounts and the bureau's pages. Every route but sign-in asks for a
 * session; changes ask for the CSRF token too.
 *
 * @example
 * ```ts
 * await server.register(consoleApiPlugin, { app, live, secureCookies: false, loginRateLimit: { max: 20, timeWindow: 60_000 } });
 * ```
 */
export async function consoleApiPlugin(server: FastifyInstance, opts: ConsoleOptions): Promise<void> {
  const { app, live, secureCookies } = opts;
  const topics = loadTopics(app.config.knowledgeDir).map((t) => ({ id: t.id, label: t.label }));
  const regions = [...app.directory.regions.values()].map((r) => ({ id: r.id, name: r.name, level: r.level }));
  const ip = (request: FastifyRequest) => request.ip;

  // ------------------------------------------------------------ login (no session yet)

  server.post<{ Body: Body }>("/api/console/login", { config: { rateLimit: opts.loginRateLimit } }, async (request, reply) => {
    const username = str(request.body, "username", 64);
    const password = str(request.body, "password", 256);
    if (!username || !password) throw new HttpError(400, "请输入用户名和密码", "missing");
    // The cookie sent before login is revoked, never promoted (session fixation).
    const result = await app.auth.login(username, password, { previousToken: request.cookies[SESSION_COOKIE], ip: ip(request) });
    setSessionCookie(reply, result.token, result.expiresAt, secureCookies);
    return { user: publicUser(result.user), csrfToken: result.csrfToken, mustChangePassword: result.mustChangePassword };
  });

  // ------------------------------------------------------------ everything else needs a session

  await server.register(async (api) => {
    api.addHook("preHandler", requireStaff(app.auth));

    api.get("/api/console/me", async (request, reply) => {
      const { user, session } = staffOf(request);
      void reply.header("cache-control", "no-store");
      return { user: publicUser(user), csrfToken: session.csrfToken, mustChangePassword: user.mustChangePassword, topics, regions };
    });

    api.post("/api/console/logout", async (request, reply) => {
      await app.auth.logout(staffOf(request).token);
      clearSessionCookie(reply, secureCookies);
      return { ok: true };
    });

    api.post<{ Body: Body }>("/api/console/password", async (request, reply) => {
      const staff = staffOf(request);
      const result = await app.auth.changePassword(staff.user.id, str(request.body, "oldPassword", 256), str(request.body, "newPassword", 256), { ip: ip(request) });
      setSessionCookie(reply, result.token, result.expiresAt, secureCookies);
      return { user: publicUser(result.user), csrfToken: result.csrfToken, mustChangePassword: false };
    });

    // ---------------------------------------------------------- queues and referrals

    // ?view=mine|unclaimed|overdue|closed|all, narrowed by number, topic, region, urgency,
    // channel, status and free text; the answer's shape is the same with or without filters.
    api.get<{ Querystring: QueueQuery }>("/api/console/queue", async (request) => {
      const view = (request.query.view ?? "mine") as QueueView;
      if (!VIEWS.has(view)) throw new HttpError(400, "未知的列表", "bad_view");
      const filter: Record<string, string> = {};
      for (const k of FILTER_KEYS) {
        const v = request.query[k];
        if (typeof v === "string" && v.trim()) filter[k] = v.trim().slice(0, 100);
      }
      const rows = await app.referrals.queue(staffOf(request).user.id, view, { filter: filter as QueueFilter });
      return { view, rows: rows.map(queueRowView) };
    });

    /** The same resident's other referrals this user may see (their earlier consultations). */
    api.get<{ Params: { id: string } }>("/api/console/referrals/:id/resident", async (request) => {
      const rows = await app.referrals.residentReferrals(request.params.id, staffOf(request).user.id);
      return {
        referrals: rows.map((r) => ({
          id: r.id,
          number: r.number,
          status: r.status,
          urgency: r.urgency,
          topic: r.topic,
          channel: r.channel,
          summary: r.summary.slice(0, 140),
          createdAt: r.createdAt,
          closedAt: r.closedAt,
          outcome: r.outcome,
          rating: r.rating,
        })),
      };
    });

    api.get<{ Params: { id: string } }>("/api/console/referrals/:id", async (request) => {
      const userId = staffOf(request).user.id;
      const detail = await app.referrals.detail(request.params.id, userId);
      const user = await app.referrals.actor(userId);
      return detailView(app, detail, user);
    });

    const act = <B extends Body>(path: string, run: (id: string, userId: string, body: B) => Promise<unknown>) =>
      api.post<{ Params: { id: string }; Body: B }>(`/api/console/referrals/:id/${path}`, async (request) => {
        await run(request.params.id, staffOf(request).user.id, (request.body ?? {}) as B);
        return { ok: true };
      });

    act("claim", (id, uid) => app.referrals.claim(id, uid));
    act("reply", (id, uid, b) => app.referrals.reply(id, uid, str(b, "text")));
    act("notes", (id, uid, b) => app.referrals.addNote(id, uid, str(b, "text")));
    act("transfer", (id, uid, b) => app.referrals.transfer(id, uid, { to: str(b, "to") || null, note: str(b, "note") }));
    act("reassign", (id, uid, b) => {
      const to = str(b, "to");
      if (!to) throw new HttpError(400, "请选择改派对象", "missing");
      return app.referrals.reassign(id, uid, to, str(b, "note"));
    });
    act("hand-back", (id, uid) => app.referrals.handBackToBot(id, uid));
    act("close", (id, uid, b) => app.referrals.close(id, uid, str(b, "outcome")));
    act("reopen", (id, uid, b) => app.referrals.reopen(id, uid, str(b, "reason")));

    // ---------------------------------------------------------- what the bot found

    api.get<{ Params: { id: string } }>("/api/console/articles/:id", async (request) => {
      const [a] = await app.knowledge.store.getArticles([request.params.id]);
      if (!a) throw new HttpError(404, "条文不存在", "not_found");
      return { id: a.id, law: a.law, article: a.article, status: a.status, level: a.level, text: a.text, chapters: a.chapters, effective: a.effective, promulgated: a.promulgated };
    });

    api.get<{ Params: { id: string } }>("/api/console/guides/:id", async (request) => {
      const g = app.knowledge.allGuides().find((x) => x.id === request.params.id);
      if (!g) throw new HttpError(404, "办事指南不存在", "not_found");
      return g;
    });

    // ---------------------------------------------------------- saved replies

    api.get("/api/console/templates", async (request) => ({ templates: await app.referrals.listTemplates(staffOf(request).user.id) }));
    api.post<{ Body: Body }>("/api/console/templates", async (request) => {
      const b = request.body;
      const t = await app.referrals.saveTemplate(staffOf(request).user.id, { id: str(b, "id") || undefined, title: str(b, "title"), body: str(b, "body"), shared: b?.shared === true });
      return { template: t };
    });
    api.delete<{ Params: { id: string } }>("/api/console/templates/:id", async (request) => {
      await app.referrals.deleteTemplate(staffOf(request).user.id, request.params.id);
      return { ok: true };
    });

    // ---------------------------------------------------------- people and duty

    /** Who is on duty now, and (for supervisors and admins) all staff: transfer targets. */
    api.get("/api/console/duty", async (request) => {
      const me = await app.referrals.actor(staffOf(request).user.id);
      const [matches, entries] = await Promise.all([app.rota.onDutyAt(new Date()), app.rota.list(me.id)]);
      const entryTopics = new Map(entries.map((e) => [e.id, e.topics]));
      const byUser = new Map<string, { regions: string[]; topics: string[][] }>();
      for (const m of matches) {
        const x = byUser.get(m.userId) ?? { regions: [], topics: [] };
        x.regions.push(m.region);
        x.topics.push(entryTopics.get(m.entryId) ?? []);
        byUser.set(m.userId, x);
      }
      const onDuty = [];
      for (const [userId, duty] of byUser) {
        const u = await app.auth.getUser(userId);
        // topics: what the duty covers (empty = every topic); expertise: the person's strengths, a routing preference.
        const topics = duty.topics.some((t) => t.length === 0) ? [] : [...new Set(duty.topics.flat())];
        if (u?.active) onDuty.push({ id: u.id, name: u.name, role: u.role, regions: [...new Set(duty.regions)], topics, expertise: u.topics });
      }
      const staff = me.role === "lawyer" ? onDuty.map(({ id, name, role }) => ({ id, name, role })) : (await app.auth.listUsers(me.id)).filter((u) => u.active && u.role !== "admin").map((u) => ({ id: u.id, name: u.name, role: u.role }));
      return { onDuty, staff };
    });

    api.get("/api/console/users", async (request) => ({ users: (await app.auth.listUsers(staffOf(request).user.id)).map(publicUser) }));

    api.post<{ Body: Body }>("/api/console/users", async (request) => {
      const b = request.body;
      const { user, oneTimePassword } = await app.auth.createUser(staffOf(request).user.id, {
        username: str(b, "username", 64),
        name: typeof b?.name === "string" ? b.name : "",
        role: str(b, "role", 16) as Role,
        password: str(b, "password", 256) || undefined,
        regions: strList(b, "regions"),
        topics: strList(b, "topics"),
        phone: str(b, "phone", 32) || null,
      });
      return { user: publicUser(user), oneTimePassword };
    });

    api.post<{ Params: { id: string }; Body: Body }>("/api/console/users/:id", async (request) => {
      const b = request.body ?? {};
      const update: Parameters<App["auth"]["updateUser"]>[2] = {};
      if (typeof b.active === "boolean") update.active = b.active;
      if (b.regions !== undefined) update.regions = strList(b, "regions");
      if (b.topics !== undefined) update.topics = strList(b, "topics");
      if (typeof b.name === "string") update.name = b.name;
      if (typeof b.role === "string") update.role = b.role as Role;
      return { user: publicUser(await app.auth.updateUser(staffOf(request).user.id, request.params.id, update)) };
    });

    api.post<{ Params: { id: string } }>("/api/console/users/:id/reset-password", async (request) => ({
      oneTimePassword: await app.auth.resetPassword(staffOf(request).user.id, request.params.id),
    }));

    api.get("/api/console/rota", async (request) => ({ entries: await app.rota.list(staffOf(request).user.id) }));

    api.post<{ Body: Body }>("/api/console/rota", async (request) => {
      const b = request.body ?? {};
      const entry = await app.rota.add(staffOf(request).user.id, {
        userId: str(b, "userId"),
        regions: strList(b, "regions"),
        topics: strList(b, "topics"),
        schedule: Array.isArray(b.schedule) ? (b.schedule as { day: number; start: string; end: string }[]) : undefined,
        datesOn: Array.isArray(b.datesOn) ? (b.datesOn as { date: string; start?: string; end?: string }[]) : undefined,
        datesOff: strList(b, "datesOff"),
        note: str(b, "note", 200),
      });
      return { entry };
    });

    // ---------------------------------------------------------- live updates

    api.get("/api/console/events", async (request, reply) => {
      live.subscribe(staffOf(request).user.id, request, reply).send("ready", {});
    });
  });
}

/** The referral view: timeline with names, each reply's delivery state, enriched findings, allowed actions. */
async function detailView(app: App, detail: Awaited<ReturnType<App["referrals"]["detail"]>>, user: User) {
  const r: Referral = detail.referral;
  const names = new Map<string, string>();
  const nameOf = async (id: string | null) => {
    if (!id) return null;
    if (!names.has(id)) names.set(id, (await app.auth.getUser(id))?.name ?? "（已删除）");
    return names.get(id)!;
  };
  const events = [];
  for (const e of detail.events as ReferralEvent[]) {
    events.push({
      id: e.id,
      at: e.at,
      kind: e.kind,
      text: e.text,
      actor: await nameOf(e.actorId),
      detail: e.detail,
      outboxId: e.outboxId,
      delivery: e.kind === "reply" && e.outboxId ? ((await app.conversations.getOutbox(Number(e.outboxId)))?.status ?? "pending") : undefined,
      to: typeof e.detail.to === "string" ? await nameOf(e.detail.to) : undefined,
    });
  }
  const found = await app.knowledge.store.getArticles(r.findings.articles.map((a) => a.id));
  const byId = new Map(found.map((a) => [a.id, a]));
  const articles = r.findings.articles.map((a) => ({ ...a, status: byId.get(a.id)?.status ?? "未知", excerpt: byId.get(a.id)?.text.slice(0, 120) ?? "" }));
  const actions = Object.fromEntries(ACTIONS.map((a) => [a, canAct(user, r, a)]));
  const t = timing(r, new Date());
  const unanswered = r.status === "closed" ? false : await app.referrals.residentWaiting(r);
  return {
    referral: { ...r, ownerName: await nameOf(r.ownerId), assigneeName: await nameOf(r.assignedTo), ...t },
    findings: { articles, guides: r.findings.guides },
    history: detail.history,
    events,
    notices: detail.notices,
    ratings: detail.ratings,
    actions,
    undelivered: events.filter((e) => e.delivery === "undelivered" || e.delivery === "failed").length,
    /** The resident wrote after the last reply: closing now leaves a question open. */
    unanswered,
  };
}
