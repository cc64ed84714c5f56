// Entry point of the index-building worker thread (see KnowledgeBase.rebuildIndex). Plain
// JavaScript on purpose: a worker thread does not inherit the parent's tsx loader (neither
// under `node bin/lawdesk.js` nor under vitest), so this registers tsx itself, the way
// bin/lawdesk.js does, and then imports the TypeScript worker module.
import { register } from "tsx/esm/api";

register();
await import(new URL("./index-worker-main.ts", import.meta.url).href);
