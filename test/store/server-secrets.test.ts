// Shared server secrets and the readiness probe on both stores: processes starting together
// agree on one cookie-signing secret, it survives a reopen, and a closed database says so.

import { describe, expect, it } from "vitest";
import { databaseAnswers, SqlServerSecrets } from "../../src/store/server-secrets.ts";
import { BACKENDS, skipped, title } from "./backends.ts";

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("SqlServerSecrets", name), () => {
    it("hands every caller the one secret the first created, distinct per name", async () => {
      const b = await make();
      try {
        const secrets = new SqlServerSecrets(b.sql);
        const first = await Promise.all(Array.from({ length: 6 }, () => secrets.loadOrCreate("cookie-secret")));
        expect(new Set(first).size).toBe(1);
        expect(first[0]).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
        expect(await new SqlServerSecrets(b.sql).loadOrCreate("cookie-secret")).toBe(first[0]);
        const other = await secrets.loadOrCreate("other");
        expect(other).not.toBe(first[0]);
        expect(await b.sql.all("SELECT name FROM server_secrets ORDER BY name")).toEqual([{ name: "cookie-secret" }, { name: "other" }]);
      } finally {
        await b.close();
      }
    });

    it("the readiness probe: true while the database answers, false once it is closed", async () => {
      const b = await make();
      expect(await databaseAnswers(b.sql)).toBe(true);
      await b.close();
      expect(await databaseAnswers(b.sql)).toBe(false);
    });
  });
});
