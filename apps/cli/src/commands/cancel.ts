import { loadConfig } from "@porter/config";
import { UsageError } from "../exit-codes.js";
import { openOperatorSession, requireRun } from "../operator-session.js";

/**
 * `porter cancel <runId|latest>`: stops a run that is listing or running
 * (no further page, its waiting jobs removed, its unfinished documents and
 * the run `cancelled`). A cancelled run can be resumed or rolled back.
 */
export async function cancelCommand(which: string): Promise<number> {
  const config = loadConfig();
  const session = await openOperatorSession(config, ["postgres", "redis"]);
  try {
    const run = await requireRun(session.connections.pool, config, which);
    if (run.status !== "listing" && run.status !== "running") {
      throw new UsageError(`run ${run.id} is ${run.status}: only a run that is listing or running can be cancelled`);
    }
    const result = await session.runs.cancel(run.id);
    if (!result || (result.was !== "listing" && result.was !== "running")) {
      throw new UsageError(`run ${run.id} is ${result?.was ?? "gone"}: only a run that is listing or running can be cancelled`);
    }
    const inFlight = result.jobsInFlight > 0 ? `; ${result.jobsInFlight} documents in flight finish on their own and are recorded as they end` : "";
    process.stdout.write(
      `run ${run.id} cancelled${result.was === "listing" ? " while listing" : ""}: ${result.rows} unfinished documents cancelled, ` +
        `${result.jobsRemoved} jobs removed${inFlight}. porter resume ${run.id} takes it up again; porter rollback ${run.id} undoes it\n`,
    );
    return 0;
  } finally {
    await session.close();
  }
}
