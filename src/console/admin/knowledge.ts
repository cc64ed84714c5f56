// Knowledge administration (知识库管理, administrators): upload a guide or a law file
// (validated with line numbers, nothing stored when invalid), edit a guide with a preview of
// how it answers, list laws and mark one repealed or superseded, and list guides whose legal
// basis is no longer current. Every change bumps the store's version, which every running
// process polls (KnowledgeBase.watchForChanges), so no restart is needed anywhere.

import { existsSync, readFileSync } from "node:fs";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { stringify as toYaml } from "yaml";
import type { App } from "../../app.ts";
import { loadLawRevisions } from "../../knowledge/revisions.ts";
import { parseArticleLabel } from "../../knowledge/article-number.ts";
import { GuideError, parseGuide } from "../../knowledge/guides.ts";
import { chinaToday, isCurrentLaw } from "../../knowledge/status.ts";
import type { Guide, LawStatus } from "../../knowledge/types.ts";
import type { UploadResult } from "../../knowledge/base.ts";
import type { LawOverrideStatus } from "../../store/knowledge-store.ts";
import { HttpError } from "../../server/errors.ts";
import { audit, requireRole, str, type Body } from "./common.ts";
import { channelOf, previewAnswerer, questionOf, trial } from "./testbench.ts";

export const MAX_UPLOAD_BYTES = 5 * 1024 * 1024;
const ALLOWED = /\.(md|jsonl)$/i;
const MARKS = new Set<LawOverrideStatus>(["已失效", "已修改"]);
const STATUSES = new Set<LawStatus>(["现行有效", "已修改", "已失效", "尚未生效", "未知"]);

/** Strict UTF-8 text of an upload, or a 400 saying why not. */
export function decodeUpload(filename: string, bytes: Buffer): string {
  if (!ALLOWED.test(filename)) throw new HttpError(400, "只能上传 .md（办事指南或法规 Markdown）或 .jsonl（法规交换格式）文件", "bad_type");
  if (bytes.length === 0) throw new HttpError(400, "文件是空的", "empty");
  if (bytes.length > MAX_UPLOAD_BYTES) throw new HttpError(413, "文件不能超过 5 MB", "too_large");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "文件不是 UTF-8 编码的文本，请另存为 UTF-8 后再上传", "bad_encoding");
  }
  if (text.includes("\u0000")) throw new HttpError(400, "文件含有二进制内容，不是文本文件", "bad_encoding");
  return text.replace(/^\uFEFF/, "");
}

/** The validator's English in words an administrator reads; the key name stays as written. */
export function inChinese(message: string): string {
  return message
    .replace(/Invalid input: expected (\w+), received undefined/, "缺少此项（必填）")
    .replace(/Invalid input: expected (\w+), received (\w+)/, "类型不对：应为 $1，实际是 $2")
    .replace(/Too small: expected array to have >=(\d+) items?/, "至少需要 $1 项")
    .replace(/Too small: expected string to have >=(\d+) characters?/, "不能为空")
    .replace(/Too big: expected string to have <=(\d+) characters?/, "太长，最多 $1 个字")
    .replace(/^front matter is not valid YAML: /, "头信息不是有效的 YAML：")
    .replace(/^the explanation after the front matter is missing or too short$/, "头信息后面的正文说明缺失或太短（至少 20 字）")
    .replace(/use lower-case letters, digits and '-'/, "只能用小写字母、数字和“-”")
    .replace(/not an article number such as 第三十条/, "不是“第三十条”这样的条号")
    .replace(/^not valid JSON \((.*)\)$/, "不是有效的 JSON（$1）")
    .replace(/^no articles \(第X条\) found$/, "没有找到条文（第X条）");
}

const translated = (problems: { line: number; message: string }[]) => problems.map((p) => ({ line: p.line, message: inChinese(p.message) }));

/** Problems of a guide beyond its own schema: topics and service kinds this county knows. */
function localGuideProblems(app: App, markdown: string, guide: Guide, topicIds: Set<string>, kinds: Set<string>): { line: number; message: string }[] {
  const lines = markdown.split(/\r?\n/);
  const lineOf = (key: string) => Math.max(1, lines.findIndex((l) => l.startsWith(`${key}:`)) + 1);
  const out: { line: number; message: string }[] = [];
  const badTopics = guide.topics.filter((t) => !topicIds.has(t));
  if (badTopics.length) out.push({ line: lineOf("topics"), message: `topics: 未知的话题 ${badTopics.join("、")}（见 knowledge/topics.yaml）` });
  const badKinds = guide.where.filter((w) => !kinds.has(w));
  if (kinds.size && badKinds.length) out.push({ line: lineOf("where"), message: `where: 未知的服务机构类别 ${badKinds.join("、")}（见 knowledge/directory.yaml 的 kinds）` });
  return out;
}

