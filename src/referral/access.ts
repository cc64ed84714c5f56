// Who may see and do what with a referral. Pure functions of the user and the referral;
// the service calls assertCan before every change, the console before every read.

import { anyRegionCovers } from "./regions.ts";
import { ForbiddenError, type Referral, type User } from "./types.ts";

/** What a console user can do with a referral; each is checked by canAct. */
export type ReferralAction =
  | "view"
  | "claim"
  | "reply"
  | "note"
  | "transfer"
  | "reassign"
  | "hand_back"
  | "close"
  | "reopen";

/**
 * Lawyers see referrals assigned to or owned by them, or in their regions; supervisors
 * everything in their regions (plus what is assigned to them); admins everything.
 */
export function canView(user: User, r: Referral): boolean {
  if (!user.active) return false;
  if (user.role === "admin") return true;
  if (r.ownerId === user.id || r.assignedTo === user.id) return true;
  return anyRegionCovers(user.regions, r.region);
}

function isSupervising(user: User, r: Referral): boolean {
  return user.role === "admin" || (user.role === "supervisor" && anyRegionCovers(user.regions, r.region));
}

const CLAIMABLE = new Set(["open", "reopened", "transferred"]);

/**
 * Whether `user` may do `action` on the referral: anyone who sees an unowned one may claim it,
 * only its owner replies (首问负责), owners and supervisors close, transfer or reopen it.
 */
export function canAct(user: User, r: Referral, action: ReferralAction): boolean {
  if (!canView(user, r)) return false;
  const owner = r.ownerId === user.id;
  switch (action) {
    case "view":
    case "note":
      return true;
    case "claim":
      // Assignment directs, it does not exclude: anyone who may see an unowned referral may claim it.
      return r.ownerId === null && CLAIMABLE.has(r.status);
    case "reply":
      // 首问负责: only the owner speaks to the resident.
      return owner && r.status !== "closed";
    case "hand_back":
    case "transfer":
    case "close":
      return r.status !== "closed" && (owner || isSupervising(user, r));
    case "reassign":
      return r.status !== "closed" && isSupervising(user, r);
    case "reopen":
      return r.status === "closed" && (owner || isSupervising(user, r));
  }
}

export function assertCanView(user: User, r: Referral): void {
  if (!canView(user, r)) throw new ForbiddenError("无权查看该工单");
}

const ACTION_LABEL: Record<ReferralAction, string> = {
  view: "查看",
  claim: "认领",
  reply: "回复",
  note: "添加备注",
  transfer: "转交",
  reassign: "改派",
  hand_back: "交还机器人",
  close: "办结",
  reopen: "重新打开",
};

/** Throws ForbiddenError when the user may not act; visibility is checked first. */
export function assertCan(user: User, r: Referral, action: ReferralAction): void {
  assertCanView(user, r);
  if (!canAct(user, r, action)) throw new ForbiddenError(`无权${ACTION_LABEL[action]}该工单`);
}
