import { loadConfig } from "@porter/config";
import { countFailuresByKind } from "@porter/db";
import { openOperatorSession, requireRun } from "../operator-session.js";
import { projectionText } from "../projection-text.js";

/** `porter status <runId>`: counts by status, and failures by kind. */
export async function statusCommand(which: string, flags: { json: boolean }): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["postgres"]);
  const { pool } = session.connections;
  try {
    const run = await requireRun(pool, config, which);
    const runId = run.id;
    const progress = await session.runs.progress(runId);
    const kinds = await countFailuresByKind(pool, runId);
    const failuresByKind = Object.fromEntries(kinds.map(({ kind, count }) => [kind, count]));
    const status = {
      runId,
      status: progress.status,
      listed: progress.listed,
      listingError: progress.listingError,
      counts: {
        pending: progress.pending,
        running: progress.running,
        succeeded: progress.succeeded,
        failed: progress.failed,
        rolled_back: progress.rolledBack,
        cancelled: progress.cancelled,
        skipped: progress.skipped,
      },
      failuresByKind,
      dryRun: run.dryRun,
      projection: progress.projection,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      docsPerSecond: Math.round(progress.docsPerSecond * 10) / 10,
    };
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(status)}\n`);
    } else {
      const lines = [
        `${run.dryRun ? "dry run" : "run"} ${runId}: ${status.status}, ${status.listed} listed, ${status.docsPerSecond} docs/s`,
        ...(progress.projection === null ? [] : [`  nothing written; a real run ${projectionText(progress.projection, kinds)}`]),
        ...(status.listingError === null ? [] : [`  the listing stopped before its end: ${status.listingError}`]),
        ...Object.entries(status.counts).map(([k, v]) => `  ${k.padEnd(12)} ${v}`),
        ...(Object.keys(failuresByKind).length ? ["failures by kind:"] : []),
        ...Object.entries(failuresByKind).map(([k, v]) => `  ${k.padEnd(18)} ${v}`),
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    }
    return 0;
  } finally {
    await session.close();
  }
}
