import type { Queryable } from "../pool.js";

/** One ledger row of a run as a replay lists it again. */
export interface RunEntry {
  /** As stored: escaped as a JSON string literal for an `invalid_id` row. */
  legacyId: string;
  legacyKey: Buffer;
  updatedAt: string | null;
  errorKind: string | null;
  errorStage: string | null;
}

/**
 * The run's ledger rows whose key sorts after `afterKey` (empty: from the
 * start), `limit` of them in key order: the listing of a replay, a keyset
 * page at a time on the (run_id, legacy_key) unique index.
 */
export async function listRunEntries(db: Queryable, runId: string, afterKey: Buffer, limit: number): Promise<RunEntry[]> {
  const { rows } = await db.query<{
    legacy_id: string;
    legacy_key: Buffer;
    listed_updated_at: string | null;
    error_kind: string | null;
    error_stage: string | null;
  }>(
    {
      name: "porter_list_run_entries",
      text: `SELECT legacy_id, legacy_key, listed_updated_at, error_kind, error_stage
               FROM service_imports WHERE run_id = $1 AND legacy_key > $2
              ORDER BY legacy_key LIMIT $3`,
    },
    [runId, afterKey, limit],
  );
  return rows.map((r) => ({
    legacyId: r.legacy_id,
    legacyKey: r.legacy_key,
    updatedAt: r.listed_updated_at,
    errorKind: r.error_kind,
    errorStage: r.error_stage,
  }));
}
