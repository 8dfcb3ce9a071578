import type { Queryable } from "../pool.js";
import type { RunStatus } from "./types.js";

/**
 * Runs still `listing` or `running`, oldest first: what the reconciler looks
 * after. There are few at any time, so no paging.
 */
export async function listActiveRuns(db: Queryable): Promise<{ id: string; status: RunStatus }[]> {
  const { rows } = await db.query(
    `SELECT id, status FROM import_runs WHERE status IN ('listing', 'running') ORDER BY started_at`,
  );
  return rows as { id: string; status: RunStatus }[];
}
