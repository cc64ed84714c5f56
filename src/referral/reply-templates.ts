// Saved replies (常用回复): each lawyer's own, shared ones kept by supervisors and admins, and
// the ones the project ships (read-only; saving one keeps an editable copy).

import { randomUUID } from "node:crypto";
import { requireText, type ReferralContext } from "./service-context.ts";
import { ForbiddenError, NotFoundError, type ReplyTemplate, type User } from "./types.ts";

/**
 * The user's own templates, the shared ones, then the shipped ones (ids `shipped:…`) that no
 * saved template of the same title replaces.
 */
export async function listTemplates(ctx: ReferralContext, userId: string): Promise<(ReplyTemplate & { shipped?: boolean })[]> {
  const user = await ctx.actor(userId);
  const saved = await ctx.store.listTemplates(user.id);
  const titles = new Set(saved.map((t) => t.title));
  return [...saved, ...ctx.shipped.filter((t) => !titles.has(t.title)).map((t) => ({ ...t, shipped: true }))];
}

/** Saves a personal template, or a shared one (supervisors and admins only). */
export async function saveTemplate(ctx: ReferralContext, userId: string, input: { id?: string; title: string; body: string; shared?: boolean }): Promise<ReplyTemplate> {
  const user = await ctx.actor(userId);
  const title = requireText(input.title, "请填写模板标题").slice(0, 100);
  const body = requireText(input.body, "模板内容不能为空");
  const shared = input.shared ?? false;
  if (shared && user.role === "lawyer") throw new ForbiddenError("仅督导或管理员可保存共享模板");
  // A shipped template is never changed in place: saving it keeps an editable copy.
  const id = input.id?.startsWith("shipped:") ? undefined : input.id;
  const existing = id ? await ctx.store.getTemplate(id) : null;
  if (id && !existing) throw new NotFoundError("模板不存在");
  if (existing) assertTemplateEditable(user, existing);
  const now = ctx.nowIso();
  const t: ReplyTemplate = {
    id: existing?.id ?? randomUUID(),
    ownerId: shared ? null : user.id,
    title,
    body,
    createdBy: existing?.createdBy ?? user.id,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await ctx.store.upsertTemplate(t, [
    { at: now, actorId: user.id, action: existing ? "template.update" : "template.create", targetType: "template", targetId: t.id, detail: { title, shared } },
  ]);
  return t;
}

/** Deletes a saved template its user may edit; the shipped ones cannot be deleted. */
export async function deleteTemplate(ctx: ReferralContext, userId: string, templateId: string): Promise<void> {
  const user = await ctx.actor(userId);
  if (templateId.startsWith("shipped:")) throw new ForbiddenError("系统预置的常用回复不能删除，可以修改后另存");
  const t = await ctx.store.getTemplate(templateId);
  if (!t) throw new NotFoundError("模板不存在");
  assertTemplateEditable(user, t);
  await ctx.store.deleteTemplate(t.id, [
    { at: ctx.nowIso(), actorId: user.id, action: "template.delete", targetType: "template", targetId: t.id, detail: { title: t.title } },
  ]);
}

function assertTemplateEditable(user: User, t: ReplyTemplate): void {
  const ok = t.ownerId === null ? user.role !== "lawyer" : t.ownerId === user.id;
  if (!ok) throw new ForbiddenError("无权修改该模板");
}
