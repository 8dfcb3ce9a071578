import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { ConfigError } from "@porter/config";
import { legacySimCommand } from "./commands/legacy-sim.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { addFaultOptions, faultsFrom } from "./fault-options.js";
import { failureKind, runIdOrLatest, wholeNumber } from "./options.js";

let exitCode: number = EXIT.ok;
// `porter failures … | head -1`: a reader that went away is no error; what is left unsaid is dropped.
const quietOnClosedPipe = (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(exitCode);
  throw err;
};
process.stdout.on("error", quietOnClosedPipe);
process.stderr.on("error", quietOnClosedPipe);
const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
/**
 * Runs a command and keeps its exit code; errors are handled in one place below.
 * Each command's module is imported when it runs, so `porter --help` or a usage
 * error does not load BullMQ, node-postgres and Fastify first.
 */
const act =
  <A extends unknown[]>(fn: (...args: A) => Promise<number | void>) =>
  async (...args: A) => {
    exitCode = (await fn(...args)) ?? EXIT.ok;
  };

const program = new Command("porter")
  .description("Migrate every document of a legacy HTTP service into Postgres through a BullMQ queue.")
  .version(version, "-V, --version", "print Porter's version")
  .showHelpAfterError()
  .exitOverride();

const db = program.command("db").description("database commands");
db.command("migrate")
  .description("create the database named in DATABASE_URL if missing, then apply the migrations (and ARCHIVE_DATABASE_URL's)")
  .action(act(async () => (await import("./commands/db-migrate.js")).dbMigrateCommand()));

program.addCommand(legacySimCommand());

program.command("worker").description("run one worker process in the foreground").action(act(async () => (await import("./commands/worker.js")).workerCommand()));

program
  .command("dashboard")
  .description("serve Bull Board and Porter's runs, failures, requeue and rollback on PORT")
  .action(act(async () => (await import("./commands/dashboard.js")).dashboardCommand()));

program
  .command("run")
  .description("start a run: list the legacy service and enqueue its documents (JOB_DOCUMENTS per job)")
  .option("--limit <n>", "stop listing after n documents", wholeNumber(1))
  .option("--follow", "stay until every document is finished, then print a summary", false)
  .option("--json", "print the summary as one JSON object", false)
  .option("--from-archive", "replay: list what an earlier run listed and read every page from the page archive, not the legacy service", false)
  .option("--of <runId>", 'with --from-archive: the run to replay (default "latest")', runIdOrLatest)
  .option("--changed", "skip the documents the target holds unchanged (same updatedAt, same transform version)", false)
  .option("--dry-run", "fetch, extract and validate every document, write nothing to the target, and say what a real run would do", false)
  .action(
    act(
      (opts: { limit?: number; follow: boolean; json: boolean; fromArchive: boolean; of?: string; changed: boolean; dryRun: boolean }) =>
        import("./commands/run.js").then((m) => m.runCommand(opts)),
    ),
  );

program
  .command("runs")
  .description("the runs, newest first: status, counts, pace, start and end")
  .option("--limit <n>", "at most this many runs", wholeNumber(1), 20)
  .option("--json", "one JSON object per run, per line", false)
  .action(act(async (opts: { limit: number; json: boolean }) => (await import("./commands/runs.js")).runsCommand(opts)));

program
  .command("status")
  .description("a run's counts by status, and failures by kind")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .option("--json", "print one JSON object", false)
  .action(act(async (id: string, opts: { json: boolean }) => (await import("./commands/status.js")).statusCommand(id, opts)));

program
  .command("resume")
  .description("continue a run whose enqueuer died mid-listing from its checkpoint; follow a run already listed")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .option("--follow", "stay until every document is finished, then print a summary", false)
  .option("--json", "print the summary as one JSON object", false)
  .action(act(async (id: string, opts: { follow: boolean; json: boolean }) => (await import("./commands/resume.js")).resumeCommand(id, opts)));

program
  .command("failures")
  .description("a run's failed documents: legacy id, kind, stage, attempts, message (and stack trace with --json)")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .option("--kind <kind>", "only this failure kind", failureKind)
  .option("--json", "one JSON object per failure, per line", false)
  .action(act(async (id: string, opts: { kind?: string; json: boolean }) => (await import("./commands/failures.js")).failuresCommand(id, opts)));

program
  .command("requeue")
  .description("put a run's failed documents back in the queue, attempts from 0")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .option("--kind <kind>", "only failures of this kind", failureKind)
  .action(act(async (id: string, opts: { kind?: string }) => (await import("./commands/requeue.js")).requeueCommand(id, opts)));

program
  .command("cancel")
  .description("stop a run that is listing or running: no further page, its waiting jobs removed, its unfinished documents cancelled")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .action(act(async (id: string) => (await import("./commands/cancel.js")).cancelCommand(id)));

program
  .command("rollback")
  .description("delete every document a run wrote, remove its jobs, mark its ledger rows rolled_back")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .option("--yes", "really do it (without: say what would be deleted, exit 2)", false)
  .action(act(async (id: string, opts: { yes: boolean }) => (await import("./commands/rollback.js")).rollbackCommand(id, opts)));

program
  .command("verify")
  .description("list the legacy service again and compare with the target: missing, failed, extra, stale")
  .argument("<runId>", 'the run, or "latest"', runIdOrLatest)
  .option("--json", "print one JSON object", false)
  .action(act(async (id: string, opts: { json: boolean }) => (await import("./commands/verify.js")).verifyCommand(id, opts)));

const archive = program.command("archive").description("the page archive: every page workers fetched, as served");
archive
  .command("stats")
  .description("pages, documents, bytes as served and bytes stored")
  .option("--json", "print one JSON object", false)
  .action(act(async (opts: { json: boolean }) => (await import("./commands/archive.js")).archiveStatsCommand(opts)));
archive
  .command("export")
  .description("write the latest page of every document into <dir>, with an index.jsonl")
  .argument("<dir>", "a new or empty directory")
  .action(act(async (dir: string) => (await import("./commands/archive.js")).archiveExportCommand(dir)));

addFaultOptions(
  program
    .command("demo")
    .description("migrate a demo corpus from the simulator with worker processes, with a progress bar; the simulator's fault flags make documents fail")
    .option("--docs <n>", "documents in the demo corpus", wholeNumber(1), 20_000)
    .option("--workers <n>", "worker processes", wholeNumber(1), 2),
).action(
  act((opts: { docs: number; workers: number } & Record<string, unknown>) =>
    import("./commands/demo.js").then((m) => m.demoCommand({ docs: opts.docs, workers: opts.workers, faults: faultsFrom(opts) })),
  ),
);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`porter: ${err.message}\n`);
    exitCode = EXIT.usage;
  } else if (err instanceof (await import("@porter/runs")).ServiceUnavailable) {
    process.stderr.write(err.message.split("\n").map((line) => `porter: ${line}\n`).join(""));
    exitCode = EXIT.unavailable;
  } else {
    process.stderr.write(`porter: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    exitCode = EXIT.error;
  }
}
// Open handles (a pool, a socket) must not keep a finished command alive; but
// what was written must get out first: to a pipe, process.exit() cut long
// outputs (`porter failures --json` of long ids) short.
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write("", () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCode);
