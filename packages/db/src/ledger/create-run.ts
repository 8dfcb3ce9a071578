import type { Queryable } from "../pool.js";
import type { Run } from "./types.js";
import { RUN_COLUMNS, toRun } from "./run-row.js";

/** What kind of run: where it reads, and whether it skips what the target holds unchanged. */
export interface RunKind {
  /** The run it replays from the archive; null or absent: a run of the legacy service. */
  replayOf?: string | null;
  changedOnly?: boolean;
  dryRun?: boolean;
}

/**
 * Starts a run in status `listing` with no cursor.
 * $1 options (jsonb): what the run was started with, for the record;
 * $2 the run it replays from the archive, or null for a run of the legacy service;
 * $3 changed-only; $4 dry run.
 */
export async function createRun(db: Queryable, options: Record<string, unknown>, kind: RunKind = {}): Promise<Run> {
  const { rows } = await db.query(
    `INSERT INTO import_runs (options, source, replay_of, changed_only, dry_run)
     VALUES ($1, CASE WHEN $2::uuid IS NULL THEN 'legacy' ELSE 'archive' END::run_source, $2::uuid, $3, $4)
     RETURNING ${RUN_COLUMNS}`,
    [JSON.stringify(options), kind.replayOf ?? null, kind.changedOnly ?? false, kind.dryRun ?? false],
  );
  return toRun(rows[0]);
}
