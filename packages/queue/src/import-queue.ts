import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import {
  BACKOFF_TYPE,
  CHUNK_JOB_NAME,
  IMPORT_JOB_NAME,
  QUEUE_NAME,
  type ChunkJobData,
  type ImportJobData,
  type QueueJobData,
} from "./names.js";
import { jobIdsIn } from "./job-lists.js";
import { FAILED_JOBS_KEPT } from "./tuning.js";

export type ImportQueue = Queue<QueueJobData, void, string>;

export interface JobPolicy {
  attempts: number;
}

export function createImportQueue(connection: Redis, prefix: string): ImportQueue {
  return new Queue<QueueJobData, void, string>(QUEUE_NAME, { connection, prefix });
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
  /**
   * Attempts the ledger counts already (a row revived after its job was lost): its job makes
   * only those the policy has left (at least one) and counts on from them. Unset: none.
   */
  attempts?: number;
}

/** One import job, as `queue.add` / `queue.addBulk` take it. */
export interface ImportJob {
  name: typeof IMPORT_JOB_NAME;
  data: ImportJobData;
  opts: JobsOptions;
}

/** One chunk job, as `queue.addBulk` takes it. */
export interface ChunkJob {
  name: typeof CHUNK_JOB_NAME;
  data: ChunkJobData;
  opts: JobsOptions;
}

/** What a chunk job's id starts with; a ledger id (a uuid) never does. */
export const CHUNK_JOB_ID_PREFIX = "chunk-";

/** The job id of the chunk that starts with this ledger row (BullMQ ids may not hold ':'). */
export function chunkJobId(firstLedgerId: string): string {
  return `${CHUNK_JOB_ID_PREFIX}${firstLedgerId}`;
}

/**
 * The jobs for a page's new ledger rows of one run: a job per row when
 * `perJob` is 1, else chunks of `perJob` rows, each one job whose id is
 * its first row's (so a page written twice adds nothing twice). A chunk job
 * makes each document's first attempt; a document that fails it
 * transiently gets a job of its own (retryJob). A chunk itself fails only
 * when it cannot start (the ledger unreachable): retried like a document.
 */
export function firstAttemptJobs(runId: string, rows: readonly LedgerJob[], perJob: number, policy: JobPolicy): (ImportJob | ChunkJob)[] {
  if (perJob <= 1) return rows.map((row) => importJob(row, policy));
  const jobs: ChunkJob[] = [];
  for (let start = 0; start < rows.length; start += perJob) {
    const chunk = rows.slice(start, start + perJob);
    jobs.push({
      name: CHUNK_JOB_NAME,
      data: { runId, documents: chunk.map((r) => ({ id: r.id, legacyId: r.legacyId, updatedAt: r.updatedAt ?? null })) },
      opts: { ...importJobOptions(chunk[0]!.id, policy), jobId: chunkJobId(chunk[0]!.id) },
    });
  }
  return jobs;
}

/**
 * The job that goes on with a document after a chunk's attempt at it failed
 * transiently: job id = ledger id, as every one-document job; it starts
 * after `delayMs` (the backoff) and has the attempts left of the policy.
 */
export function retryJob(row: LedgerJob, priorAttempts: number, delayMs: number, policy: JobPolicy): ImportJob {
  const job = importJob({ ...row, attempts: priorAttempts }, policy);
  return { ...job, opts: { ...job.opts, delay: delayMs } };
}

/**
 * The import job for one ledger row: the only place a job is built, so the
 * enqueuer, the reconciler and a requeue add the same job for the same row
 * (job id = ledger id, which makes a second add a no-op).
 */
export function importJob(row: LedgerJob, policy: JobPolicy): ImportJob {
  const prior = row.attempts ?? 0;
  return {
    name: IMPORT_JOB_NAME,
    data: { runId: row.runId, legacyId: row.legacyId, updatedAt: row.updatedAt ?? null, ...(prior > 0 ? { priorAttempts: prior } : {}) },
    opts: importJobOptions(row.id, { ...policy, attempts: Math.max(1, policy.attempts - prior) }),
  };
}

/**
 * Documents waiting to start (waiting, prioritized or delayed), counting a
 * chunk job as `perChunk` of them (JOB_DOCUMENTS; its page's last chunk may
 * hold fewer) and any other job as one: what the enqueuer keeps under
 * QUEUE_HIGH_WATER when it adds chunks. Job counts alone would weigh a
 * document's retry job as a whole chunk. One MULTI reads the ids, bounded
 * by the high-water mark (a few hundred chunks and the retries waiting).
 */
export async function queuedDocuments(queue: ImportQueue, perChunk: number): Promise<number> {
  const redis = queue.opts.connection as Redis;
  await queue.waitUntilReady();
  let documents = 0;
  for (const id of await jobIdsIn(queue, redis, ["delayed", "prioritized", "wait", "paused"])) {
    documents += id.startsWith(CHUNK_JOB_ID_PREFIX) ? perChunk : 1;
  }
  return documents;
}

/** Jobs waiting to start: what the enqueuer keeps under its high-water mark when each job is one document. */
export async function queueDepth(queue: ImportQueue): Promise<number> {
  const counts = await queue.getJobCounts("waiting", "prioritized", "delayed");
  return (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0);
}
