import {
  beginRollback,
  countRunFootprint,
  deleteRunDocuments,
  finishRollback,
  markImportsRolledBack,
  type RunStatus,
} from "@porter/db";
import { removeRunJobs } from "@porter/queue";
import type { RunOpsDeps } from "./requeue-run.js";
import { sleep } from "./sleep.js";

/** Rows per transaction: short transactions, so workers and readers are never held up for long. */
export const ROLLBACK_BATCH = 1_000;

export interface RollbackProgress {
  step: "ledger" | "jobs" | "documents" | "in-flight";
  /** Ledger rows marked `rolled_back` so far. */
  ledgerRows: number;
  /** Jobs removed from Redis so far. */
  jobsRemoved: number;
  /** Documents deleted so far. */
  documents: number;
  /** Jobs of the run still held by a worker. */
  activeJobs: number;
}

export interface RollbackOptions {
  batchSize?: number;
  /**
   * How long to wait for jobs a worker holds (they write nothing, but may
   * leave a retry or a failed job behind), and for rows a load holds; see
   * rollbackInFlightWaitMs (operations.ts) for the value every caller uses.
   */
  inFlightWaitMs: number;
  onProgress?: (progress: RollbackProgress) => void;
}

export interface RollbackResult extends RollbackProgress {
  /** The run's status before this rollback (`rolled_back` when it repeats one). */
  previousStatus: RunStatus;
}

/**
 * Coordinated rollback of one run. Every step is idempotent, so running it
 * again after a crash (or twice) finishes the job:
 *
 * 1. the run becomes `rolled_back` (finished_at NULL: "rolling back"): the
 *    enqueuer adds no more rows, the reconciler revives none, requeue refuses;
 * 2. its ledger rows become `rolled_back`, 1,000 per transaction: from then on
 *    the loader refuses them, so no job still in flight can write; a row a
 *    load holds is skipped and taken by a later batch once it commits;
 * 3. its jobs are removed from Redis (waiting, delayed, prioritized, failed);
 * 4. the documents it wrote last are deleted, 1,000 per transaction
 *    (attachments cascade), again skipping and coming back to locked ones;
 * 5. jobs that a worker held are waited for (at most `inFlightWaitMs`) and
 *    whatever they left in Redis removed, documents are swept once more;
 * 6. the run gets its finished_at: rolled back.
 */
export async function rollbackRun(deps: RunOpsDeps, runId: string, options: RollbackOptions): Promise<RollbackResult> {
  const { pool, queue, redis } = deps;
  const batch = options.batchSize ?? ROLLBACK_BATCH;
  const previousStatus = await beginRollback(pool, runId);
  if (previousStatus === undefined) throw new Error(`run ${runId} does not exist`);
  const progress: RollbackProgress = { step: "ledger", ledgerRows: 0, jobsRemoved: 0, documents: 0, activeJobs: 0 };
  const report = (step: RollbackProgress["step"]) => options.onProgress?.({ ...progress, step });

  // Batches skip rows a load holds (see markImportsRolledBack): go on until none is left.
  const drain = async (
    step: "ledger" | "documents",
    batchOnce: () => Promise<number>,
    left: () => Promise<number>,
  ): Promise<void> => {
    let stuckSince: number | undefined;
    for (;;) {
      const n = await batchOnce();
      if (n > 0) {
        if (step === "ledger") progress.ledgerRows += n;
        else progress.documents += n;
        report(step);
        stuckSince = undefined;
        continue;
      }
      if ((await left()) === 0) return;
      stuckSince ??= Date.now();
      if (Date.now() - stuckSince > options.inFlightWaitMs) {
        throw new Error(`rollback of run ${runId}: rows still locked by loads after ${options.inFlightWaitMs} ms; run it again`);
      }
      await sleep(100); // a load in flight holds them; it ends within its attempt's timeout
    }
  };
  const footprint = () => countRunFootprint(pool, runId);

  await drain("ledger", () => markImportsRolledBack(pool, runId, batch), async () => (await footprint()).ledgerRows);

  const removeJobs = async () => {
    const { removed, active } = await removeRunJobs(queue, redis, runId);
    progress.jobsRemoved += removed;
    progress.activeJobs = active;
  };
  await removeJobs();
  report("jobs");

  const deleteDocuments = () =>
    drain("documents", () => deleteRunDocuments(pool, runId, batch), async () => (await footprint()).documents);
  await deleteDocuments();

  const deadline = Date.now() + options.inFlightWaitMs;
  while (progress.activeJobs > 0 && Date.now() < deadline) {
    report("in-flight");
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
    await removeJobs();
  }
  // Belt and braces: a load that committed between steps 2 and 4 was swept by step 4 already.
  await deleteDocuments();
  await finishRollback(pool, runId);
  return { ...progress, step: "documents", previousStatus };
}
