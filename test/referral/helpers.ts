// Test fixtures for the referral queue: a real SQLite file in a temp dir, an in-memory
// conversation core (ThreadGateway), a recording notifier and a clock the test moves.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import type { NotifyKind, Referral, RotaEntryInput, Role, User, UserRecord, EscalationInput } from "../../src/referral/types.ts";
import type { Notifier, ThreadGateway, ThreadHistoryItem, ThreadRole, ThreadSummary } from "../../src/referral/ports.ts";
import { ReferralService } from "../../src/referral/service.ts";
import { RotaService } from "../../src/referral/rota-service.ts";
import { AuthService } from "../../src/referral/auth.ts";
import { shanghai } from "../../src/referral/time.ts";
import { SqlReferralStore } from "../../src/store/referral-store.ts";
import { openSqlite, type SqliteDb } from "../../src/store/sqlite.ts";

export class MemoryThreadGateway implements ThreadGateway {
  owners = new Map<string, string | null>();
  history = new Map<string, ThreadHistoryItem[]>();
  outbox: { id: string; threadId: string; text: string }[] = [];
  ratingRequests: { threadId: string; referralId: string; text: string }[] = [];
  setOwnerCalls: { threadId: string; userId: string | null }[] = [];

  async setOwner(threadId: string, userId: string | null): Promise<void> {
    this.owners.set(threadId, userId);
    this.setOwnerCalls.push({ threadId, userId });
  }
  async appendMessage(threadId: string, role: ThreadRole, text: string, meta: Record<string, unknown>): Promise<void> {
    const list = this.history.get(threadId) ?? [];
    list.push({ role, text, at: new Date().toISOString(), meta });
    this.history.set(threadId, list);
  }
  async enqueueReply(threadId: string, reply: { text: string; deliveredText: string; meta: Record<string, unknown> }): Promise<string> {
    const id = `out-${this.outbox.length + 1}`;
    await this.appendMessage(threadId, "lawyer", reply.text, { ...reply.meta, outboxId: id });
    this.outbox.push({ id, threadId, text: reply.deliveredText });
    return id;
  }
  async requestRating(threadId: string, referralId: string, text: string): Promise<string> {
    this.ratingRequests.push({ threadId, referralId, text });
    return `rate-${this.ratingRequests.length}`;
  }
  async getThread(threadId: string): Promise<ThreadSummary | null> {
    return { id: threadId, channel: "wechat_oa", ownedBy: this.owners.get(threadId) ?? null };
  }
  async getHistory(threadId: string): Promise<ThreadHistoryItem[]> {
    return this.history.get(threadId) ?? [];
  }
}

export class RecordingNotifier implements Notifier {
  sent: { userIds: string[]; number: string; kind: NotifyKind }[] = [];
  async notify(userIds: string[], referral: Referral, kind: NotifyKind): Promise<void> {
    this.sent.push({ userIds: [...userIds].sort(), number: referral.number, kind });
  }
  of(kind: NotifyKind): { userIds: string[]; number: string; kind: NotifyKind }[] {
    return this.sent.filter((s) => s.kind === kind);
  }
}

export class TestClock {
  constructor(public current: Date) {}
  readonly now = (): Date => new Date(this.current);
  set(d: Date): void {
    this.current = d;
  }
  advanceMinutes(m: number): Date {
    this.current = new Date(this.current.getTime() + m * 60_000);
    return this.now();
  }
}

/** Monday 2 March 2026, 10:00 in Shanghai. */
export const MONDAY_10 = shanghai("2026-03-02", "10:00");

/** Monday-Friday 08:30-17:30. */
export const OFFICE_HOURS = [1, 2, 3, 4, 5].map((day) => ({ day, start: "08:30", end: "17:30" }));

export interface Harness {
  dir: string;
  path: string;
  db: SqliteDb;
  store: SqlReferralStore;
  gateway: MemoryThreadGateway;
  notifier: RecordingNotifier;
  clock: TestClock;
  service: ReferralService;
  rota: RotaService;
  auth: AuthService;
  admin: User;
  addUser(username: string, role: Role, regions?: string[], topics?: string[]): Promise<User>;
  addRota(input: RotaEntryInput): Promise<void>;
  escalate(over?: Partial<EscalationInput>): Promise<Referral>;
  close(): void;
}

let seq = 0;

export async function harness(start: Date = MONDAY_10): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "lawdesk-referral-"));
  const path = join(dir, "data", "lawdesk.db");
  const db = openSqlite(path);
  const store = new SqlReferralStore(db);
  const gateway = new MemoryThreadGateway();
  const notifier = new RecordingNotifier();
  const clock = new TestClock(start);
  const service = new ReferralService({ store, gateway, notifier, clock: clock.now });
  const rota = new RotaService(store, clock.now);
  const auth = new AuthService(store, clock.now);

  // Users are inserted directly (no scrypt) to keep the suite fast; auth.test.ts covers hashing.
  const addUser = async (username: string, role: Role, regions: string[] = [], topics: string[] = []): Promise<User> => {
    const now = clock.now().toISOString();
    const u: UserRecord = {
      id: `u-${username}`,
      username,
      name: `${username}律师`,
      passwordHash: "scrypt$1$1$1$AA==$AA==",
      role,
      regions,
      topics,
      phone: "13812345678",
      active: true,
      failedLogins: 0,
      lockedUntil: null,
      mustChangePassword: false,
      createdAt: now,
      updatedAt: now,
    };
    await store.insertUser(u, []);
    const { passwordHash: _omit, ...user } = u;
    return user;
  };
  const admin = await addUser("root", "admin");

  return {
    dir,
    path,
    db,
    store,
    gateway,
    notifier,
    clock,
    service,
    rota,
    auth,
    admin,
    addUser,
    addRota: async (input) => {
      await rota.add(admin.id, input);
    },
    escalate: (over = {}) =>
      service.createFromEscalation({
        escalationId: `esc-${++seq}-${randomUUID()}`,
        threadId: `thread-${seq}`,
        channel: "wechat_oa",
        residentKey: `openid-${seq}`,
        reason: "low_confidence",
        urgency: "normal",
        topic: "labour",
        region: "qinghe.dongzhen.lijiacun",
        summary: "老板欠我三个月工资不给咋办",
        findings: { articles: [{ id: "a1", law: "中华人民共和国劳动合同法", article: "第三十条", score: 0.4 }], guides: [] },
        ...over,
      }),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
