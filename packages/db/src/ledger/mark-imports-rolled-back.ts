import type { Queryable } from "../pool.js";

/**
 * Step 2 of a rollback, one bounded batch: marks up to $2 of the run's ledger
 * rows `rolled_back`. From then on the loader refuses those rows (it writes
 * only where status <> 'rolled_back'), so a job still in flight cannot put
 * its document back after step 3 deleted it.
 * $1 run id, $2 batch size. Returns how many rows this batch marked.
 *
 * SKIP LOCKED: a row a load holds (its transaction is open) is left for a
 * later batch instead of waited for. Waiting could deadlock with a group
 * commit that locks several ledger rows in another order; skipping cannot.
 * So 0 does not mean done: the caller asks countRunFootprint whether rows are
 * left, and tries again shortly when they are (the load commits, `succeeded`,
 * and the next batch marks it; its document is deleted in step 3).
 * The status list (not `<> 'rolled_back'`) lets the (run_id, status) index
 * skip rows already marked, so batches stay cheap.
 */
export async function markImportsRolledBack(db: Queryable, runId: string, batchSize: number): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE service_imports SET status = 'rolled_back', updated_at = now()
      WHERE id IN (
        SELECT id FROM service_imports
         WHERE run_id = $1 AND status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')
         LIMIT $2
           FOR UPDATE SKIP LOCKED
      )`,
    [runId, batchSize],
  );
  return rowCount ?? 0;
}
