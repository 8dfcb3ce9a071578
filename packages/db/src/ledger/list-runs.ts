import type { Queryable } from "../pool.js";
import type { Run } from "./types.js";
import { RUN_COLUMNS, toRun } from "./run-row.js";

/** The newest runs first, at most `limit`. */
export async function listRuns(db: Queryable, limit: number): Promise<Run[]> {
  const { rows } = await db.query(`SELECT ${RUN_COLUMNS} FROM import_runs ORDER BY started_at DESC LIMIT $1`, [limit]);
  return (rows as Record<string, unknown>[]).map(toRun);
}
