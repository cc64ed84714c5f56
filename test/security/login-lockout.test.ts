// Console login lock-out is per (account, client address): a guesser cannot lock the owner
// out from elsewhere, and the answer never tells an existing name from an unknown one,
// locked or not (issue 14, point 1).

import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuthError } from "../../src/referral/types.ts";
import { harness, type Harness } from "../referral/helpers.ts";

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

async function owner() {
  const { user, oneTimePassword } = await h.auth.createUser(h.admin.id, { username: "owner", name: "主人", role: "lawyer", regions: ["qinghe"] });
  await h.auth.changePassword(user.id, oneTimePassword!, "Qh-secret-2026");
  return user;
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: AuthError) => `${e.name}|${e.code}|${e.message}`,
  );

describe("login lock-out per account and address", () => {
  it("eight wrong passwords from one address do not stop the owner logging in from another", async () => {
    const user = await owner();
    for (let i = 0; i < 8; i++) await expect(h.auth.login("owner", `wrong-pass-${i}`, { ip: "203.0.113.9" })).rejects.toBeInstanceOf(AuthError);
    const ok = await h.auth.login("owner", "Qh-secret-2026", { ip: "198.51.100.7" });
    expect(ok.user.id).toBe(user.id);
    // The guessing address itself is held off, even with the right password, until the window ends.
    await expect(h.auth.login("owner", "Qh-secret-2026", { ip: "203.0.113.9" })).rejects.toMatchObject({ code: "locked" });
    h.clock.advanceMinutes(15);
    expect((await h.auth.login("owner", "Qh-secret-2026", { ip: "203.0.113.9" })).user.id).toBe(user.id);
    // The account itself was never marked locked.
    expect((await h.store.getUser(user.id))!.lockedUntil).toBeNull();
  });

  it("a successful login from the address clears its failures", async () => {
    await owner();
    for (let i = 0; i < 4; i++) await expect(h.auth.login("owner", "wrong-pass-x", { ip: "203.0.113.9" })).rejects.toBeInstanceOf(AuthError);
    await h.auth.login("owner", "Qh-secret-2026", { ip: "203.0.113.9" });
    for (let i = 0; i < 4; i++) await expect(h.auth.login("owner", "wrong-pass-x", { ip: "203.0.113.9" })).rejects.not.toMatchObject({ code: "locked" });
  });

  it("answers an unknown name exactly as a wrong password, locked or not", async () => {
    await owner();
    const known: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < 8; i++) {
      known.push(await outcome(h.auth.login("owner", "wrong-pass-1", { ip: "203.0.113.9" })));
      unknown.push(await outcome(h.auth.login("nobody", "wrong-pass-1", { ip: "203.0.113.9" })));
    }
    expect(unknown).toEqual(known);
    expect(known.some((o) => o.includes("|locked|"))).toBe(true);
  });

  it("property: the answers to any sequence of failed attempts do not depend on whether the name exists", async () => {
    await owner();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom("a", "b"), fc.string({ minLength: 1, maxLength: 12 })), { minLength: 1, maxLength: 9 }), async (attempts) => {
        round++;
        const seen = { owner: [] as string[], ghost: [] as string[] };
        for (const [addr, pw] of attempts) {
          const ip = `10.${round % 250}.0.${addr === "a" ? 1 : 2}`;
          seen.owner.push(await outcome(h.auth.login("owner", `x${pw}`, { ip })));
          seen.ghost.push(await outcome(h.auth.login(`ghost${round}`, `x${pw}`, { ip })));
        }
        expect(seen.ghost).toEqual(seen.owner);
        expect(seen.owner).not.toContain("ok");
      }),
      { numRuns: 15 },
    );
  });
});
