import type { Queryable } from "../pool.js";
import type { Run } from "./types.js";
import { RUN_COLUMNS, toRun } from "./run-row.js";

/**
 * Starts a run in status `listing` with no cursor.
 * $1 options (jsonb): what the run was started with, for the record.
 */
export async function createRun(db: Queryable, options: Record<string, unknown>): Promise<Run> {
  const { rows } = await db.query(`INSERT INTO import_runs (options) VALUES ($1) RETURNING ${RUN_COLUMNS}`, [
    JSON.stringify(options),
  ]);
  return toRun(rows[0]);
}
