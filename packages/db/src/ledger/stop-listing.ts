import type { Queryable } from "../pool.js";

/**
 * Ends a run's listing before the listing's own end (a cursor that comes back,
 * pages that bring nothing new): $1 run id, $2 why, in words an operator can act on.
 * The run moves from `listing` to `running`, so what was listed is migrated
 * and the run completes; `listing_error` says it is not the whole listing.
 * The cursor stays at the last checkpoint, where the listing went wrong.
 */
export async function stopListing(db: Queryable, runId: string, reason: string): Promise<void> {
  await db.query(
    `UPDATE import_runs
        SET listing_error = $2,
            status = CASE WHEN status = 'listing' THEN 'running'::run_status ELSE status END,
            listed_at = coalesce(listed_at, now()),
            updated_at = now()
      WHERE id = $1`,
    [runId, reason],
  );
}
