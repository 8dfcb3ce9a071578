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
  await recordFailures(db, [f]);
}

/**
 * Several failed attempts in one statement (a group commit's share: see
 * loadBatch), each as recordFailure says. Ledger ids must be distinct.
 */
export async function recordFailures(db: Queryable, failures: readonly FailureRecord[]): Promise<void> {
  if (failures.length === 0) return;
  await db.query({
    text: `UPDATE service_imports s
              SET status = CASE WHEN f.final THEN 'failed'::import_status ELSE 'pending'::import_status END,
                  attempts = f.attempts, error_kind = f.kind, error_stage = f.stage, last_error = f.message,
                  stacktrace = f.stacktrace, duration_ms = f.duration_ms, updated_at = now(),
                  finished_at = CASE WHEN f.final THEN now() ELSE NULL END
             FROM unnest($1::uuid[], $2::bool[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[])
               AS f(id, final, attempts, kind, stage, message, stacktrace, duration_ms)
            WHERE s.id = f.id AND s.status IN ('pending', 'running', 'failed')`,
    values: [
      failures.map((f) => f.ledgerId),
      failures.map((f) => f.final),
      failures.map((f) => f.attempts),
      failures.map((f) => f.kind),
      failures.map((f) => f.stage ?? null),
      failures.map((f) => f.message),
      failures.map((f) => f.stacktrace ?? null),
      failures.map((f) => Math.round(f.durationMs)),
    ],
  });
}
