// The conversation store on PostgreSQL is the one implementation over SqlDb (conversation-sql.ts).
export { PgConversationStore } from "../conversation-store.ts";
