// The referral queue module: what the integrator imports and wires.
//
//   const store = new SqlReferralStore(db);
//   const auth = new AuthService(store);
//   const rota = new RotaService(store);
//   const referrals = new ReferralService({ store, gateway, notifier, logger });
//   conversation.onEscalation((e) => referrals.createFromEscalation(e));
//   conversation.onResidentMessageWhileOwned((threadId, text) => referrals.residentMessage(threadId, text));
//   setInterval(() => referrals.runDeadlineCheck(), 60_000);

import type { ReferralStore } from "../store/referral-store.ts";
import { AuthService, type AuthPolicy } from "./auth.ts";
import type { DeadlinePolicy } from "./deadlines.ts";
import type { LoginAttempts } from "./login-attempts.ts";
import type { Notifier, ThreadGateway } from "./ports.ts";
import { RotaService } from "./rota-service.ts";
import { ReferralService, type ReferralServiceOptions } from "./service.ts";

export * from "./types.ts";
export * from "./ports.ts";
export { canAct, canView, assertCan, type ReferralAction } from "./access.ts";
export { AuthService, DEFAULT_AUTH_POLICY, hashToken, maskPhone, type AuthPolicy, type LoginResult, type SessionInfo } from "./auth.ts";
export { loginAttemptKey, MemoryLoginAttempts, type LoginAttempts } from "./login-attempts.ts";
export { DEFAULT_DEADLINE_POLICY, deadlineStage, timing, type DeadlinePolicy } from "./deadlines.ts";
export { ReferralEvents, type ReferralChangeEvent, type ReferralEventName } from "./events.ts";
export { parseRating } from "./rating.ts";
export { regionCovers, regionLineage } from "./regions.ts";
export { entryOnDutyAt, onDutyAt, type DutyMatch, type DutyQuery } from "./rota.ts";
export { RotaService } from "./rota-service.ts";
export { ReferralService, mergeFindings, type QueueFilter, type QueueRow, type QueueView, type ReferralDetail, type DeadlineCheckResult } from "./service.ts";
export { shanghai, toShanghai } from "./time.ts";

/** The referral queue's three services, sharing one store and one clock. */
export interface ReferralModule {
  auth: AuthService;
  rota: RotaService;
  referrals: ReferralService;
}

/**
 * Builds the three services over one store.
 *
 * @example
 * ```ts
 * const { auth, rota, referrals } = createReferralModule(store, { gateway, notifier }, { clock: () => new Date() });
 * conversation.onEscalation((e) => referrals.createFromEscalation(e));
 * setInterval(() => void referrals.runDeadlineCheck(), 60_000);
 * ```
 */
export function createReferralModule(
  store: ReferralStore,
  ports: { gateway: ThreadGateway; notifier?: Notifier },
  opts: Omit<ReferralServiceOptions, "store" | "gateway" | "notifier"> & { auth?: AuthPolicy; deadlines?: DeadlinePolicy; loginAttempts?: LoginAttempts } = {},
): ReferralModule {
  const { auth: authPolicy, loginAttempts, ...serviceOpts } = opts;
  const clock = opts.clock ?? (() => new Date());
  return {
    auth: new AuthService(store, clock, authPolicy, loginAttempts),
    rota: new RotaService(store, clock),
    referrals: new ReferralService({ ...serviceOpts, store, clock, gateway: ports.gateway, notifier: ports.notifier }),
  };
}
