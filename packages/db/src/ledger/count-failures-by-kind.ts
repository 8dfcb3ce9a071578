import type { Queryable } from "../pool.js";

/** A run's failed documents grouped by error kind, largest group first. */
export async function countFailuresByKind(db: Queryable, runId: string): Promise<{ kind: string; count: number }[]> {
  const { rows } = await db.query(
    `SELECT coalesce(error_kind, 'unknown') AS kind, count(*)::int AS count
       FROM service_imports WHERE run_id = $1 AND status = 'failed'
      GROUP BY 1 ORDER BY 2 DESC, 1`,
    [runId],
  );
  return rows as { kind: string; count: number }[];
}
