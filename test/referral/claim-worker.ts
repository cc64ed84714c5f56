// A separate OS process claiming one referral, for the cross-process race test:
//   node bin/run-script.js test/referral/claim-worker.ts DB REFERRAL_ID START_AT_MS USER_ID...
// Waits until START_AT_MS so all workers hit the database at the same moment, then prints
// one JSON line per claim.

import { ReferralService } from "../../src/referral/service.ts";
import type { ThreadGateway } from "../../src/referral/ports.ts";
import { SqlReferralStore } from "../../src/store/referral-store.ts";
import { openSqlite } from "../../src/store/sqlite.ts";

const [dbPath, referralId, startAt, ...userIds] = process.argv.slice(2);
const db = openSqlite(dbPath);
const gateway: ThreadGateway = {
  setOwner: async () => {},
  appendMessage: async () => {},
  enqueueReply: async () => "x",
  requestRating: async () => "x",
  getThread: async () => null,
  getHistory: async () => [],
};
const service = new ReferralService({ store: new SqlReferralStore(db), gateway });
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const results = await Promise.allSettled(userIds.map((u) => service.claim(referralId, u)));
for (const [i, r] of results.entries()) {
  process.stdout.write(JSON.stringify({ userId: userIds[i], ok: r.status === "fulfilled", error: r.status === "rejected" ? (r.reason as Error).name : null }) + "\n");
}
db.close();
