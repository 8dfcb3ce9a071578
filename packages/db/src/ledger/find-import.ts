import { legacyKey } from "../legacy-key.js";
import type { Queryable } from "../pool.js";
import type { ImportStatus } from "./types.js";

export interface ImportOutcome {
  status: ImportStatus;
  errorKind: string | null;
  errorStage: string | null;
  lastError: string | null;
}

/** How a document ended in a run (its ledger row by run and legacy id), or undefined when the run did not list it. */
export async function findImport(db: Queryable, runId: string, legacyId: string): Promise<ImportOutcome | undefined> {
  const { rows } = await db.query<{ status: ImportStatus; error_kind: string | null; error_stage: string | null; last_error: string | null }>(
    `SELECT status, error_kind, error_stage, last_error FROM service_imports WHERE run_id = $1 AND legacy_key = $2`,
    [runId, legacyKey(legacyId)],
  );
  const row = rows[0];
  return row && { status: row.status, errorKind: row.error_kind, errorStage: row.error_stage, lastError: row.last_error };
}
