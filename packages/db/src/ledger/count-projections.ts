import type { Queryable } from "../pool.js";
import type { ImportProjection } from "./types.js";

export type ProjectionCounts = Record<ImportProjection, number>;

/**
 * A dry run's documents that would load, by what a real run would do with
 * them. Reads the run's `succeeded` rows through the (run_id, status) index.
 */
export async function countProjections(db: Queryable, runId: string): Promise<ProjectionCounts> {
  const { rows } = await db.query<{ projection: ImportProjection; n: number }>(
    `SELECT projection, count(*)::int AS n FROM service_imports
      WHERE run_id = $1 AND status = 'succeeded' AND projection IS NOT NULL GROUP BY projection`,
    [runId],
  );
  const counts: ProjectionCounts = { new: 0, changed: 0, unchanged: 0 };
  for (const row of rows) counts[row.projection] = row.n;
  return counts;
}
