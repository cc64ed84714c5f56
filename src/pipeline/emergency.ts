// Emergency detection lives in ./danger/; this file keeps the pipeline's historical import path.
export * from "./danger/index.ts";
