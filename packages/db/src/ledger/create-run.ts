import type { Queryable } from "../pool.js";
import type { Run } from "./types.js";
import { RUN_COLUMNS, toRun } from "./run-row.js";

/**
 * Starts a run in status `listing` with no cursor.
 * $1 options (jsonb): what the run was started with, for the record;
 * $2 the run it replays from the archive, or null for a run of the legacy service.
 */
export async function createRun(db: Queryable, options: Record<string, unknown>, replayOf: string | null = null): Promise<Run> {
  const { rows } = await db.query(
    `INSERT INTO import_runs (options, source, replay_of)
     VALUES ($1, CASE WHEN $2::uuid IS NULL THEN 'legacy' ELSE 'archive' END::run_source, $2::uuid)
     RETURNING ${RUN_COLUMNS}`,
    [JSON.stringify(options), replayOf],
  );
  return toRun(rows[0]);
}
