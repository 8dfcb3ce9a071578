import type { Queryable } from "../pool.js";
import type { RunStatus } from "./types.js";

/**
 * Cancels a run that is `listing` or `running`, in one statement: its
 * unfinished rows (`pending`, `running`) become `cancelled`, the run
 * `cancelled` with its end time, and the span of work that ends here is
 * added to its working time. The run row is locked first, so the enqueuer's
 * next page (recordListedPage) finds it no longer listing and stops, and no
 * requeue or rollback interleaves. A row in flight that a worker finishes
 * afterwards is recorded as what it became (succeeded, failed).
 * $1 run id. Returns the status the run had and the rows cancelled; undefined
 * when there is no such run; a run in another status is left as it is (0 rows).
 */
export async function cancelRun(db: Queryable, runId: string): Promise<{ was: RunStatus; rows: number } | undefined> {
  const { rows } = await db.query(
    `WITH run AS (
       SELECT id, status FROM import_runs WHERE id = $1 FOR UPDATE
     ), unfinished AS (
       UPDATE service_imports s SET status = 'cancelled', finished_at = now(), updated_at = now()
         FROM run
        WHERE s.run_id = run.id AND run.status IN ('listing', 'running') AND s.status IN ('pending', 'running')
       RETURNING s.id
     ), marked AS (
       UPDATE import_runs r
          SET status = 'cancelled', finished_at = now(), updated_at = now(),
              active_ms = active_ms + (extract(epoch FROM now() - coalesce(resumed_at, started_at)) * 1000)::bigint
         FROM run
        WHERE r.id = run.id AND run.status IN ('listing', 'running')
     )
     SELECT run.status AS was, (SELECT count(*) FROM unfinished)::int AS rows FROM run`,
    [runId],
  );
  const row = rows[0] as { was: RunStatus; rows: number } | undefined;
  return row && { was: row.was, rows: row.rows };
}

/**
 * Reopens a cancelled run for `porter resume`: its `cancelled` rows are
 * `pending` again (attempts kept), the run `listing` again when its listing
 * was not over (it resumes from its checkpoint), else `running`, and a new
 * span of work begins. Returns the rows now pending, for their jobs.
 * $1 run id; nothing happens to a run that is not cancelled.
 */
export async function reopenCancelled(
  db: Queryable,
  runId: string,
): Promise<{ id: string; runId: string; legacyId: string; updatedAt: string | null }[]> {
  const { rows } = await db.query(
    `WITH run AS (
       SELECT id FROM import_runs WHERE id = $1 AND status = 'cancelled' FOR UPDATE
     ), reopened AS (
       UPDATE service_imports s SET status = 'pending', finished_at = NULL, updated_at = now()
         FROM run
        WHERE s.run_id = run.id AND s.status = 'cancelled'
       RETURNING s.id, s.run_id, s.legacy_id, s.listed_updated_at
     ), marked AS (
       UPDATE import_runs r
          SET status = CASE WHEN r.listed_at IS NULL THEN 'listing' ELSE 'running' END::run_status,
              resumed_at = now(), finished_at = NULL, updated_at = now()
         FROM run
        WHERE r.id = run.id
     )
     SELECT id, run_id, legacy_id, listed_updated_at FROM reopened`,
    [runId],
  );
  return (rows as { id: string; run_id: string; legacy_id: string; listed_updated_at: string | null }[]).map((r) => ({
    id: r.id,
    runId: r.run_id,
    legacyId: r.legacy_id,
    updatedAt: r.listed_updated_at,
  }));
}
