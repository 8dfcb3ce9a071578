import type pg from "pg";
import { checkpointListing, getRun, recordListedPage, type Run } from "@porter/db";
import type { Logger } from "@porter/logger";
import { importJobOptions, queueDepth, type ImportQueue } from "@porter/queue";
import { isStorableText, type Source } from "@porter/source";
import { Demand } from "./demand.js";
import { listPage } from "./list-page.js";
import { StoreRetry } from "./store-retry.js";

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
  highWater: number;
  jobAttempts: number;
  listTimeoutMs: number;
  listAttempts: number;
  backoffBaseMs: number;
  /** Stop listing after this many distinct documents. */
  limit?: number | undefined;
  /** How long a store may be unreachable before the listing fails (STORE_OUTAGE_MS); default 2 minutes. */
  storeOutageMs?: number;
  signal?: AbortSignal;
}

/**
 * Lists the legacy service from the run's checkpoint to the end, a page at a
 * time: writes the page's ledger rows, adds a job per row still `pending`
 * (job id = ledger id, so a page seen twice adds nothing twice), then saves
 * the next cursor. Holds off while the queue is at its high-water mark, so
 * Redis and this process stay small whatever the corpus size.
 */
export async function enqueueRun(deps: EnqueueDeps, runId: string, options: EnqueueOptions): Promise<Run> {
  const { pool, queue, source, logger } = deps;
  // Each store step of a page may run twice (job id = ledger id; the ledger
  // ignores a repeated id), so an outage is waited out, not fatal.
  const stores =
    deps.stores ??
    new StoreRetry(logger, {
      outageMs: options.storeOutageMs ?? 120_000,
      hint: `the run keeps its checkpoint: porter resume ${runId} goes on from it`,
    });
  const signal = options.signal;
  let run = await stores.postgres(() => getRun(pool, runId), signal);
  if (!run) throw new Error(`run ${runId} does not exist`);
  if (run.status !== "listing") return run;

  const demand = new Demand(queue, {
    highWater: options.highWater,
    // Each poll on its own: the waits between polls are no outage.
    depth: () => stores.redis(() => queueDepth(queue), signal),
  });
  const policy = { attempts: options.jobAttempts };
  let cursor = run.cursor;
  let listed = run.listed;
  let room = 0;
  for (;;) {
    signal?.throwIfAborted();
    if (room <= 0) room = await demand.room(signal);
    const page = await listPage(
      source,
      cursor,
      options.pageSize,
      { timeoutMs: options.listTimeoutMs, attempts: options.listAttempts, backoffBaseMs: options.backoffBaseMs },
      logger,
    );
    // An id may be listed twice; the ledger ignores the repeat, and so do we.
    let ids = [...new Set(page.documents.map((d) => d.id))];
    const unstorable = ids.filter((id) => !isStorableText(id));
    if (unstorable.length > 0) {
      // Postgres text cannot hold these ids, so no ledger row can track them;
      // say so loudly rather than fail the whole page.
      logger.error({ runId, ids: unstorable }, "listed ids with NUL or broken unicode cannot be migrated; skipped");
      ids = ids.filter((id) => isStorableText(id));
    }
    const maxNew = options.limit === undefined ? null : Math.max(0, options.limit - listed);
    if (ids.length > 0 && maxNew !== 0) {
      const written = await stores.postgres(() => recordListedPage(pool, runId, ids, maxNew), signal);
      if (!written.listing) {
        // Rolled back (or cancelled) while we listed: the ledger took nothing, so neither do we.
        logger.warn({ runId }, "the run is no longer listing; listing stopped");
        return (await stores.postgres(() => getRun(pool, runId), signal)) as Run;
      }
      const pending = written.rows.filter((row) => row.status === "pending");
      if (pending.length > 0) {
        const jobs = pending.map((row) => ({
          name: "import",
          data: { runId, legacyId: row.legacyId },
          opts: importJobOptions(row.id, policy),
        }));
        await stores.redis(() => queue.addBulk(jobs), signal);
      }
      room -= pending.length;
      listed = written.listed;
    }
    const next = options.limit !== undefined && listed >= options.limit ? null : page.nextCursor;
    await checkpointListing(pool, runId, next);
    if (next === null) break;
    cursor = next;
  }
  run = await stores.postgres(() => getRun(pool, runId), signal);
  logger.info({ runId, listed: run?.listed }, "listing done");
  return run as Run;
}
