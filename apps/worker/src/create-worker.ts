import { MetricsTime, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type pg from "pg";
import type { Config } from "@porter/config";
import { recordFailure } from "@porter/db";
import { connectionLoss, ImportFailure } from "@porter/failures";
import type { Logger } from "@porter/logger";
import {
  backoffDelay,
  CHUNK_JOB_NAME,
  createImportQueue,
  QUEUE_NAME,
  type ChunkJobData,
  type ImportJobData,
  type QueueJobData,
} from "@porter/queue";
import type { Source } from "@porter/source";
import type { AttemptObserver } from "./attempt-observer.js";
import { ByteBudget } from "./byte-budget.js";
import { handOutChunk } from "./hand-out-chunk.js";
import { createImportProcessor, LOCK_LOST } from "./process-import.js";
import type { RunReading } from "./run-sources.js";
import { MAX_STALLED_COUNT } from "./tuning.js";

export interface WorkerDeps {
  config: Config;
  logger: Logger;
  connection: Redis;
  pool: pg.Pool;
  source: Source;
  /** Each run's source (createRunSources); unset: `source` for every run, nothing archived. */
  sources?: (runId: string) => Promise<RunReading>;
  /** The archive's own database (ARCHIVE_DATABASE_URL); see ProcessorDeps. */
  archiveStore?: pg.Pool;
  /** Metrics for every attempt (see metrics.ts); none when unset. */
  observer?: AttemptObserver;
}

export type ImportWorker = Worker<QueueJobData, void, string>;

/** A BullMQ worker for the import queue, not yet running (call `run()`). */
export function createImportWorker(deps: WorkerDeps): ImportWorker {
  const { config, logger, connection, pool, source } = deps;
  // One budget for all the jobs of this worker: the pages they hold together stay within MAX_INFLIGHT_BYTES.
  const memory = new ByteBudget(config.maxInflightBytes);
  // Where chunk jobs add their documents' retries; closed with the worker.
  const queue = createImportQueue(connection, config.queuePrefix);
  queue.on("error", () => {}); // the worker reports the connection's errors
  let closing = false;
  const policy = { attempts: config.jobAttempts };
  const processor = createImportProcessor({
    pool,
    source,
    logger,
    jobTimeoutMs: config.jobTimeoutMs,
    observer: deps.observer,
    memory,
    sources: deps.sources,
    archiveStore: deps.archiveStore,
    chunks: { queue, jobAttempts: config.jobAttempts, backoffBaseMs: config.backoffBaseMs, draining: () => closing },
  });
  const worker = new Worker<QueueJobData, void, string>(QUEUE_NAME, processor, {
    connection,
    prefix: config.queuePrefix,
    concurrency: config.workerConcurrency,
    autorun: false,
    // A worker that dies (SIGKILL, OOM) stops renewing its locks; after
    // lockDuration the stalled check of any live worker puts its jobs back.
    lockDuration: config.stalledIntervalMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: MAX_STALLED_COUNT,
    // Jobs completed and failed per minute, for Bull Board's throughput chart: counted
    // inside the script that finishes a job, a week of minutes kept (tens of KB of Redis).
    metrics: { maxDataPoints: MetricsTime.ONE_WEEK },
    ...(config.legacyMaxRps === undefined ? {} : { limiter: { max: config.legacyMaxRps, duration: 1_000 } }),
    settings: {
      // A document's own job after a chunk's attempt counts on from it.
      backoffStrategy: (attemptsMade, _type, err, job) =>
        backoffDelay(
          attemptsMade + priorAttempts(job?.data),
          config.backoffBaseMs,
          err instanceof ImportFailure ? err : undefined,
        ),
    },
  });

  worker.on("closing", () => {
    closing = true;
  });
  worker.on("closed", () => {
    void queue.close().catch(() => {});
  });

  // A job whose lock this worker could not renew is no longer its own: another worker
  // took it, or the stalled check will put it back. A chunk stops after its current
  // document (LOCK_LOST); whoever runs it next leaves out what was attempted.
  worker.on("lockRenewalFailed", (jobIds) => {
    for (const id of jobIds) worker.cancelJob(id, LOCK_LOST);
    logger.warn({ jobIds }, `lost the lock of ${jobIds.length} job(s): their chunks stop after the current document, and the next holder does the rest`);
  });

  worker.on("error", (err) => {
    // A lost Redis connection is reported once by watchRedis, not per reconnect attempt.
    if (connectionLoss(err) !== undefined) return;
    // BullMQ's own lines for a lost lock: the renewal, then the finish it refuses; said above.
    if (/^(could not renew lock for job|Missing lock for job|Lock mismatch for job)/.test(err.message)) {
      logger.warn({ err }, err.message);
      return;
    }
    logger.error({ err }, "worker error");
  });

  // Failures the processor did not see (a job that stalled more than
  // MAX_STALLED_COUNT times, e.g. a document that crashes its worker each time)
  // still reach the ledger. Rare, so the extra round trip is fine here.
  // A listener must not throw (BullMQ calls it from its own job handling):
  // what can fail runs in `record`, whose errors end in a log line.
  worker.on("failed", (job, err) => {
    if (!job) return;
    if (job.name === CHUNK_JOB_NAME) {
      // Whatever the error: its documents' own failures never fail a chunk.
      const handOut = async () => {
        if ((await job.getState()) !== "failed") return; // it will be tried again
        const data = job.data as Partial<ChunkJobData> | undefined;
        const added = await handOutChunk(pool, queue, connection, data, policy);
        logger.warn(
          { err, jobId: job.id, runId: data?.runId, documents: added },
          `chunk job failed (${err.message}); its ${added} unattempted documents get a job each`,
        );
      };
      handOut().catch((e: unknown) =>
        logger.error({ err: e, jobId: job.id }, "could not give the documents of a failed chunk a job each; left to the reconciler"),
      );
      return;
    }
    // A job that stalled past the limit is failed by BullMQ on its next start, with an
    // UnrecoverableError of its own and without an attempt (job.deferredFailure): the one
    // UnrecoverableError the processor has not recorded already.
    const stalledOut = Boolean(job.deferredFailure);
    if (!stalledOut && (err instanceof ImportFailure || err instanceof UnrecoverableError)) return;
    // Its data may be missing (a hash cut short).
    const data = job.data as Partial<ImportJobData> | undefined;
    const log = logger.child({ runId: data?.runId, ledgerId: job.id, legacyId: data?.legacyId });
    const record = async () => {
      if ((await job.getState()) !== "failed") return; // it will be tried again
      log.warn({ err }, `document failed outside its attempt: ${err.message}`);
      await recordFailure(pool, {
        ledgerId: job.id as string,
        // Counted on from a chunk's attempt; a stalled-out job's last start made none.
        attempts: priorAttempts(data) + (stalledOut ? Math.max(job.attemptsStarted - 1, job.attemptsMade) : job.attemptsMade),
        kind: "unknown",
        stage: undefined,
        message: err.message,
        stacktrace: err.stack,
        durationMs: 0,
        final: true,
      });
    };
    record().catch((e: unknown) => log.error({ err: e }, "could not record the failure in the ledger"));
  });

  return worker;
}

/** Attempts a document made before its job (in a chunk): 0 for any other job. */
function priorAttempts(data: unknown): number {
  const prior = (data as Partial<ImportJobData> | undefined)?.priorAttempts;
  return typeof prior === "number" && prior > 0 ? prior : 0;
}
