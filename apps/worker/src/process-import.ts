import { UnrecoverableError, type Job, type JobsOptions } from "bullmq";
import type pg from "pg";
import { toArchivedPage } from "@porter/archive";
import { archivePages, findUntried, type ArchivedPage } from "@porter/db";
import { failureFromPgError, toImportFailure, type ImportFailure, type Stage } from "@porter/failures";
import type { Logger } from "@porter/logger";
import {
  backoffDelay,
  CHUNK_JOB_NAME,
  firstAttemptJobs,
  retryJob,
  type ChunkDocument,
  type ChunkJobData,
  type ImportJob,
  type ImportJobData,
  type ImportQueue,
  type QueueJobData,
} from "@porter/queue";
import { extractDocument, pageText, TRANSFORM_VERSION, type FetchedPage, type Source } from "@porter/source";
import { guardObserver, type AttemptObserver } from "./attempt-observer.js";
import type { ByteBudget } from "./byte-budget.js";
import { LoadBatcher } from "./load-batcher.js";
import type { RunReading } from "./run-sources.js";
import { LOAD_MAX_BATCH, LOAD_MAX_IN_FLIGHT } from "./tuning.js";

export interface ProcessorDeps {
  pool: pg.Pool;
  source: Source;
  logger: Logger;
  jobTimeoutMs: number;
  /** Group commit: most documents per transaction (1 = a transaction each); default LOAD_MAX_BATCH. */
  maxBatch?: number;
  /** Metrics: told when each attempt starts, changes stage and ends (in memory only; a throw is logged, never the attempt's). */
  observer?: AttemptObserver;
  /** MAX_INFLIGHT_BYTES: a page's bytes count from its read until its document is loaded or failed; unset: unbounded. */
  memory?: ByteBudget;
  /** Each run's source and whether its pages are archived (createRunSources); unset: `source`, nothing archived. */
  sources?: (runId: string) => Promise<RunReading>;
  /**
   * The archive's own database (ARCHIVE_DATABASE_URL): a page is written there as soon as it is
   * fetched. Unset: the archive is in the target database, and a page goes in the transaction
   * that loads its document (or records its failure).
   */
  archiveStore?: pg.Pool;
  /** What chunk jobs need; unset: a chunk job fails at once (jobs of one document only). */
  chunks?: ChunkDeps;
}

/** How a worker goes on with a chunk's documents: what it needs to add their own jobs. */
export interface ChunkDeps {
  /** Where a document's retry job, or a chunk's unattempted rest, is added. */
  queue: ImportQueue;
  /** JOB_ATTEMPTS: a document's attempts in all, its chunk's first one included. */
  jobAttempts: number;
  /** BACKOFF_BASE_MS: the wait before a document's second attempt, as for any job. */
  backoffBaseMs: number;
  /** True once the worker is closing: a chunk hands back what it has not started. */
  draining: () => boolean;
}

/** The job handler: one attempt at one document, or first attempts at a chunk's documents. */
export type ImportProcessor = (job: Job<QueueJobData, void>, token?: string, cancel?: AbortSignal) => Promise<void>;

/** One document to attempt: its ledger row and the attempt's number. */
interface Attempt {
  ledgerId: string;
  runId: string;
  legacyId: string;
  updatedAt: string | null | undefined;
  /** 1 for the first. */
  number: number;
  /** The attempt's number beyond which none is made (JOB_ATTEMPTS). */
  last: number;
}

/**
 * One attempt: fetch → extract → load, under a hard timeout that aborts the
 * HTTP request and cancels the Postgres statement.
 *
 * Success costs one HTTP request and a share of one Postgres transaction
 * (group commit: see LoadBatcher; the load marks the ledger row too, and
 * archives the page); nothing is logged. A replay reads its pages from the
 * archive instead (run-sources.ts). A failure is written to the ledger
 * with its kind, stage and stack (in a group commit too).
 *
 * A job of one document rethrows its failure: permanent kinds as
 * UnrecoverableError so BullMQ fails the job at once, transient ones as they
 * are so the backoff can read a 429's Retry-After. A chunk job attempts its
 * documents one after the other, so it holds one document in flight as a job
 * of one does; a document that fails transiently gets a job of its own,
 * delayed by the backoff, before the chunk goes on (and before it ends, so
 * the reconciler always finds one or the other); one that fails for good is
 * only recorded. Per document, the chunk saves BullMQ's round trips.
 */
