// The `lawdesk` command line. Each subcommand opens what it needs and nothing more.

import { Command, CommanderError } from "commander";
import { ConfigError, loadConfig } from "./config.ts";

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("lawdesk")
    .description("公共法律服务智能咨询助手 (12348) — legal consultation assistant")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("ingest")
    .description("add statute files/folders (Markdown or JSONL) and service guides to the knowledge base")
    .argument("<paths...>", "files or folders")
    .action(async (paths: string[]) => {
      const { runIngest } = await import("./commands/ingest.ts");
      process.exitCode = await runIngest(loadConfig(), paths);
    });

  program
    .command("search")
    .description("print the best-matching articles for a question")
    .argument("<question...>", "the question")
    .option("-k, --k <n>", "how many articles", "10")
    .option("--json", "print JSON")
    .action(async (words: string[], opts: { k: string; json?: boolean }) => {
      const { runSearch } = await import("./commands/search.ts");
      process.exitCode = await runSearch(loadConfig(), words.join(" "), positive(opts.k, "--k"), !!opts.json);
    });

  program
    .command("rank")
    .description("rank a JSONL corpus for JSONL queries; prints {id, ranked} per query")
    .requiredOption("--corpus <file>", "JSONL corpus {id, law, article, text, ...}")
    .requiredOption("--queries <file>", "JSONL queries {id, query}")
    .option("--k <n>", "articles per query", "100")
    .option("--no-train", "do not learn from the training questions")
    .option("--train <file>", "training questions {id, query, relevant} (default: ../shared/data/stard/queries-train.jsonl when present)")
    .action(async (opts: { corpus: string; queries: string; k: string; train?: string | boolean }) => {
      const { runRank } = await import("./commands/rank.ts");
      process.exitCode = await runRank(loadConfig(), {
        corpus: opts.corpus,
        queries: opts.queries,
        k: positive(opts.k, "--k"),
        train: opts.train === false ? false : typeof opts.train === "string" ? opts.train : undefined,
      });
    });

  program
    .command("chat")
    .description("talk to the assistant in the terminal (embedded defaults: SQLite, bundled knowledge)")
    .action(async () => {
      const { runChat } = await import("./commands/chat.ts");
      process.exitCode = await runChat(loadConfig());
    });

  program
    .command("serve")
    .description("run the HTTP server: residents' web chat at /, the lawyers' console at /console, /healthz, /readyz, /metrics")
    .action(async () => {
      const { runServe } = await import("./commands/serve.ts");
      process.exitCode = await runServe(loadConfig());
    });

  program
    .command("answer")
    .description("answer each {id, question} of a JSONL file as a new conversation; prints one JSON line each")
    .requiredOption("--questions <file>", "JSONL questions {id, question}")
    .action(async (opts: { questions: string }) => {
      const { runAnswer } = await import("./commands/answer.ts");
      process.exitCode = await runAnswer(loadConfig(), opts.questions);
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof ConfigError) {
      console.error(`配置错误 (configuration error): ${e.message}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}

function positive(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`${name} must be a positive integer, got "${value}"`);
    process.exit(2);
  }
  return n;
}
