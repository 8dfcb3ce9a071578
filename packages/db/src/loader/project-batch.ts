import type pg from "pg";
import type { LoadInput } from "./load-document.js";

/**
 * A dry run's "load": for every input whose ledger row is not rolled back,
 * marks the row `succeeded` with what a real run would do with the document,
 * and writes nothing else. `new`: the target has no row for its legacy key;
 * `unchanged`: it has one with the same updatedAt instant and transform
 * version (what a changed-only run would skip); `changed`: any other.
 * Arrays, one element per document: $1 ledger ids, $2 legacy ids, $3 updated
 * at, $4 attempts, $5 durations (ms), $6 transform versions.
 * Returns the ledger ids it marked.
 */
const PROJECT_DOCUMENTS = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::int[], $6::int[])
    AS t(ledger_id, legacy_id, updated_at, attempts, duration_ms, transform_version)
), judged AS (
  SELECT i.*, CASE WHEN d.id IS NULL THEN 'new'
                   WHEN d.updated_at = i.updated_at AND d.transform_version = i.transform_version THEN 'unchanged'
                   ELSE 'changed' END::import_projection AS projection
    FROM input i LEFT JOIN documents d ON d.legacy_key = porter_legacy_key(i.legacy_id)
)
UPDATE service_imports s
   SET status = 'succeeded', projection = j.projection, attempts = j.attempts, duration_ms = j.duration_ms,
       error_kind = NULL, error_stage = NULL, last_error = NULL, stacktrace = NULL, finished_at = now(), updated_at = now()
  FROM judged j
 WHERE s.id = j.ledger_id AND s.status NOT IN ('rolled_back', 'cancelled')
RETURNING s.id`;

/** Marks a dry run's documents (see PROJECT_DOCUMENTS) on `db`, inside the caller's transaction. */
export async function projectBatch(db: pg.ClientBase, inputs: readonly LoadInput[]): Promise<Set<string>> {
  if (inputs.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>({
    text: PROJECT_DOCUMENTS,
    values: [
      inputs.map((i) => i.ledgerId),
      inputs.map((i) => i.document.id),
      inputs.map((i) => i.document.updatedAt),
      inputs.map((i) => i.attempts),
      inputs.map((i) => Math.round(i.durationMs)),
      inputs.map((i) => i.transformVersion ?? 0),
    ],
  });
  return new Set(rows.map((r) => r.id));
}
