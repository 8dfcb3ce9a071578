import type { Queryable } from "../pool.js";
import type { ImportStatus } from "./types.js";

/** An unfinished ledger row the reconciler looks at. */
export interface StaleImport {
  id: string;
  runId: string;
  legacyId: string;
  status: ImportStatus;
}

/** Where the previous page ended: (run id, ledger id). */
export interface StaleImportsCursor {
  runId: string;
  id: string;
}

export interface FindStaleImportsOptions {
  /** Only rows whose updated_at is older than this many milliseconds. */
  graceMs: number;
  limit: number;
  after?: StaleImportsCursor | undefined;
}

/**
 * For the reconciler: ledger rows still `pending` or `running` of runs still
 * `listing` or `running`, untouched for longer than the grace period, in
 * (run_id, id) order from `after` (keyset paging, so a tick that saw a full
 * page continues where it stopped, and a long queue of rows that do have a
 * job cannot hide the ones that lost theirs).
 * $1 grace (ms), $2 after run id or null, $3 after ledger id, $4 page size.
 * Reads the (run_id, status) index of each active run; the unfinished rows
 * of a run are bounded by the queue's high-water mark plus the jobs in flight.
 */
export async function findStaleImports(db: Queryable, options: FindStaleImportsOptions): Promise<StaleImport[]> {
  const { rows } = await db.query(
    `SELECT s.id, s.run_id, s.legacy_id, s.status
       FROM import_runs r
       JOIN service_imports s ON s.run_id = r.id AND s.status IN ('pending', 'running')
      WHERE r.status IN ('listing', 'running')
        AND s.updated_at < now() - make_interval(secs => $1::double precision / 1000)
        AND ($2::uuid IS NULL OR (s.run_id, s.id) > ($2::uuid, $3::uuid))
      ORDER BY s.run_id, s.id
      LIMIT $4`,
    [options.graceMs, options.after?.runId ?? null, options.after?.id ?? null, options.limit],
  );
  return (rows as { id: string; run_id: string; legacy_id: string; status: ImportStatus }[]).map((r) => ({
    id: r.id,
    runId: r.run_id,
    legacyId: r.legacy_id,
    status: r.status,
  }));
}
