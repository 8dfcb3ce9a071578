import type { Queryable } from "../pool.js";
import type { RunStatus } from "./types.js";

/** A ledger row put back to `pending`: what a job is added for (job id = ledger id). */
export interface RequeuedRow {
  id: string;
  runId: string;
  legacyId: string;
  /** The listing's updatedAt for it, as recorded (it goes into the job, for the archive). */
  updatedAt: string | null;
}

/** Runs whose failed documents may be requeued; a rolled-back or cancelled run stays as it is. */
export const REQUEUEABLE_RUN_STATUSES: readonly RunStatus[] = ["listing", "running", "completed"];

/**
 * Puts a run's `failed` documents (all, or one error kind) back to `pending`,
 * in one statement, and returns them so the caller can add their jobs.
 * $1 run id, $2 error kind or null (all kinds). `invalid_id` rows are never
 * requeued: the listed id itself cannot be migrated.
 *
 * - `attempts` starts again at 0 and `finished_at` is cleared; `error_kind`,
 *   `error_stage`, `last_error` and `stacktrace` are KEPT, so the last failure
 *   stays readable until the next attempt overwrites it (a success clears them).
 *   `porter failures` lists only `failed` rows, so a requeued row is not shown there.
 * - `updated_at` becomes now(), which gives the jobs the reconciler's grace
 *   period to be added before it would revive them itself.
 * - A `completed` run goes back to `running` (finished_at null) when at least
 *   one row was requeued; `completeRunIfDone` completes it again later.
 * - The run row is locked first (FOR UPDATE), so a requeue and a rollback of
 *   the same run never interleave; a run not in REQUEUEABLE_RUN_STATUSES
 *   requeues nothing.
 * - Returns only the rows THIS statement moved from `failed` to `pending`.
 *   Two requeues of one run at once: the second waits for the first's locks,
 *   then (READ COMMITTED) re-checks `status = 'failed'` on each row's newest
 *   version and skips the rows the first moved, so their counts add up to
 *   the failed rows and neither adds a job for the other's rows.
 */
export async function requeueFailed(db: Queryable, runId: string, kind?: string): Promise<RequeuedRow[]> {
  const { rows } = await db.query(
    `WITH run AS (
       SELECT id FROM import_runs WHERE id = $1 AND status = ANY($3::run_status[]) FOR UPDATE
     ), requeued AS (
       UPDATE service_imports s
          SET status = 'pending', attempts = 0, finished_at = NULL, updated_at = now()
         FROM run
        WHERE s.run_id = run.id AND s.status = 'failed'
          AND ($2::text IS NULL OR coalesce(s.error_kind, 'unknown') = $2)
          -- an id that cannot be migrated has nothing a job could do: it would only fail again
          AND s.error_kind IS DISTINCT FROM 'invalid_id'
       RETURNING s.id, s.run_id, s.legacy_id, s.listed_updated_at
     ), reopened AS (
       UPDATE import_runs
          SET status = CASE WHEN status = 'completed' THEN 'running'::run_status ELSE status END,
              -- a completed run starts a new span of work; one still going keeps its own
              resumed_at = CASE WHEN status = 'completed' THEN now() ELSE resumed_at END,
              finished_at = NULL, updated_at = now()
        WHERE id = $1 AND EXISTS (SELECT 1 FROM requeued)
     )
     SELECT id, run_id, legacy_id, listed_updated_at FROM requeued`,
    [runId, kind ?? null, REQUEUEABLE_RUN_STATUSES],
  );
  return (rows as { id: string; run_id: string; legacy_id: string; listed_updated_at: string | null }[]).map((r) => ({
    id: r.id,
    runId: r.run_id,
    legacyId: r.legacy_id,
    updatedAt: r.listed_updated_at,
  }));
}
