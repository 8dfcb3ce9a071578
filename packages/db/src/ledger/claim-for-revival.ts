import type { Queryable } from "../pool.js";
import type { RequeuedRow } from "./requeue-failed.js";

/** A row to revive, with the attempts the ledger counts for it: its new job makes only those left. */
export interface RevivedRow extends RequeuedRow {
  attempts: number;
}

/**
 * For the reconciler, after it found no job in Redis for these rows: keeps
 * only those still `pending`/`running` in a run still `listing`/`running`
 * (a row may have finished, or its run been rolled back, since it was read),
 * restarts their grace period (updated_at = now()) so the next tick does not
 * take them again, and returns them for their jobs to be added, each with
 * its attempts so far (a transient failure whose retry job was lost has one).
 * $1 ledger ids (uuid[]).
 */
export async function claimForRevival(db: Queryable, ids: string[]): Promise<RevivedRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query(
    `UPDATE service_imports s SET updated_at = now()
       FROM import_runs r
      WHERE s.id = ANY($1::uuid[]) AND s.status IN ('pending', 'running')
        AND r.id = s.run_id AND r.status IN ('listing', 'running')
     RETURNING s.id, s.run_id, s.legacy_id, s.listed_updated_at, s.attempts`,
    [ids],
  );
  return (rows as { id: string; run_id: string; legacy_id: string; listed_updated_at: string | null; attempts: number }[]).map((r) => ({
    id: r.id,
    runId: r.run_id,
    legacyId: r.legacy_id,
    updatedAt: r.listed_updated_at,
    attempts: r.attempts,
  }));
}
