// Versioned schema for the PostgreSQL store, one file per concern under migrations/,
// mirroring ../migrations.ts (same version numbers and names). Append; never edit a shipped one.

import type { Migration } from "../migrations/types.ts";
import { PG_CHANNEL_MIGRATIONS } from "./migrations/channels.ts";
import { PG_CONSOLE_MIGRATIONS } from "./migrations/console.ts";
import { PG_CONVERSATION_MIGRATIONS } from "./migrations/conversation.ts";
import { PG_KNOWLEDGE_MIGRATIONS } from "./migrations/knowledge.ts";
import { PG_REFERRAL_MIGRATIONS } from "./migrations/referral.ts";

export const PG_MIGRATIONS: Migration[] = [
  ...PG_KNOWLEDGE_MIGRATIONS,
  ...PG_CONVERSATION_MIGRATIONS,
  ...PG_REFERRAL_MIGRATIONS,
  ...PG_CONSOLE_MIGRATIONS,
  ...PG_CHANNEL_MIGRATIONS,
];
