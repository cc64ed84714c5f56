import type { Migration } from "../../migrations/types.ts";

// Versions 20-29 (mirror of ../../migrations/referral.ts): not yet ported.
export const PG_REFERRAL_MIGRATIONS: Migration[] = [];
