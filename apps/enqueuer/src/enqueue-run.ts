import type { Redis } from "ioredis";
import type pg from "pg";
import { checkpointListing, getRun, recordListedPage, stopListing, type LedgerRow, type Run } from "@porter/db";
import type { Logger } from "@porter/logger";
import {
  addLedgerJobs,
  firstAttemptJobs,
  jobPresence,
  queueDepth,
  queuedDocuments,
  type ImportQueue,
  type JobPolicy,
} from "@porter/queue";
import { isValidTimestamp, TRANSFORM_VERSION, type ListedDocument, type Source } from "@porter/source";
import { ListingGuard, ListingStopped, StoreRetry, toListedIds, type ListPolicy } from "@porter/runs";
import { Demand } from "./demand.js";
import { PageReader } from "./page-reader.js";

export interface EnqueueDeps {
  pool: pg.Pool;
  queue: ImportQueue;
  source: Source;
  logger: Logger;
  /** Retries store calls through an outage; one per process, shared with the follower. Default: one of its own. */
  stores?: StoreRetry;
}

export interface EnqueueOptions {
  pageSize: number;
  /** QUEUE_HIGH_WATER: documents waiting to start (a chunk job counts as `jobDocuments`). */
  highWater: number;
  /** JOB_DOCUMENTS: documents per job for their first attempt (config.jobDocuments). */
  jobDocuments: number;
  jobAttempts: number;
  /** How each page is read: its timeout, attempts and backoff (listPolicy(config) in @porter/runs). */
  list: ListPolicy;
  /** Stop listing when pages bring no new id for this long, listing time only (LIST_IDLE_TIMEOUT_MS). */
  listIdleTimeoutMs: number;
  /** Stop listing after this many distinct documents. */
  limit?: number | undefined;
  /** How long a store may be unreachable before the listing fails (STORE_OUTAGE_MS). */
  storeOutageMs: number;
  signal?: AbortSignal;
}

/**
 * Lists the legacy service from the run's checkpoint to the end, a page at a
 * time: writes the page's ledger rows, adds the jobs of the rows still
 * `pending` (a job per row, or chunks of `jobDocuments` rows: a job's id is
 * its first row's, so a page seen twice adds nothing twice), then saves
 * the next cursor. Holds off while the queue is at its high-water mark, so
 * Redis and this process stay small whatever the corpus size.
 * Every listed id gets a ledger row: one that cannot be migrated is recorded
 * failed (`invalid_id`) instead of a job; in a changed-only run, one whose
 * document the target holds unchanged is recorded `skipped`, without a job. A listing that would go on for ever
 * (a cursor that comes back, no new id for `listIdleTimeoutMs`) is stopped:
 * the run keeps what was listed and carries the reason (`listingError`).
 */
