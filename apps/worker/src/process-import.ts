import { UnrecoverableError, type Job } from "bullmq";
import type pg from "pg";
import { toArchivedPage } from "@porter/archive";
import { archivePages, type ArchivedPage } from "@porter/db";
import { failureFromPgError, toImportFailure, type ImportFailure, type Stage } from "@porter/failures";
import type { Logger } from "@porter/logger";
import type { ImportJobData } from "@porter/queue";
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
}

/** The job handler: one attempt at one document. */
export type ImportProcessor = (job: Job<ImportJobData, void>, token?: string, cancel?: AbortSignal) => Promise<void>;

/**
 * One attempt: fetch → extract → load, under a hard timeout that aborts the
 * HTTP request and cancels the Postgres statement.
 *
 * Success costs one HTTP request and a share of one Postgres transaction
 * (group commit: see LoadBatcher; the load marks the ledger row too, and
 * archives the page); nothing is logged. A replay reads its pages from the
 * archive instead (run-sources.ts). A failure is written to the ledger
 * with its kind, stage and stack (in a group commit too), then rethrown: permanent kinds as
 * UnrecoverableError so BullMQ fails the job at once, transient ones as they
 * are so the backoff can read a 429's Retry-After.
 */
export function createImportProcessor(deps: ProcessorDeps): ImportProcessor {
  const { pool, logger, jobTimeoutMs, archiveStore } = deps;
  const fixed: RunReading = { source: deps.source, keepPages: false, dryRun: false };
  const sources = deps.sources ?? (() => Promise.resolve(fixed));
  const loader = new LoadBatcher(pool, { maxBatch: deps.maxBatch ?? LOAD_MAX_BATCH, maxInFlight: LOAD_MAX_IN_FLIGHT });
  // Guarded: the watch calls below sit inside the attempt's try, and one that
  // threw would be recorded as the document's failure, even after its load committed.
  const observer = deps.observer && guardObserver(deps.observer, logger);

  return async function processImport(job, _token, cancel) {
    const started = performance.now();
    const attempt = job.attemptsMade + 1;
    const ledgerId = job.id as string;
    const { runId, legacyId, updatedAt } = job.data ?? {};
    if (typeof runId !== "string" || typeof legacyId !== "string") {
      // Its hash was cut short (keys deleted by hand, a flush mid-write): the
      // ledger row stays pending and the reconciler enqueues it again.
      throw new UnrecoverableError(`job ${ledgerId} has no run or legacy id in its data; left to the reconciler`);
    }
    // A plain controller and timer, not AbortSignal.any(AbortSignal.timeout()):
    // on Node 20 a composed signal whose timeout source was garbage-collected
    // never fires, and a hung request then holds its job forever.
    const controller = new AbortController();
    const signal = controller.signal;
    const timer = setTimeout(() => controller.abort(), jobTimeoutMs);
    const onCancel = () => controller.abort(cancel?.reason);
    cancel?.addEventListener("abort", onCancel, { once: true });
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
      await loader.load(
        { ledgerId, runId, attempts: attempt, durationMs, document, transformVersion: TRANSFORM_VERSION, page, dryRun },
        signal,
      );
      page = undefined;
      watch?.succeeded();
    } catch (err) {
      const failure = toImportFailure(err, stage);
      const final = !failure.retryable || attempt >= (job.opts.attempts ?? 1);
      await record(failure, final, performance.now() - started, page);
      watch?.failed(failure, final);
      if (!failure.retryable) throw new UnrecoverableError(`${failure.kind}: ${failure.message}`);
      throw failure;
    } finally {
      reservation?.release();
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
    }

    async function record(failure: ImportFailure, final: boolean, durationMs: number, unsaved: ArchivedPage | undefined): Promise<void> {
      const log = logger.child({ runId, ledgerId, legacyId, attempt });
      const entry = {
        ledgerId,
        attempts: attempt,
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
  };
}

/** The failure's stack, followed by its cause's: where it was thrown and what it came from. */
function stackOf(failure: ImportFailure): string | undefined {
  const cause = failure.cause instanceof Error ? failure.cause.stack : undefined;
  return cause ? `${failure.stack}\nCaused by: ${cause}` : failure.stack;
}
