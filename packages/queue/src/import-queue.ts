import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { BACKOFF_TYPE, QUEUE_NAME, type ImportJobData } from "./names.js";

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
 * stay a while for Bull Board, capped by count.
 */
export function importJobOptions(ledgerId: string, policy: JobPolicy): JobsOptions {
  return {
    jobId: ledgerId,
    attempts: policy.attempts,
    backoff: { type: BACKOFF_TYPE },
    removeOnComplete: true,
    removeOnFail: { count: 5_000 },
  };
}

/** Jobs waiting to start: what the enqueuer keeps under its high-water mark. */
export async function queueDepth(queue: ImportQueue): Promise<number> {
  const counts = await queue.getJobCounts("waiting", "prioritized", "delayed");
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
}
