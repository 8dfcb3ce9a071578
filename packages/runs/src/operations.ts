import type { Config } from "@porter/config";
import type { Run } from "@porter/db";
import type { Source } from "@porter/source";
import type { Logger } from "@porter/logger";
import { cancelRun, reopenCancelledRun, type CancelResult } from "./cancel-run.js";
import type { Connections } from "./connections.js";
import { followRun, readProgress, type FollowOptions, type RunProgress, type RunSummary } from "./follow-run.js";
import type { ListPolicy } from "./list-page.js";
import { requeueRun, type RequeueResult } from "./requeue-run.js";
import { rollbackRun, type RollbackProgress, type RollbackResult } from "./rollback-run.js";
import { replayTarget, sourceOf } from "./replay.js";
import { verifyRun, type VerifyReport } from "./verify-run.js";

/**
 * How a listing page is read, for the enqueuer and for verify alike: its own
 * timeout (LIST_TIMEOUT_MS), and the documents' attempts and backoff.
 */
export function listPolicy(config: Config): ListPolicy {
  return { timeoutMs: config.listTimeoutMs, attempts: config.jobAttempts, backoffBaseMs: config.backoffBaseMs };
}

/**
 * How long a rollback waits for the jobs workers hold before its last sweep.
 * A live worker ends its job within one attempt (JOB_TIMEOUT_MS). A dead
 * worker's job is only put back once its lock has expired (lockDuration =
 * STALLED_INTERVAL_MS) and a stalled check has run (every
 * STALLED_INTERVAL_MS): up to twice the interval. Waiting less can leave a
 * retry of the run's job in Redis after the rollback says it is done.
 */
export function rollbackInFlightWaitMs(config: Config): number {
  return config.jobTimeoutMs + 2 * config.stalledIntervalMs;
}

export interface RunOperationsDeps {
  connections: Connections;
  /** Where a listing's retries are reported (verify). */
  logger: Logger;
}

/** The run operations, with their policies decided from the configuration; every caller gets the same. */
export interface RunOperations {
  /** The run's progress now; completes the run when nothing is left to do. */
  progress(runId: string): Promise<RunProgress>;
  /** Polls the ledger until the run is completed, cancelled or rolled back. */
  follow(runId: string, options?: Omit<FollowOptions, "intervalMs">): Promise<RunSummary>;
  /** The run's failed documents (all, or one kind) back to `pending`, a new job each. */
  requeue(runId: string, kind?: string): Promise<RequeueResult>;
  /** Stops a run that is listing or running: it and its unfinished rows `cancelled`, its jobs removed (see cancelRun). */
  cancel(runId: string): Promise<CancelResult | undefined>;
  /** A cancelled run taken up again: its cancelled rows pending with a job each (see reopenCancelledRun). */
  reopenCancelled(runId: string): Promise<number>;
  /** The coordinated rollback (see rollbackRun). */
  rollback(runId: string, options?: { onProgress?: (progress: RollbackProgress) => void }): Promise<RollbackResult>;
  /** The run `porter run --from-archive --of <of>` replays, or ReplayRefused saying why not (see replayTarget). */
  replayTarget(of: string | "latest"): Promise<Run>;
  /** Where the run lists and reads pages: the legacy service, or the archive for a replay. */
  sourceOf(run: Run): Source;
  /** Lists the legacy service again and compares it with the target (see verifyRun). */
  verify(run: Run, options: { sampleSize: number; onPage?: (listedSoFar: number) => void }): Promise<VerifyReport>;
}

/**
 * The one entry the CLI and the dashboard call: every policy a run
 * operation needs (job attempts, the rollback's in-flight wait, how the
 * listing is read) is taken from `config` here, and nowhere else.
 */
export function createRunOperations(config: Config, deps: RunOperationsDeps): RunOperations {
  // Not destructured: each connection opens when an operation first needs it.
  const { connections, logger } = deps;
  return {
    progress: (runId) => readProgress(connections.pool, runId),
    follow: (runId, options = {}) => followRun(connections.pool, runId, options),
    requeue: (runId, kind) => requeueRun(connections, runId, { kind, jobAttempts: config.jobAttempts }),
    cancel: (runId) => cancelRun(connections, runId),
    reopenCancelled: (runId) => reopenCancelledRun(connections, runId, { jobAttempts: config.jobAttempts }),
    rollback: (runId, options = {}) =>
      rollbackRun(connections, runId, { ...options, inFlightWaitMs: rollbackInFlightWaitMs(config) }),
    replayTarget: (of) => replayTarget(connections, of),
    sourceOf: (run) => sourceOf(connections, run),
    verify: (run, options) =>
      verifyRun({ pool: connections.pool, source: connections.source, logger }, run, {
        ...options,
        pageSize: config.listPageSize,
        list: listPolicy(config),
        listIdleTimeoutMs: config.listIdleTimeoutMs,
      }),
  };
}