export function createImportProcessor(deps: ProcessorDeps): ImportProcessor {
  const { pool, logger, jobTimeoutMs, archiveStore } = deps;
  const fixed: RunReading = { source: deps.source, keepPages: false, dryRun: false };
  const sources = deps.sources ?? (() => Promise.resolve(fixed));
  const loader = new LoadBatcher(pool, { maxBatch: deps.maxBatch ?? LOAD_MAX_BATCH, maxInFlight: LOAD_MAX_IN_FLIGHT });
  // Guarded: the watch calls below sit inside the attempt's try, and one that
  // threw would be recorded as the document's failure, even after its load committed.
  const observer = deps.observer && guardObserver(deps.observer, logger);

  // `cancel` is aborted when the job's lock is lost (create-worker.ts): the document in
  // flight finishes (its load is as right as anyone's), a chunk takes no next one.
  return async function processImport(job, _token, cancel) {
    if (job.name === CHUNK_JOB_NAME) return processChunk(job as Job<ChunkJobData, void>, cancel);
    const ledgerId = job.id as string;
    const { runId, legacyId, updatedAt, priorAttempts } = (job.data ?? {}) as Partial<ImportJobData>;
    if (typeof runId !== "string" || typeof legacyId !== "string") {
      // Its hash was cut short (keys deleted by hand, a flush mid-write): the
      // ledger row stays pending and the reconciler enqueues it again.
      throw new UnrecoverableError(`job ${ledgerId} has no run or legacy id in its data; left to the reconciler`);
    }
    const prior = priorAttempts ?? 0;
    const failure = await attempt({ ledgerId, runId, legacyId, updatedAt, number: prior + job.attemptsMade + 1, last: prior + (job.opts.attempts ?? 1) });
    if (failure === undefined || failure === REFUSED) return;
    if (!failure.retryable) throw new UnrecoverableError(`${failure.kind}: ${failure.message}`);
    throw failure;
  };

  async function processChunk(job: Job<ChunkJobData, void>, cancel: AbortSignal | undefined): Promise<void> {
    const { runId, documents } = (job.data ?? {}) as Partial<ChunkJobData>;
    if (typeof runId !== "string" || !Array.isArray(documents)) {
      throw new UnrecoverableError(`chunk job ${job.id} has no run or documents in its data; left to the reconciler`);
    }
    const chunks = deps.chunks;
    if (!chunks) throw new UnrecoverableError(`chunk job ${job.id}: this processor takes jobs of one document only`);
    // A chunk that runs again (its worker died, or it could not start) leaves out what was
    // attempted. BullMQ counts each start (attemptsStarted); on the first, every row is untried:
    // the enqueuer chunks only the rows a page wrote, and a hand-back only unstarted ones.
    const again = job.attemptsStarted > 1 || job.attemptsMade > 0 || job.stalledCounter > 0;
    const untried = again
      ? await findUntried(pool, documents.map((d) => d.id)).catch((err: unknown) => {
          throw failureFromPgError(err, `look up the ${documents.length} documents of job ${job.id}`, "fetch");
        })
      : undefined;
    let todo = untried ? documents.filter((d) => untried.has(d.id)) : documents;
    const policy = { attempts: chunks.jobAttempts };
    for (let i = 0; i < todo.length; i++) {
      const doc = todo[i] as ChunkDocument;
      if (i > 0 && cancel?.aborted) {
        // Not this worker's any more (LOCK_LOST): the job runs again elsewhere, leaving out what was attempted here.
        logger.warn({ runId, jobId: job.id, done: i, left: todo.length - i, reason: String(cancel.reason) }, "chunk stopped: its lock was lost");
        return;
      }
      if (i > 0 && chunks.draining()) {
        // Closing: the rest goes back to the queue as a chunk of its own, so shutdown waits for one document, not a chunk.
        const rest = todo.slice(i).map((d) => ({ ...d, runId }));
        await chunks.queue.addBulk(firstAttemptJobs(runId, rest, rest.length, policy));
        return;
      }
      const failure = await attempt({ ledgerId: doc.id, runId, legacyId: doc.legacyId, updatedAt: doc.updatedAt, number: 1, last: chunks.jobAttempts });
      if (failure === REFUSED) {
        // Its row was cancelled or rolled back meanwhile, and so, most likely, were the rest
        // (`porter cancel` cannot remove an active job): fetch only those still pending.
        const rest = todo.slice(i + 1);
        const pending = await findUntried(pool, rest.map((d) => d.id)).catch((err: unknown) => {
          throw failureFromPgError(err, `look up the ${rest.length} documents left in job ${job.id}`, "fetch");
        });
        todo = [...todo.slice(0, i + 1), ...rest.filter((d) => pending.has(d.id))];
        continue;
      }
      if (!failure?.retryable || chunks.jobAttempts <= 1) continue;
      const delay = backoffDelay(1, chunks.backoffBaseMs, failure);
      try {
        await chunks.queue.add(...spread(retryJob({ id: doc.id, runId, legacyId: doc.legacyId, updatedAt: doc.updatedAt }, 1, delay, policy)));
      } catch (err) {
        // Its ledger row stays pending with one attempt: the reconciler adds its job once the grace period is over.
        logger.error({ err, runId, ledgerId: doc.id, legacyId: doc.legacyId }, "could not add the retry job of a document; left to the reconciler");
      }
    }
  }

  /**
   * One attempt at one document; resolves with its failure (already recorded), undefined when
   * it loaded, or REFUSED when the ledger took nothing because its row is cancelled or rolled back.
   */
  async function attempt(a: Attempt): Promise<ImportFailure | typeof REFUSED | undefined> {
    const started = performance.now();
    const { ledgerId, runId, legacyId, updatedAt } = a;
    // A plain controller and timer, not AbortSignal.any(AbortSignal.timeout()):
    // on Node 20 a composed signal whose timeout source was garbage-collected
    // never fires, and a hung request then holds its job forever.
    const controller = new AbortController();
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(), jobTimeoutMs);
    let stage: Stage = "fetch";
    const watch = observer?.start();
    const reservation = deps.memory?.open();
    // The page to archive until a transaction has taken it.
    let page: ArchivedPage | undefined;
    try {
      const { source, keepPages, dryRun } = await sources(runId).catch((err: unknown) => {
        throw failureFromPgError(err, `look up run ${runId}`, "fetch");
      });
      let fetched: FetchedPage | undefined = await source.fetchPage(legacyId, signal, reservation);
      if (keepPages) page = toArchivedPage(fetched, { runId, legacyId, updatedAt });
      if (page && archiveStore) {
        // Its own database takes it, or nothing does: the failure path must not put it in the target's.
        const kept = page;
        page = undefined;
        // An archive database that is down is retried like the target's (db_unavailable).
        await archivePages(archiveStore, [kept]).catch((err: unknown) => {
          throw failureFromPgError(err, `archive the page of ${JSON.stringify(legacyId)}`, "fetch");
        });
      }
      stage = "extract";
      watch?.enter(stage);
      const document = extractDocument(pageText(fetched, legacyId), legacyId);
      // Not held while the document waits for its load, unless the archive still needs it (`page`).
      fetched = undefined;
      stage = "load";
      watch?.enter(stage);
      const durationMs = performance.now() - started;
      const loaded = await loader.load(
        { ledgerId, runId, attempts: a.number, durationMs, document, transformVersion: TRANSFORM_VERSION, page, dryRun },
        signal,
      );
      page = undefined;
      if (!loaded) {
        watch?.refused();
        return REFUSED;
      }
      watch?.succeeded();
      return undefined;
    } catch (err) {
      const failure = toImportFailure(err, stage);
      const final = !failure.retryable || a.number >= a.last;
      await record(a, failure, final, performance.now() - started, page);
      watch?.failed(failure, final);
      return failure;
    } finally {
      reservation?.release();
      clearTimeout(timer);
    }
  }

  async function record(a: Attempt, failure: ImportFailure, final: boolean, durationMs: number, unsaved: ArchivedPage | undefined): Promise<void> {
    const log = logger.child({ runId: a.runId, ledgerId: a.ledgerId, legacyId: a.legacyId, attempt: a.number });
    const entry = {
      ledgerId: a.ledgerId,
      attempts: a.number,
      kind: failure.kind,
      stage: failure.stage,
      message: failure.message,
      stacktrace: stackOf(failure),
      durationMs,
      final,
    };
    try {
      // A page that came with 200 is kept even when its document failed: a later fix may read it.
      // Recorded with the next group commit (LoadBatcher.record), not in a transaction of its own.
      await loader.record({ record: entry, page: unsaved }).catch(async (err: unknown) => {
        if (!unsaved) throw err;
        log.warn({ err }, "could not archive the page of a failed attempt; recording the failure alone");
        await loader.record({ record: entry });
      });
    } catch (err) {
      // The job still fails and is retried or kept by BullMQ; the reconciler
      // brings the ledger back in line. Never let this hide the real failure.
      log.error({ err }, "could not record the failure in the ledger");
    }
    if (final) log.warn({ kind: failure.kind, stage: failure.stage }, `document failed: ${failure.message}`);
    else log.debug({ kind: failure.kind, stage: failure.stage }, `attempt failed, will retry: ${failure.message}`);
  }
}

/** The reason a job is cancelled with when its worker could not renew its lock. */
export const LOCK_LOST = "lock lost";

/** An attempt whose load the ledger refused: the document's row is no longer wanted (cancelled, rolled back, gone). */
const REFUSED = "refused";

/** queue.add's arguments for a job as addBulk takes it. */
function spread(job: ImportJob): [string, ImportJobData, JobsOptions] {
  return [job.name, job.data, job.opts];
}

/** The failure's stack, followed by its cause's: where it was thrown and what it came from. */
function stackOf(failure: ImportFailure): string | undefined {
  const cause = failure.cause instanceof Error ? failure.cause.stack : undefined;
  return cause ? `${failure.stack}\nCaused by: ${cause}` : failure.stack;
}
