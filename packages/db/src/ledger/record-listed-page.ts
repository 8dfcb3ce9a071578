import type { Queryable } from "../pool.js";
import { escapedLegacyKey, escapeLegacyId, legacyKey } from "../legacy-key.js";
import type { ImportStatus } from "./types.js";

export interface LedgerRow {
  id: string;
  legacyId: string;
  status: ImportStatus;
  /** The listing's updatedAt for the id, as recorded (null: none, or not a string). */
  updatedAt: string | null;
  /** Written by this page; false: the run had it already (listed before, or by a listing that was resumed). */
  fresh: boolean;
}

/** A listed id that cannot be migrated, and why: its row is recorded `failed`, kind `invalid_id`. */
export interface InvalidListedId {
  id: string;
  problem: string;
  updatedAt?: string | null;
}

/** A listed id with the listing's updatedAt for it (a string, or null when the listing gave none or not a string). */
export interface ListedId {
  id: string;
  updatedAt: string | null;
  /** updatedAt is an RFC 3339 timestamp Postgres reads (isValidTimestamp): only then can it be compared. */
  comparable?: boolean;
  problem?: undefined;
}

export interface RecordPageOptions {
  /**
   * A changed-only run: a new id whose document the target holds with the same
   * updatedAt instant, written by this transform version, is recorded `skipped`
   * (no job, no fetch, no write; the document keeps the run that wrote it).
   */
  skipUnchanged?: { transformVersion: number };
}

/** What a listing page gives the ledger per id: the id alone, with its updatedAt, or why it cannot be migrated. */
export type ListedEntry = string | ListedId | InvalidListedId;

/**
 * Writes one listing page into the ledger, in one statement.
 * $1 run id; per id, in listing order, duplicates allowed: $2 the stored
 * legacy id (the id, or its escaped form for an invalid one), $3 its key
 * (what makes it unique: legacy-key.ts), $4 null, or why the id is invalid;
 * $6 the listing's updatedAt for it, or null; $8 the same as a timestamptz
 * when it is one Postgres reads, or null;
 * $7 null, or for a changed-only run the current transform version: a new id
 * whose document is in the target with updatedAt = $8 and that version is
 * inserted `skipped` (one unique-index probe of documents per new id);
 * $5 at most this many new rows (null: no cap; how `porter run --limit` stops
 * at exactly N distinct documents).
 * Inserts a `pending` row per id the run has not seen (an invalid one
 * `failed`, kind `invalid_id`, stage `list`: every listed id has its row), adds the number of new
 * rows to `import_runs.listed` (so `listed` always equals the run's row count),
 * and returns every row of the page, new or old (`fresh`), once per id: the caller
 * enqueues the ones still `pending`, with the run's new `listed` count.
 * Rows are added only while the run is `listing`: the run row is locked
 * first (FOR UPDATE), so once a rollback has marked the run `rolled_back` no
 * page can add a row behind it. `listing` false tells the enqueuer to stop.
 * Always returns at least one row (the LEFT JOIN), so `listed` and `listing`
 * are known even when the page adds nothing.
 */