export async function enqueueRun(deps: EnqueueDeps, runId: string, options: EnqueueOptions): Promise<Run> {
  const { pool, queue, source, logger } = deps;
  // Each store step of a page may run twice (job id = ledger id; the ledger
  // ignores a repeated id), so an outage is waited out, not fatal.
  const stores =
    deps.stores ??
    new StoreRetry(logger, {
      outageMs: options.storeOutageMs,
      hint: `the run keeps its checkpoint: porter resume ${runId} goes on from it`,
    });
  const signal = options.signal;
  const run = await stores.postgres(() => getRun(pool, runId), signal);
  if (!run) throw new Error(`run ${runId} does not exist`);
  if (run.status !== "listing") return run;

  const perJob = Math.max(1, options.jobDocuments);
  const demand = new Demand(queue, {
    highWater: options.highWater,
    // Each poll on its own: the waits between polls are no outage. In documents, as the room is spent.
    depth: () => stores.redis(() => (perJob === 1 ? queueDepth(queue) : queuedDocuments(queue, perJob)), signal),
  });
  const policy = { attempts: options.jobAttempts };
  // A changed-only run skips, page by page, what the target holds unchanged.
  const recordOptions = run.changedOnly ? { skipUnchanged: { transformVersion: TRANSFORM_VERSION } } : {};
  let cursor = run.cursor;
  let listed = run.listed;
  // The first page of a listing that goes on from a checkpoint may hold rows
  // whose jobs were never added (the process stopped between the two).
  let resumed = run.listed > 0;
  let room = 0;
  const guard = new ListingGuard(options.listIdleTimeoutMs, cursor);
  // Not with a limit: the page that fills it is the last one asked for.
  const reader = new PageReader(source, options.pageSize, options.list, logger, (next) => options.limit === undefined && guard.accepts(next));
  try {
    return await listToEnd();
  } finally {
    reader.close();
  }

  async function listToEnd(): Promise<Run> {
    for (;;) {
      signal?.throwIfAborted();
      if (room <= 0) room = await demand.room(signal);
      const started = performance.now();
      const listedBefore = listed;
      const page = await reader.page(cursor);
      reportOddUpdatedAt(page.documents, runId, logger);
      // An id may be listed twice; the ledger ignores the repeat, and so do we.
      const ids = toListedIds(page.documents);
      const maxNew = options.limit === undefined ? null : Math.max(0, options.limit - listed);
      if (ids.length > 0 && maxNew !== 0) {
        const written = await stores.postgres(() => recordListedPage(pool, runId, ids, maxNew, recordOptions), signal);
        if (!written.listing) {
          // Rolled back (or cancelled) while we listed: the ledger took nothing, so neither do we.
          logger.warn({ runId }, "the run is no longer listing; listing stopped");
          return (await stores.postgres(() => getRun(pool, runId), signal)) as Run;
        }
        const pending = written.rows
          .filter((row) => row.status === "pending" && (perJob === 1 || row.fresh))
          .map((row) => ({ id: row.id, runId, legacyId: row.legacyId, updatedAt: row.updatedAt }));
        if (pending.length > 0) {
          const jobs = firstAttemptJobs(runId, pending, perJob, policy);
          await stores.redis(() => queue.addBulk(jobs), signal);
          room -= pending.length;
        }
        if (resumed && perJob > 1) {
          // A job of one document is added again as a no-op (job id = ledger id); a chunk
          // would not be: the rows this page had already get their own job if they have none.
          const old = written.rows.filter((row) => row.status === "pending" && !row.fresh);
          await stores.redis(() => addMissingJobs(queue, old, runId, policy), signal);
        }
        resumed = false;
        listed = written.listed;
      }
      const next = options.limit !== undefined && listed >= options.limit ? null : page.nextCursor;
      try {
        guard.page(listed - listedBefore, performance.now() - started);
        if (next !== null) guard.follow(next);
      } catch (err) {
        if (!(err instanceof ListingStopped)) throw err;
        // The page's rows and jobs are in; the checkpoint stays before the page
        // that went wrong, and the run goes on with what was listed.
        logger.error({ runId, listed, cursor: next }, `listing stopped: ${err.message}`);
        await stores.postgres(() => stopListing(pool, runId, err.message), signal);
        return (await stores.postgres(() => getRun(pool, runId), signal)) as Run;
      }
      await stores.postgres(() => checkpointListing(pool, runId, next), signal);
      if (next === null) break;
      cursor = next;
    }
    const done = await stores.postgres(() => getRun(pool, runId), signal);
    logger.info({ runId, listed: done?.listed }, "listing done");
    return done as Run;
  }
}

/**
 * Adds a job of its own for each row with no job (its own, or in a chunk):
 * on a resumed listing's first page only, so the queue is read once.
 */
async function addMissingJobs(queue: ImportQueue, rows: readonly LedgerRow[], runId: string, policy: JobPolicy): Promise<void> {
  if (rows.length === 0) return;
  // The connection the queue was created on (createImportQueue passes an ioredis client).
  const redis = queue.opts.connection as Redis;
  const presence = await jobPresence(queue, redis, rows.map((r) => r.id));
  const missing = rows.filter((r) => presence.get(r.id) === "missing").map((r) => ({ id: r.id, runId, legacyId: r.legacyId, updatedAt: r.updatedAt }));
  await addLedgerJobs(queue, redis, missing, policy);
}

/**
 * The document is migrated whatever the listing says of its updatedAt (the
 * page holds its own), but a value that is not a timestamp means the source
 * is not what it claims: one line per page names them.
 */
function reportOddUpdatedAt(documents: readonly ListedDocument[], runId: string, logger: Logger): void {
  const odd = documents.filter((d) => typeof d.updatedAt !== "string" || !isValidTimestamp(d.updatedAt));
  if (odd.length === 0) return;
  logger.warn(
    // null for an absent value, so the line shows it; at most 20 named per page
    { runId, count: odd.length, documents: odd.slice(0, 20).map((d) => ({ id: d.id, updatedAt: d.updatedAt ?? null })) },
    `${odd.length} listed documents have an updatedAt that is not an ISO-8601 timestamp; migrated anyway, \`porter verify\` cannot tell whether they are stale`,
  );
}
