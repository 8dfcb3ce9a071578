import { legacyKey } from "../legacy-key.js";
import type { Queryable } from "../pool.js";
import type { ImportStatus } from "./types.js";

export interface ImportOutcome {
  status: ImportStatus;
  errorKind: string | null;
  errorStage: string | null;
  lastError: string | null;
}

/**
 * How each document ended in a run (its ledger row by run and legacy id), in
 * the order of `legacyIds`; undefined where the run did not list it. One
 * statement for all of them, on the (run_id, legacy_key) unique index.
 */
export async function findImports(db: Queryable, runId: string, legacyIds: readonly string[]): Promise<(ImportOutcome | undefined)[]> {
  if (legacyIds.length === 0) return [];
  const { rows } = await db.query<{ n: number; status: ImportStatus; error_kind: string | null; error_stage: string | null; last_error: string | null }>({
    // LATERAL ... LIMIT 1 keeps this one unique-index probe per id whatever the statistics
    // say (autovacuum is off: recordListedPage's `known` has the same shape for that reason).
    text: `SELECT t.n::int AS n, s.status, s.error_kind, s.error_stage, s.last_error
             FROM unnest($2::bytea[]) WITH ORDINALITY AS t(legacy_key, n)
             JOIN LATERAL (
               SELECT status, error_kind, error_stage, last_error FROM service_imports
                WHERE run_id = $1 AND legacy_key = t.legacy_key LIMIT 1
             ) s ON true`,
    values: [runId, legacyIds.map((id) => legacyKey(id))],
  });
  const found: (ImportOutcome | undefined)[] = new Array<ImportOutcome | undefined>(legacyIds.length).fill(undefined);
  for (const row of rows) {
    found[row.n - 1] = { status: row.status, errorKind: row.error_kind, errorStage: row.error_stage, lastError: row.last_error };
  }
  return found;
}