export async function recordListedPage(
  db: Queryable,
  runId: string,
  ids: readonly ListedEntry[],
  maxNew: number | null = null,
  options: RecordPageOptions = {},
): Promise<{ rows: LedgerRow[]; listed: number; listing: boolean }> {
  const stored: string[] = [];
  const keys: Buffer[] = [];
  const problems: (string | null)[] = [];
  const updatedAts: (string | null)[] = [];
  const instants: (string | null)[] = [];
  for (const entry of ids) {
    if (typeof entry === "string") {
      stored.push(entry);
      keys.push(legacyKey(entry));
      problems.push(null);
      updatedAts.push(null);
      instants.push(null);
    } else if (entry.problem === undefined) {
      stored.push(entry.id);
      keys.push(legacyKey(entry.id));
      problems.push(null);
      updatedAts.push(entry.updatedAt);
      instants.push(entry.comparable === true ? entry.updatedAt : null);
    } else {
      stored.push(escapeLegacyId(entry.id));
      keys.push(escapedLegacyKey(entry.id));
      problems.push(entry.problem);
      updatedAts.push(entry.updatedAt ?? null);
      instants.push(null);
    }
  }
  const { rows } = await db.query(
    {
      // Unnamed: planned with this page's ids (see `known` for why the shape
      // matters more than the plan cache).
      text: `
      WITH run AS (
        SELECT id FROM import_runs WHERE id = $1 AND status = 'listing' FOR UPDATE
      ), ids AS (
        SELECT DISTINCT ON (legacy_key) legacy_key, legacy_id, problem, updated_at, instant, n
          FROM unnest($2::text[], $3::bytea[], $4::text[], $6::text[], $8::timestamptz[])
            WITH ORDINALITY AS t(legacy_id, legacy_key, problem, updated_at, instant, n)
         ORDER BY legacy_key, n
      ), known AS MATERIALIZED (
        -- LATERAL ... LIMIT 1 keeps this one unique-index probe per id whatever the
        -- statistics say: without them (autovacuum off, never analyzed) the planner
        -- guessed a run has a few hundred rows and hashed all of its rows per page.
        SELECT ids.legacy_id, ids.legacy_key, ids.problem, ids.updated_at, ids.instant, ids.n, s.id, s.status
          FROM ids
          LEFT JOIN LATERAL (
            SELECT s.id, s.status FROM service_imports s WHERE s.run_id = $1 AND s.legacy_key = ids.legacy_key LIMIT 1
          ) s ON true
      ), fresh AS (
        SELECT legacy_id, legacy_key, problem, updated_at,
               $7::int IS NOT NULL AND problem IS NULL AND instant IS NOT NULL AND EXISTS (
                 SELECT 1 FROM documents d
                  WHERE d.legacy_key = known.legacy_key AND d.updated_at = known.instant AND d.transform_version = $7::int
               ) AS unchanged
          FROM known
         WHERE id IS NULL AND EXISTS (SELECT 1 FROM run)
         ORDER BY n LIMIT $5
      ), inserted AS (
        INSERT INTO service_imports (run_id, legacy_id, legacy_key, listed_updated_at, status, error_kind, error_stage, last_error, finished_at)
        SELECT $1, legacy_id, legacy_key, updated_at,
               CASE WHEN problem IS NOT NULL THEN 'failed' WHEN unchanged THEN 'skipped' ELSE 'pending' END::import_status,
               CASE WHEN problem IS NULL THEN NULL ELSE 'invalid_id' END,
               CASE WHEN problem IS NULL THEN NULL ELSE 'list' END,
               problem,
               CASE WHEN problem IS NULL AND NOT unchanged THEN NULL ELSE now() END
          FROM fresh ORDER BY legacy_key
        ON CONFLICT (run_id, legacy_key) DO NOTHING
        RETURNING id, legacy_id, status, listed_updated_at
      ), counted AS (
        UPDATE import_runs SET listed = listed + (SELECT count(*) FROM inserted), updated_at = now()
        WHERE id = $1
        RETURNING listed
      )
      SELECT page.id, page.legacy_id, page.status, page.listed_updated_at, page.fresh, (SELECT listed FROM counted) AS listed,
             EXISTS (SELECT 1 FROM run) AS listing
        FROM (SELECT 1) AS one
        LEFT JOIN (
          SELECT id, legacy_id, status, listed_updated_at, true AS fresh FROM inserted
          UNION ALL
          -- the rows the run already had (this statement's snapshot does not see the inserted ones)
          SELECT id, legacy_id, status, updated_at, false FROM known WHERE id IS NOT NULL
        ) AS page ON true`,
    },
    [runId, stored, keys, problems, maxNew, updatedAts, options.skipUnchanged?.transformVersion ?? null, instants],
  );
  const typed = rows as {
    id: string | null;
    legacy_id: string;
    status: ImportStatus;
    listed_updated_at: string | null;
    fresh: boolean | null;
    listed: number | null;
    listing: boolean;
  }[];
  return {
    rows: typed
      .filter((r) => r.id !== null)
      .map((r) => ({ id: r.id as string, legacyId: r.legacy_id, status: r.status, updatedAt: r.listed_updated_at, fresh: r.fresh === true })),
    listed: typed[0]?.listed ?? 0,
    listing: typed[0]?.listing ?? false,
  };
}
