import type pg from "pg";
import { requeueFailed } from "@porter/db";
import { addLedgerJobs, type ImportQueue, type RedisConnection } from "@porter/queue";

export interface RunOpsDeps {
  pool: pg.Pool;
  queue: ImportQueue;
  redis: RedisConnection;
}

export interface RequeueResult {
  /** Failed documents this call put back to `pending` (not those a concurrent requeue took), each with a new job. */
  requeued: number;
  /** Of those, how many had their failed job still in Redis (removed, then added anew). */
  replacedJobs: number;
}

/**
 * Requeues a run's failed documents (all, or one error kind): the ledger
 * first (rows `pending`, attempts from 0, the run `running` again; see
 * requeueFailed), then one job per row. Should this process die in between,
 * the rows are `pending` without a job and the reconciler adds their jobs
 * after its grace period; running the requeue again finds nothing failed.
 */
export async function requeueRun(
  deps: RunOpsDeps,
  runId: string,
  options: { kind?: string | undefined; jobAttempts: number },
): Promise<RequeueResult> {
  const rows = await requeueFailed(deps.pool, runId, options.kind);
  const { replaced } = await addLedgerJobs(deps.queue, deps.redis, rows, { attempts: options.jobAttempts });
  return { requeued: rows.length, replacedJobs: replaced };
}
