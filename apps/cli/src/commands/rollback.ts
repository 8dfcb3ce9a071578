import { loadConfig } from "@porter/config";
import { countRunFootprint } from "@porter/db";
import type { RollbackProgress } from "@porter/runs";
import { EXIT } from "../exit-codes.js";
import { openOperatorSession, requireRun } from "../operator-session.js";

function progressLine(p: RollbackProgress): string {
  return (
    `rollback: ${p.ledgerRows} ledger rows marked, ${p.jobsRemoved} jobs removed, ${p.documents} documents deleted` +
    (p.step === "in-flight" ? `, waiting for ${p.activeJobs} jobs in flight` : "") +
    "\n"
  );
}

/**
 * `porter rollback <runId> --yes`: the coordinated rollback of rollbackRun
 * (@porter/runs), with a progress line on stderr at most once a second, then the
 * totals on stdout. Without --yes: what it would delete, and exit 2.
 */
export async function rollbackCommand(which: string, flags: { yes: boolean }): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["postgres", "redis"]);
  const { pool } = session.connections;
  try {
    const run = await requireRun(pool, config, which);
    const runId = run.id;
    if (!flags.yes) {
      const footprint = await countRunFootprint(pool, runId);
      process.stdout.write(
        `run ${runId} is ${run.status}. A rollback would delete ${footprint.documents} documents, ` +
          `mark ${footprint.ledgerRows} ledger rows rolled_back and remove the run's jobs from the queue.\n` +
          `Nothing was changed: run again with --yes to roll back.\n`,
      );
      return EXIT.usage;
    }
    let lastLine = 0;
    let lastStep: RollbackProgress["step"] | undefined;
    const result = await session.runs.rollback(runId, {
      onProgress: (p) => {
        const now = Date.now();
        if (p.step === lastStep && now - lastLine < 1_000) return;
        lastStep = p.step;
        lastLine = now;
        process.stderr.write(progressLine(p));
      },
    });
    process.stdout.write(
      `run ${runId} rolled back: ${result.documents} documents deleted, ${result.ledgerRows} ledger rows marked ` +
        `rolled_back, ${result.jobsRemoved} jobs removed\n`,
    );
    if (result.activeJobs > 0) {
      process.stderr.write(
        `warning: ${result.activeJobs} jobs of the run were still held by workers; they cannot write ` +
          `(their ledger rows are rolled_back). Run the rollback again to remove what they leave in the queue.\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await session.close();
  }
}
