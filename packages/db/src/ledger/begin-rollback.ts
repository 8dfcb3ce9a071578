import type { Queryable } from "../pool.js";
import type { RunStatus } from "./types.js";

/**
 * Step 1 of a rollback: the run becomes `rolled_back` with `finished_at`
 * NULL, which reads "rolling back" (finishRollback sets `finished_at` at the
 * end). From this commit on the enqueuer writes no new ledger row for the run
 * (recordListedPage), the reconciler stops reviving its rows, and requeue
 * refuses it. Safe to repeat: a finished rollback is simply reopened.
 * $1 run id. Returns the status the run had, or undefined when there is no such run.
 */
export async function beginRollback(db: Queryable, runId: string): Promise<RunStatus | undefined> {
  const { rows } = await db.query(
    `UPDATE import_runs r SET status = 'rolled_back', finished_at = NULL, updated_at = now()
       FROM (SELECT id, status FROM import_runs WHERE id = $1 FOR UPDATE) before
      WHERE r.id = before.id
     RETURNING before.status`,
    [runId],
  );
  return (rows[0] as { status: RunStatus } | undefined)?.status;
}
