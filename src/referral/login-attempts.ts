// Failed console logins counted per (account name, client address), so that a guesser is
// held off from the address it guesses from while the owner signs in from anywhere else.
// The name is counted as typed (lower-cased), whether or not such an account exists: the
// answers then never tell an existing name from an unknown one, locked or not.

/** Counts failed logins per key over a window, in memory or in the database (shared by processes). */
export interface LoginAttempts {
  /** Failures counted for `key` in its current window (0 when none or the window ended). */
  failures(key: string, now: Date): Promise<number>;
  /** Counts one failure; the first one opens a window of `windowMs`. Returns the new count. */
  fail(key: string, windowMs: number, now: Date): Promise<number>;
  /** Forgets the failures of `key` (after a successful login). */
  clear(key: string): Promise<void>;
}

/** The key failed logins are counted under: the name (case-folded) and the client address. */
export function loginAttemptKey(username: string, ip: string | null | undefined): string {
  return `login|${username.trim().toLowerCase().slice(0, 64)}|${ip ?? "-"}`;
}

/** One process: a map, swept of ended windows as it grows. */
export class MemoryLoginAttempts implements LoginAttempts {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async failures(key: string, now: Date): Promise<number> {
    const w = this.windows.get(key);
    return w && w.resetAt > now.getTime() ? w.count : 0;
  }

  async fail(key: string, windowMs: number, now: Date): Promise<number> {
    const t = now.getTime();
    if (this.windows.size > 10_000) for (const [k, w] of this.windows) if (w.resetAt <= t) this.windows.delete(k);
    const w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      this.windows.set(key, { count: 1, resetAt: t + windowMs });
      return 1;
    }
    w.count++;
    return w.count;
  }

  async clear(key: string): Promise<void> {
    this.windows.delete(key);
  }
}
