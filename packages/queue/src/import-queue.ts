import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { BACKOFF_TYPE, IMPORT_JOB_NAME, QUEUE_NAME, type ImportJobData } from "./names.js";
import { FAILED_JOBS_KEPT } from "./tuning.js";

export type ImportQueue = Queue<ImportJobData, void, string>;

export interface JobPolicy {
  attempts: number;
}

export function createImportQueue(connection: Redis, prefix: string): ImportQueue {
  return new Queue<ImportJobData, void, string>(QUEUE_NAME, { connection, prefix });
}

/**
 * Options every import job is added with. Completed jobs are removed at once
 * (the ledger keeps the record), so Redis memory stays flat; failed jobs
 * stay a while for Bull Board, the last FAILED_JOBS_KEPT of them.
 */
export function importJobOptions(ledgerId: string, policy: JobPolicy): JobsOptions {
  return {
    jobId: ledgerId,
    attempts: policy.attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: true,
    removeOnFail: { count: FAILED_JOBS_KEPT },
  };
}

/** A ledger row to (re)enqueue: job id = ledger id. */
export interface LedgerJob {
  id: string;
  runId: string;
  legacyId: string;
  /** The listing's updatedAt for it, as the ledger recorded it. */
  updatedAt?: string | null;
}

/** One import job, as `queue.add` / `queue.addBulk` take it. */
export interface ImportJob {
  name: typeof IMPORT_JOB_NAME;
  data: ImportJobData;
  opts: JobsOptions;
}

/**
 * The import job for one ledger row: the only place a job is built, so the
 * enqueuer, the reconciler and a requeue add the same job for the same row
 * (job id = ledger id, which makes a second add a no-op).
 */
export function importJob(row: LedgerJob, policy: JobPolicy): ImportJob {
  return {
    name: IMPORT_JOB_NAME,
    data: { runId: row.runId, legacyId: row.legacyId, updatedAt: row.updatedAt ?? null },
    opts: importJobOptions(row.id, policy),
  };
}

/** Jobs waiting to start: what the enqueuer keeps under its high-water mark. */
export async function queueDepth(queue: ImportQueue): Promise<number> {
  const counts = await queue.getJobCounts("waiting", "prioritized", "delayed");
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
}
