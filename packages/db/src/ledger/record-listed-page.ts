import type { Queryable } from "../pool.js";
import type { ImportStatus } from "./types.js";

export interface LedgerRow {
  id: string;
  legacyId: string;
  status: ImportStatus;
}

/**
 * Writes one listing page into the ledger, in one statement.
 * $1 run id, $2 legacy ids (text[], duplicates allowed).
 * Inserts a `pending` row per id the run has not seen, adds the number of new
 * rows to `import_runs.listed` (so `listed` always equals the run's row count),
 * and returns every row of the page, new or old, once per id: the caller
 * enqueues the ones still `pending` (job id = row id, so a page listed twice
 * adds no job twice), with the run's new `listed` count.
 */
export async function recordListedPage(
  db: Queryable,
  runId: string,
  legacyIds: string[],
): Promise<{ rows: LedgerRow[]; listed: number }> {
  const { rows } = await db.query(
    {
      name: "porter_record_listed_page",
      text: `
      WITH ids AS (
        SELECT DISTINCT unnest($2::text[]) AS legacy_id
      ), inserted AS (
        INSERT INTO service_imports (run_id, legacy_id)
        SELECT $1, legacy_id FROM ids
        ON CONFLICT (run_id, legacy_id) DO NOTHING
        RETURNING id, legacy_id, status
      ), counted AS (
        UPDATE import_runs SET listed = listed + (SELECT count(*) FROM inserted), updated_at = now()
        WHERE id = $1
        RETURNING listed
      )
      SELECT id, legacy_id, status, (SELECT listed FROM counted) AS listed FROM inserted
      UNION ALL
      -- this statement's snapshot does not see the rows inserted above: these are the old ones
      SELECT s.id, s.legacy_id, s.status, (SELECT listed FROM counted) FROM service_imports s
        JOIN ids USING (legacy_id) WHERE s.run_id = $1`,
    },
    [runId, legacyIds],
  );
  const typed = rows as { id: string; legacy_id: string; status: ImportStatus; listed: number }[];
  return {
    rows: typed.map((r) => ({ id: r.id, legacyId: r.legacy_id, status: r.status })),
    listed: typed[0]?.listed ?? 0,
  };
}
