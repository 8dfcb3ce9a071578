import type { Queryable } from "../pool.js";

/**
 * Marks a run `completed` once its listing is over and none of its documents
 * is `pending` or `running`, and adds the span that ends here (since its
 * start, or since the requeue that reopened it) to its working time.
 * Returns true when this call completed it.
 * $1 run id. Cheap: the (run_id, status) index finds unfinished rows.
 */
export async function completeRunIfDone(db: Queryable, runId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE import_runs SET status = 'completed', finished_at = now(), updated_at = now(),
            active_ms = active_ms + (extract(epoch FROM now() - coalesce(resumed_at, started_at)) * 1000)::bigint
      WHERE id = $1 AND status = 'running'
        AND NOT EXISTS (SELECT 1 FROM service_imports WHERE run_id = $1 AND status IN ('pending', 'running'))`,
    [runId],
  );
  return rowCount === 1;
}
