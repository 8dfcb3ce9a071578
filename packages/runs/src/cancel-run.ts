import { cancelRun as cancelInLedger, reopenCancelled, type RunStatus } from "@porter/db";
import { addLedgerJobs, removeRunJobs } from "@porter/queue";
import type { RunOpsDeps } from "./requeue-run.js";

export interface CancelResult {
  /** The run's status before the cancel. */
  was: RunStatus;
  /** Its unfinished ledger rows now `cancelled`. */
  rows: number;
  /** Its jobs removed from Redis. */
  jobsRemoved: number;
  /** Its jobs a worker holds right now: each ends within its attempt and records what it did. */
  jobsInFlight: number;
}

/**
 * Stops a run that is listing or running: the ledger first (the run and its
 * unfinished rows `cancelled`, so the enqueuer lists no further page), then
 * its jobs out of Redis. Undefined when there is no such run; a run already
 * finished is left as it is (`was` says what it is, nothing moved).
 */
export async function cancelRun(deps: RunOpsDeps, runId: string): Promise<CancelResult | undefined> {
  const cancelled = await cancelInLedger(deps.pool, runId);
  if (!cancelled || (cancelled.was !== "listing" && cancelled.was !== "running")) {
    return cancelled && { was: cancelled.was, rows: 0, jobsRemoved: 0, jobsInFlight: 0 };
  }
  const { removed, active } = await removeRunJobs(deps.queue, deps.redis, runId);
  return { was: cancelled.was, rows: cancelled.rows, jobsRemoved: removed, jobsInFlight: active };
}

/**
 * Takes a cancelled run up again (porter resume): its cancelled rows
 * `pending` with a job each, the run listing again from its checkpoint when
 * its listing was not over. Returns the rows given back to the queue.
 */
export async function reopenCancelledRun(deps: RunOpsDeps, runId: string, options: { jobAttempts: number }): Promise<number> {
  const rows = await reopenCancelled(deps.pool, runId);
  await addLedgerJobs(deps.queue, deps.redis, rows, { attempts: options.jobAttempts });
  return rows.length;
}
