import { Command, CommanderError } from "commander";
import { ConfigError } from "@porter/config";
import { demoCommand } from "./commands/demo.js";
import { dbMigrateCommand } from "./commands/db-migrate.js";
import { legacySimCommand } from "./commands/legacy-sim.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import { workerCommand } from "./commands/worker.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { runId, wholeNumber } from "./options.js";

let exitCode: number = EXIT.ok;
/** Runs a command and keeps its exit code; errors are handled in one place below. */
const act =
  <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
  async (...args: A) => {
    exitCode = (await fn(...args)) ?? EXIT.ok;
  };

const program = new Command("porter")
  .description("Migrate every document of a legacy HTTP service into Postgres through a BullMQ queue.")
  .showHelpAfterError()
  .exitOverride();

const db = program.command("db").description("database commands");
db.command("migrate")
  .description("create the database named in DATABASE_URL if missing, then apply the migrations")
  .action(act(dbMigrateCommand));

program.addCommand(legacySimCommand());

program.command("worker").description("run one worker process in the foreground").action(act(workerCommand));

program
  .command("run")
  .description("start a run: list the legacy service and enqueue one job per document")
  .option("--limit <n>", "stop listing after n documents", wholeNumber(1))
  .option("--follow", "stay until every document is finished, then print a summary", false)
  .option("--json", "print the summary as one JSON object", false)
  .action(act((opts: { limit?: number; follow: boolean; json: boolean }) => runCommand(opts)));

program
  .command("status")
  .description("a run's counts by status, and failures by kind")
  .argument("<runId>", "the run", runId)
  .option("--json", "print one JSON object", false)
  .action(act((id: string, opts: { json: boolean }) => statusCommand(id, opts)));

program
  .command("demo")
  .description("migrate a demo corpus from the simulator with worker processes, with a progress bar")
  .option("--docs <n>", "documents in the demo corpus", wholeNumber(1), 20_000)
  .option("--workers <n>", "worker processes", wholeNumber(1), 2)
  .action(act((opts: { docs: number; workers: number }) => demoCommand(opts)));

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`porter: ${err.message}\n`);
    exitCode = EXIT.usage;
  } else {
    process.stderr.write(`porter: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitCode = EXIT.error;
  }
}
// Open handles (a pool, a socket) must not keep a finished command alive.
process.exit(exitCode);
