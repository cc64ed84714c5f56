// The duty lawyers' console as production reaches it: a real lawdesk HTTP server over the
// channel test's app, a lawyer logged in over HTTP, and the page's claim, reply and close
// requests. What the lawyer sends must reach the resident on the channel the question came
// from, through the same outbox as the bot's answers.

import type { App } from "../../src/app.ts";
import { buildServer, type LawdeskServer } from "../../src/server/server.ts";
import { Client } from "../server/helpers.ts";
import { LAWYER_PASSWORD } from "./wechaty/app-fixture.ts";

export interface ConsoleDesk {
  /** The lawyer's browser session (cookies and CSRF token). */
  lawyer: Client;
  /** Claims the referral and posts the reply, as the console's buttons do. */
  reply(referralId: string, text: string): Promise<void>;
  /** Closes the referral with an outcome (the resident is asked to rate). */
  close(referralId: string, outcome: string): Promise<void>;
  stop(): Promise<void>;
}

/** Serves the console over `app` on loopback and logs `username` in (a lawyer made with addDutyLawyer). */
export async function openConsole(app: App, username: string): Promise<ConsoleDesk> {
  const server: LawdeskServer = await buildServer(app, { cookieSecret: "console-desk-secret-0123456789-abcdefgh" });
  const base = await server.listen({ port: 0, host: "127.0.0.1" });
  const lawyer = new Client(base);
  const login = await lawyer.login(username, LAWYER_PASSWORD);
  if (login.status !== 200) throw new Error(`console login: ${login.status} ${JSON.stringify(login.body)}`);
  const post = async (path: string, body: unknown) => {
    const res = await lawyer.post(path, body);
    if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(res.body)}`);
  };
  return {
    lawyer,
    async reply(referralId, text) {
      await post(`/api/console/referrals/${referralId}/claim`, {});
      await post(`/api/console/referrals/${referralId}/reply`, { text });
    },
    close: (referralId, outcome) => post(`/api/console/referrals/${referralId}/close`, { outcome }),
    stop: () => server.close(),
  };
}
