import type { Queryable } from "../pool.js";

/** One failed document of a run, as an operator reads it. */
export interface FailureRow {
  /** The ledger row's id, which is also its BullMQ job id. */
  id: string;
  legacyId: string;
  kind: string;
  stage: string | null;
  message: string | null;
  attempts: number;
  stacktrace: string | null;
  finishedAt: string | null;
}

export interface ListFailuresOptions {
  /** Only this error kind. */
  kind?: string | undefined;
  /** At most this many rows (a page). */
  limit: number;
  /** The `id` of the last row of the previous page; omitted for the first page. */
  after?: string | undefined;
}

/**
 * One page of a run's `failed` ledger rows, ordered by ledger id (keyset
 * paging: pass the last id as `after` for the next page, so a page costs the
 * same however deep it is).
 * $1 run id, $2 kind or null (all kinds), $3 after-id or null, $4 page size.
 * Reads through the (run_id, status) index.
 */
export async function listFailures(db: Queryable, runId: string, options: ListFailuresOptions): Promise<FailureRow[]> {
  const { rows } = await db.query(
    `SELECT id, legacy_id, coalesce(error_kind, 'unknown') AS kind, error_stage, last_error, attempts, stacktrace,
            finished_at::text AS finished_at
       FROM service_imports
      WHERE run_id = $1 AND status = 'failed'
        AND ($2::text IS NULL OR coalesce(error_kind, 'unknown') = $2)
        AND ($3::uuid IS NULL OR id > $3)
      ORDER BY id
      LIMIT $4`,
    [runId, options.kind ?? null, options.after ?? null, options.limit],
  );
  return (rows as Record<string, unknown>[]).map((r) => ({
    id: r.id as string,
    legacyId: r.legacy_id as string,
    kind: r.kind as string,
    stage: r.error_stage as string | null,
    message: r.last_error as string | null,
    attempts: r.attempts as number,
    stacktrace: r.stacktrace as string | null,
    finishedAt: r.finished_at as string | null,
  }));
}
