import type { Queryable } from "../pool.js";

export interface FailureRecord {
  ledgerId: string;
  attempts: number;
  kind: string;
  stage: string | undefined;
  message: string;
  stacktrace: string | undefined;
  durationMs: number;
  /** The document will not be tried again: status becomes `failed`; otherwise it stays `pending`. */
  final: boolean;
}

/**
 * Records a failed attempt on the document's ledger row.
 * Never touches a row that already `succeeded` (an attempt that timed out
 * after its commit landed) or was `rolled_back`.
 */
export async function recordFailure(db: Queryable, f: FailureRecord): Promise<void> {
  await db.query(
    {
      name: "porter_record_failure",
      text: `UPDATE service_imports
                SET status = CASE WHEN $2 THEN 'failed'::import_status ELSE 'pending'::import_status END,
                    attempts = $3, error_kind = $4, error_stage = $5, last_error = $6, stacktrace = $7,
                    duration_ms = $8, updated_at = now(),
                    finished_at = CASE WHEN $2 THEN now() ELSE NULL END
              WHERE id = $1 AND status IN ('pending', 'running', 'failed')`,
    },
    [f.ledgerId, f.final, f.attempts, f.kind, f.stage ?? null, f.message, f.stacktrace ?? null, Math.round(f.durationMs)],
  );
}
