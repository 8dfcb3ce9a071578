import type { Queryable } from "../pool.js";

/**
 * Last step of a rollback: sets `finished_at` on a `rolled_back` run, which
 * reads "rolled back" (rather than "rolling back"). Only after every ledger
 * row is marked and every document deleted; a crash before this leaves the
 * run visibly unfinished, and running the rollback again completes it.
 * $1 run id. Returns true when the run was rolled back.
 */
export async function finishRollback(db: Queryable, runId: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE import_runs SET finished_at = now(), updated_at = now() WHERE id = $1 AND status = 'rolled_back'`,
    [runId],
  );
  return rowCount === 1;
}