function uploadView(r: UploadResult) {
  return {
    ok: r.ok,
    kind: r.kind,
    guide: r.guide ? { id: r.guide.id, title: r.guide.title } : null,
    articles: r.articles,
    laws: r.laws,
    changed: r.summary?.changed ?? false,
    problems: r.problems,
  };
}

/** The Markdown an administrator edits: the stored file, or the guide written back out. */
function guideMarkdown(g: Guide): string {
  if (g.source && existsSync(g.source)) return readFileSync(g.source, "utf8");
  const front = {
    id: g.id,
    title: g.title,
    topics: g.topics,
    questions: g.questions,
    legal_basis: g.legalBasis.map((b) => ({ law: b.law, article: b.article })),
    steps: g.steps,
    materials: g.materials,
    where: g.where,
    fees: g.fees,
    time_limits: g.timeLimits,
    always_escalate: g.alwaysEscalate,
  };
  return `---\n${toYaml(front)}---\n${g.body}\n`;
}

export function knowledgeRoutes(api: FastifyInstance, app: App, topicIds: Set<string>): void {
  const kinds = new Set(directoryKinds(app));

  /** Validates and ingests; 400 with the problems (and nothing stored) when invalid. */
  async function ingest(actorId: string, filename: string, text: string, action: string) {
    const check = app.knowledge.validateUpload(filename, text);
    if (check.guide && check.problems.length === 0) check.problems.push(...localGuideProblems(app, text, check.guide, topicIds, kinds));
    if (check.problems.length > 0) return { status: 400, body: { error: "文件有错误，未导入，请按行号修改后重新上传", code: "invalid_file", kind: check.kind, problems: translated(check.problems) } };
    const result = await app.knowledge.ingestUpload(filename, text);
    if (!result.ok) return { status: 400, body: { error: "文件有错误，未导入", code: "invalid_file", kind: result.kind, problems: translated(result.problems) } };
    await audit(app, actorId, action, result.guide?.id ?? result.laws[0] ?? filename, { filename, kind: result.kind, path: result.path, articles: result.articles, laws: result.laws.slice(0, 20), changed: result.summary?.changed ?? false });
    return { status: 200, body: uploadView(result) };
  }

  // The raw file, so the encoding can be checked (a browser's text() would hide bad bytes).
  api.addContentTypeParser("application/octet-stream", { parseAs: "buffer", bodyLimit: MAX_UPLOAD_BYTES }, (_request, body, done) => done(null, body));

  // The role is checked on request, before a body of up to 5 MB is read.
  const adminOnly = async (request: FastifyRequest) => void requireRole(request, "admin");
  api.post<{ Querystring: { filename?: string } }>("/api/console/admin/knowledge/upload", { bodyLimit: MAX_UPLOAD_BYTES, onRequest: adminOnly }, async (request, reply) => {
    const me = requireRole(request, "admin");
    const filename = String(request.query.filename ?? "").slice(0, 200);
    if (!Buffer.isBuffer(request.body)) throw new HttpError(415, "请以文件方式上传", "bad_type");
    const text = decodeUpload(filename, request.body);
    const out = await ingest(me.id, filename, text, "knowledge.upload");
    return reply.status(out.status).send(out.body);
  });

  api.get("/api/console/admin/knowledge/summary", async (request) => {
    requireRole(request, "admin");
    return { version: await app.knowledge.store.version(), articles: app.knowledge.articleCount, guides: app.knowledge.guideCount, maxUploadBytes: MAX_UPLOAD_BYTES };
  });

  // ---------------------------------------------------------- guides

  api.get("/api/console/admin/knowledge/guides", async (request) => {
    requireRole(request, "admin");
    const uploads = app.knowledge.uploadDir;
    return { guides: app.knowledge.allGuides().map((g) => ({ id: g.id, title: g.title, topics: g.topics, uploaded: g.source.startsWith(uploads), basis: g.legalBasis.length })) };
  });

  api.get<{ Params: { id: string } }>("/api/console/admin/knowledge/guides/:id/markdown", async (request) => {
    requireRole(request, "admin");
    const g = app.knowledge.allGuides().find((x) => x.id === request.params.id);
    if (!g) throw new HttpError(404, "办事指南不存在", "not_found");
    return { id: g.id, markdown: guideMarkdown(g) };
  });

  api.post<{ Body: Body }>("/api/console/admin/knowledge/guides/preview", { bodyLimit: 1024 * 1024 }, async (request, reply) => {
    requireRole(request, "admin");
    const markdown = str(request.body, "markdown", 512 * 1024);
    const question = questionOf(request.body);
    const channel = channelOf(request.body);
    let draft: Guide;
    try {
      draft = parseGuide(markdown, "（草稿）");
    } catch (e) {
      const problem = e instanceof GuideError ? { line: e.line, message: e.detail } : { line: 0, message: (e as Error).message };
      return reply.status(400).send({ error: "指南有错误，无法预览", code: "invalid_file", problems: translated([problem]) });
    }
    const problems = localGuideProblems(app, markdown, draft, topicIds, kinds);
    if (problems.length) return reply.status(400).send({ error: "指南有错误，无法预览", code: "invalid_file", problems });
    const result = await trial(app, previewAnswerer(app, draft), question, channel);
    return { ...result, draft: { id: draft.id, title: draft.title }, answeredFromDraft: result.reply.guideId === draft.id };
  });

  api.post<{ Body: Body }>("/api/console/admin/knowledge/guides", { bodyLimit: 1024 * 1024 }, async (request, reply) => {
    const me = requireRole(request, "admin");
    const markdown = str(request.body, "markdown", 512 * 1024);
    if (!markdown.trim()) throw new HttpError(400, "指南内容为空", "missing");
    const out = await ingest(me.id, "guide.md", markdown, "knowledge.guide_save");
    return reply.status(out.status).send(out.body);
  });

  /** Guides whose legal basis cites an article that is missing or no longer current. */
  api.get("/api/console/admin/knowledge/stale-guides", async (request) => {
    requireRole(request, "admin");
    const out = [];
    for (const g of app.knowledge.allGuides()) {
      const issues = [];
      for (const b of g.legalBasis) {
        const n = parseArticleLabel(b.article);
        const versions = n ? await app.knowledge.store.findArticle(b.law, n.no, n.sub) : [];
        if (versions.some((a) => isCurrentLaw(a))) continue;
        issues.push({ law: b.law, article: b.article, problem: versions.length ? "not_current" : "missing", statuses: [...new Set(versions.map((a) => a.status))] });
      }
      // A law revised after the guide was last reviewed: the guide may now state old law.
      const revisions = loadLawRevisions(app.config.knowledgeDir);
      const reviewed = g.review?.date ?? null;
      const relied = new Set([...g.legalBasis.map((b) => b.law), ...(g.review?.laws ?? []).map((l) => l.law)]);
      for (const r of revisions) {
        if (relied.has(r.law) && (!reviewed || reviewed < r.passed))
          issues.push({ law: r.law, article: "", problem: "revised_since_review", statuses: [], revision: { passed: r.passed, inForce: r.inForce, changes: r.changes } });
      }
      if (!reviewed) issues.push({ law: "", article: "", problem: "never_reviewed", statuses: [] });
      if (issues.length) out.push({ id: g.id, title: g.title, reviewed, issues });
    }
    return { guides: out };
  });

  /** Laws revised after the collection was taken, and whether their new text has been uploaded. */
  api.get("/api/console/admin/knowledge/revisions", async (request) => {
    requireRole(request, "admin");
    const out = [];
    for (const r of loadLawRevisions(app.config.knowledgeDir)) {
      const { rows } = await app.knowledge.store.listLaws({ q: r.law, limit: 20 });
      const imported = rows.some((l) => l.law === r.law && l.status === "现行有效" && (l.promulgated ?? "") >= r.passed);
      out.push({ ...r, newTextImported: imported });
    }
    return { revisions: out };
  });

  // ---------------------------------------------------------- laws

  api.get<{ Querystring: { q?: string; status?: string; page?: string; size?: string } }>("/api/console/admin/knowledge/laws", async (request) => {
    requireRole(request, "admin");
    const size = Math.min(Math.max(Number(request.query.size) || 20, 5), 100);
    const page = Math.max(Number(request.query.page) || 1, 1);
    const status = STATUSES.has(request.query.status as LawStatus) ? (request.query.status as LawStatus) : undefined;
    const { total, rows } = await app.knowledge.store.listLaws({ q: String(request.query.q ?? "").slice(0, 100), status, offset: (page - 1) * size, limit: size });
    return { total, page, size, today: chinaToday(), rows };
  });

  api.post<{ Body: Body }>("/api/console/admin/knowledge/laws/status", async (request) => {
    const me = requireRole(request, "admin");
    const source = str(request.body, "source", 2000);
    const law = str(request.body, "law", 300);
    const raw = request.body?.status;
    const status = raw === null || raw === "" ? null : (raw as LawOverrideStatus);
    if (status !== null && !MARKS.has(status)) throw new HttpError(400, "只能标记为“已失效”或“已修改”", "bad_status");
    if (!source || !law) throw new HttpError(400, "请指定法规", "missing");
    const changed = await app.knowledge.store.overrideLawStatus(source, law, status, me.id);
    if (changed === 0 && status !== null) throw new HttpError(404, "没有找到该法规", "not_found");
    // A lifted mark may leave two versions both current: the newest wins, as at ingest.
    if (status === null) await app.knowledge.store.resolveVersions();
    await app.knowledge.store.bumpVersion();
    await app.knowledge.refreshNow();
    await audit(app, me.id, status ? "knowledge.law_mark" : "knowledge.law_unmark", law, { source, law, status, articles: changed });
    return { ok: true, articles: changed };
  });
}

function directoryKinds(app: App): string[] {
  return app.directory.data.kinds.map((k) => k.id);
}
