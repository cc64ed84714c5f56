import { join } from "node:path";
import { defaultLawSources, type Config } from "../config.ts";
import { rankCorpus } from "../retrieval/rank.ts";

export interface RankArgs {
  corpus: string;
  queries: string;
  k: number;
  /** undefined: default training questions when present; false: none; string: that file. */
  train?: string | false;
}

/** `lawdesk rank`: one JSON line {id, ranked} per query, the interface evaluation uses. */
export async function runRank(config: Config, args: RankArgs): Promise<number> {
  for await (const r of rankCorpus({
    corpusPath: args.corpus,
    queriesPath: args.queries,
    k: args.k,
    trainPath: args.train,
    cacheDir: join(config.dataDir, "rank-cache"),
    chaptersFrom: defaultLawSources(config),
    verbose: process.stderr.isTTY,
  })) {
    process.stdout.write(JSON.stringify({ id: r.id, ranked: r.ranked }) + "\n");
  }
  return 0;
}
