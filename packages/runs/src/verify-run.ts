import type pg from "pg";
import {
  addListedPage,
  compareWithListing,
  createListingSnapshot,
  dropListingSnapshot,
  type DifferenceSample,
  type Run,
} from "@porter/db";
import type { Logger } from "@porter/logger";
import { isValidTimestamp, type Source } from "@porter/source";
import { listPage, type ListPolicy } from "./list-page.js";
import { toListedId } from "./listed-ids.js";
import { ListingGuard } from "./listing-guard.js";

export interface VerifyDeps {
  pool: pg.Pool;
  source: Source;
  logger: Logger;
}

export interface VerifyOptions {
  pageSize: number;
  list: ListPolicy;
  /** Ids reported per class of difference (the counts are always exact). */
  sampleSize: number;
  /** Give up when pages bring no new id for this long, listing time only (LIST_IDLE_TIMEOUT_MS). */
  listIdleTimeoutMs: number;
  onPage?: (listedSoFar: number) => void;
}

export interface VerifyReport {
  runId: string;
  /** True when nothing is missing, failed, extra or stale. */
  agree: boolean;
  /** Distinct ids listed (for a run with --limit: those the run had listed). */
  listed: number;
  /** Listed, but not in the target. */
  missing: DifferenceSample;
  /** Listed, not in the target, and failed for good in this run (see `porter failures`). */
  failed: DifferenceSample;
  /** Written by this run, but no longer listed. */
  extra: DifferenceSample;
  /** In the target, but changed at the source since it was loaded (legacy updatedAt later). */
  stale: DifferenceSample;
}

/**
 * Lists the legacy service again, page by page, into a temporary table and
 * compares it with the target in SQL (see listing-snapshot.ts). Memory stays
 * flat; the listing's transient faults are retried as the enqueuer does.
 * Ids that cannot be migrated are compared in the form the enqueuer records
 * them (escaped, failed `invalid_id`); a listing updatedAt that is not a valid
 * timestamp is never counted stale. A listing that would not end (see
 * ListingGuard) fails the verification: its answer could not be trusted.
 */
export async function verifyRun(deps: VerifyDeps, run: Run, options: VerifyOptions): Promise<VerifyReport> {
  const client = await deps.pool.connect();
  let broken = false;
  try {
    await createListingSnapshot(client);
    let cursor: string | null = null;
    let seen = 0;
    const guard = new ListingGuard(options.listIdleTimeoutMs, null);
    do {
      const started = performance.now();
      const page = await listPage(deps.source, cursor, options.pageSize, options.list, deps.logger);
      const { documents } = page;
      const added =
        documents.length === 0
          ? 0
          : await addListedPage(
              client,
              documents.map((d) => toListedId(d.id)),
              documents.map((d) => (typeof d.updatedAt === "string" && isValidTimestamp(d.updatedAt) ? d.updatedAt : null)),
            );
      seen += documents.length;
      options.onPage?.(seen);
      guard.page(added, performance.now() - started);
      cursor = page.nextCursor;
      if (cursor !== null) guard.follow(cursor);
    } while (cursor !== null);
    const comparison = await compareWithListing(client, run.id, {
      sampleSize: options.sampleSize,
      onlyRunIds: run.options.limit !== undefined && run.options.limit !== null,
    });
    await dropListingSnapshot(client);
    const { missing, failed, extra, stale } = comparison;
    return {
      runId: run.id,
      agree: missing.count + failed.count + extra.count + stale.count === 0,
      ...comparison,
    };
  } catch (err) {
    // The session may be mid-statement: do not hand it back to the pool.
    broken = true;
    throw err;
  } finally {
    client.release(broken);
  }
}
