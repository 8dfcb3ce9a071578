import type { Queryable } from "../pool.js";

export interface RunFootprint {
  /** Documents whose last writer is the run: what a rollback deletes. */
  documents: number;
  /** The run's ledger rows not yet `rolled_back`: what a rollback marks. */
  ledgerRows: number;
}

/**
 * What a rollback of the run would touch (`porter rollback` without --yes).
 * $1 run id. Both counts use an index (documents_run_id_idx, and
 * (run_id, status) for the ledger).
 */
export async function countRunFootprint(db: Queryable, runId: string): Promise<RunFootprint> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*)::int FROM documents WHERE run_id = $1) AS documents,
            (SELECT count(*)::int FROM service_imports
              WHERE run_id = $1 AND status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')) AS ledger_rows`,
    [runId],
  );
  const row = rows[0] as { documents: number; ledger_rows: number };
  return { documents: row.documents, ledgerRows: row.ledger_rows };
}
