// The knowledge store on PostgreSQL is the one implementation over SqlDb (knowledge-sql.ts).
export { PgKnowledgeStore } from "../knowledge-store.ts";
