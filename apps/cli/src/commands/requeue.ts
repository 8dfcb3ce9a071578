import { loadConfig } from "@porter/config";
import { REQUEUEABLE_RUN_STATUSES } from "@porter/db";
import { UsageError } from "../exit-codes.js";
import { openOperatorSession, requireRun } from "../operator-session.js";

/**
 * `porter requeue <runId> [--kind K]`: the run's failed documents (all, or
 * one kind) go back to `pending` with new jobs and attempts from 0; the run
 * is `running` until they finish. Prints how many. Workers must be running
 * to do the work.
 */
export async function requeueCommand(which: string, flags: { kind?: string }): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["postgres", "redis"]);
  try {
    if (flags.kind === "invalid_id") {
      throw new UsageError("invalid_id failures cannot be requeued: the listed id itself cannot be migrated; fix it at the source and start a new run");
    }
    const run = await requireRun(session.connections.pool, config, which);
    const runId = run.id;
    if (!REQUEUEABLE_RUN_STATUSES.includes(run.status)) {
      throw new UsageError(`run ${runId} is ${run.status}: only a listing, running or completed run can be requeued`);
    }
    const result = await session.runs.requeue(runId, flags.kind);
    const kind = flags.kind ? ` of kind ${flags.kind}` : "";
    process.stdout.write(`run ${runId}: ${result.requeued} failed documents${kind} requeued\n`);
    return 0;
  } finally {
    await session.close();
  }
}
