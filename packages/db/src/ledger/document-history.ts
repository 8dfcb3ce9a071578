import { legacyKey } from "../legacy-key.js";
import type { Queryable } from "../pool.js";
import type { ImportStatus } from "./types.js";

/** One run's ledger row for a document. */
export interface HistoryEntry {
  runId: string;
  runStartedAt: string;
  ledgerId: string;
  status: ImportStatus;
  attempts: number;
  errorKind: string | null;
  errorStage: string | null;
  lastError: string | null;
  stacktrace: string | null;
  finishedAt: string | null;
}

/** The target's row for a document, as the last run that wrote it left it. */
export interface TargetRow {
  documentId: string;
  title: string;
  runId: string;
  updatedAt: string;
  importedAt: string;
  transformVersion: number;
  attachments: number;
}

/** Everything Porter knows of one legacy id: its ledger row in each run that listed it, newest run first, and the target row it became. */
export interface DocumentHistory {
  legacyId: string;
  entries: HistoryEntry[];
  target: TargetRow | null;
}

/**
 * The legacy ids to look at for a search: `query` itself, or with `prefix`
 * up to `limit` ids of the target that start with it, in order. A prefix
 * finds documents the target holds (its legacy ids have no prefix index: a
 * scan that stops at `limit`); an exact id finds a document every run failed too.
 */
export async function searchLegacyIds(db: Queryable, query: string, options: { prefix: boolean; limit: number }): Promise<string[]> {
  if (!options.prefix) return [query];
  const { rows } = await db.query<{ legacy_id: string }>(
    // starts_with, not LIKE: the query's own % and _ are plain characters.
    "SELECT legacy_id FROM documents WHERE starts_with(legacy_id, $1) ORDER BY legacy_id LIMIT $2",
    [query, options.limit],
  );
  return rows.map((r) => r.legacy_id);
}

/**
 * The history of one legacy id: one probe of the (run_id, legacy_key) unique
 * index per run (runs are few; their rows are many), and the document by its key.
 */
export async function documentHistory(db: Queryable, legacyId: string): Promise<DocumentHistory> {
  const key = legacyKey(legacyId);
  const [ledger, target] = await Promise.all([
    db.query<{
      run_id: string;
      run_started_at: string;
      id: string;
      status: ImportStatus;
      attempts: number;
      error_kind: string | null;
      error_stage: string | null;
      last_error: string | null;
      stacktrace: string | null;
      finished_at: string | null;
    }>(
      `SELECT r.id AS run_id, r.started_at::text AS run_started_at, s.id, s.status, s.attempts, s.error_kind, s.error_stage,
              s.last_error, s.stacktrace, s.finished_at::text AS finished_at
         FROM import_runs r
         JOIN LATERAL (
           SELECT * FROM service_imports WHERE run_id = r.id AND legacy_key = $1 LIMIT 1
         ) s ON true
        ORDER BY r.started_at DESC`,
      [key],
    ),
    db.query<{
      id: string;
      title: string;
      run_id: string;
      updated_at: string;
      imported_at: string;
      transform_version: number;
      attachments: number;
    }>(
      `SELECT d.id, d.title, d.run_id, d.updated_at::text AS updated_at, d.imported_at::text AS imported_at, d.transform_version,
              (SELECT count(*)::int FROM document_attachments a WHERE a.document_id = d.id) AS attachments
         FROM documents d WHERE d.legacy_key = $1`,
      [key],
    ),
  ]);
  const t = target.rows[0];
  return {
    legacyId,
    entries: ledger.rows.map((r) => ({
      runId: r.run_id,
      runStartedAt: r.run_started_at,
      ledgerId: r.id,
      status: r.status,
      attempts: r.attempts,
      errorKind: r.error_kind,
      errorStage: r.error_stage,
      lastError: r.last_error,
      stacktrace: r.stacktrace,
      finishedAt: r.finished_at,
    })),
    target: t
      ? {
          documentId: t.id,
          title: t.title,
          runId: t.run_id,
          updatedAt: t.updated_at,
          importedAt: t.imported_at,
          transformVersion: t.transform_version,
          attachments: t.attachments,
        }
      : null,
  };
}
