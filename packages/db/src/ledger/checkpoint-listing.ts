import type { Queryable } from "../pool.js";

/**
 * Saves where the listing goes on, after a page's jobs are in the queue.
 * $1 run id, $2 the next page's cursor. With no next page (null) the
 * listing is over: the run moves from `listing` to `running`.
 */
export async function checkpointListing(db: Queryable, runId: string, nextCursor: string | null): Promise<void> {
  await db.query(
    `UPDATE import_runs
        SET cursor = $2,
            status = CASE WHEN $2::text IS NULL AND status = 'listing' THEN 'running'::run_status ELSE status END,
            listed_at = CASE WHEN $2::text IS NULL THEN now() ELSE listed_at END,
            updated_at = now()
      WHERE id = $1`,
    [runId, nextCursor],
  );
}
