// The referral store on PostgreSQL is the one implementation over SqlDb (referral-sql.ts).
export { PgReferralStore } from "../referral-store.ts";
