// Versioned schema for the SQLite store, one file per concern under migrations/.
// Append new migrations; never edit one that has shipped.
// Version ranges: 1-9 knowledge, 10-19 conversations, 20-29 referrals, 30-39 console, 40-49 channels.

import { CHANNEL_MIGRATIONS } from "./migrations/channels.ts";
import { CONSOLE_MIGRATIONS } from "./migrations/console.ts";
import { CONVERSATION_MIGRATIONS } from "./migrations/conversation.ts";
import { KNOWLEDGE_MIGRATIONS } from "./migrations/knowledge.ts";
import { REFERRAL_MIGRATIONS } from "./migrations/referral.ts";
import type { Migration } from "./migrations/types.ts";

export type { Migration };

export const SQLITE_MIGRATIONS: Migration[] = [
  ...KNOWLEDGE_MIGRATIONS,
  ...CONVERSATION_MIGRATIONS,
  ...REFERRAL_MIGRATIONS,
  ...CONSOLE_MIGRATIONS,
  ...CHANNEL_MIGRATIONS,
];
