import type { Queryable } from "../pool.js";

/**
 * Step 3 of a rollback, one bounded batch: deletes up to $2 documents the run
 * wrote last (documents.run_id = $1); their attachments go with them (ON
 * DELETE CASCADE). A document a later run wrote again carries that run's id
 * and stays. $1 run id, $2 batch size. Returns how many this batch deleted.
 * Uses documents_run_id_idx.
 *
 * SKIP LOCKED, as in markImportsRolledBack: a document another run's load
 * holds is not waited for (no deadlock with a group commit); when that load
 * commits the document carries the other run's id and is no longer ours. So
 * 0 does not mean done: the caller asks countRunFootprint, and tries again.
 */
export async function deleteRunDocuments(db: Queryable, runId: string, batchSize: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM documents WHERE id IN (
       SELECT id FROM documents WHERE run_id = $1 LIMIT $2 FOR UPDATE SKIP LOCKED
     )`,
    [runId, batchSize],
  );
  return rowCount ?? 0;
}
