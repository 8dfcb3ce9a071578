import type pg from "pg";
import { escapedLegacyKey, escapeLegacyId, legacyKey } from "../legacy-key.js";
import type { InvalidListedId } from "../ledger/record-listed-page.js";

/**
 * `porter verify` lists the legacy service again into a temporary table of
 * its session, then compares it with the target in SQL: memory stays flat
 * whatever the corpus size, a listing that repeats an id counts it once, and
 * timestamps are compared by Postgres as instants (never through Date, which
 * keeps milliseconds only). Every function takes the same checked-out client:
 * a temporary table lives in one session.
 */
const TABLE = "porter_verify_listing";

/** Creates (or empties) the session's listing table. */
export async function createListingSnapshot(client: pg.ClientBase): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS pg_temp.${TABLE}`);
  await client.query(`CREATE TEMP TABLE ${TABLE} (legacy_key bytea PRIMARY KEY, legacy_id text NOT NULL, updated_at timestamptz)`);
}

/**
 * Adds one listing page. $1 legacy ids as the ledger stores them (an invalid
 * id escaped), $2 their keys (legacy-key.ts), $3 their updatedAt
 * (timestamptz text, or null when the source gave one Postgres cannot read;
 * such an id is never counted stale). An id seen twice keeps its latest updatedAt.
 * Returns how many ids were new to the table.
 */
export async function addListedPage(
  client: pg.ClientBase,
  ids: readonly (string | InvalidListedId)[],
  updatedAt: (string | null)[],
): Promise<number> {
  const stored = ids.map((e) => (typeof e === "string" ? e : escapeLegacyId(e.id)));
  const keys = ids.map((e) => (typeof e === "string" ? legacyKey(e) : escapedLegacyKey(e.id)));
  const { rows } = await client.query<{ inserted: boolean }>(
    `INSERT INTO ${TABLE} AS l (legacy_key, legacy_id, updated_at)
     SELECT DISTINCT ON (legacy_key) legacy_key, legacy_id, updated_at
       FROM unnest($1::text[], $2::bytea[], $3::timestamptz[]) AS t(legacy_id, legacy_key, updated_at)
      ORDER BY legacy_key, updated_at DESC NULLS LAST
     ON CONFLICT (legacy_key) DO UPDATE SET updated_at = greatest(l.updated_at, EXCLUDED.updated_at)
     RETURNING (xmax = 0) AS inserted`,
    [stored, keys, updatedAt],
  );
  return rows.filter((r) => r.inserted).length;
}

/** How many documents fall in one class of difference, and the first of them by legacy id. */
export interface DifferenceSample {
  count: number;
  ids: string[];
}

export interface ListingComparison {
  /** Distinct ids in the listing (for a run with a limit: those the run listed). */
  listed: number;
  /** Listed, not in `documents`, and not a permanent failure of this run. */
  missing: DifferenceSample;
  /** Listed, not in `documents`, and `failed` in this run's ledger. */
  failed: DifferenceSample;
  /** In `documents` with run_id = this run, but not listed. */
  extra: DifferenceSample;
  /** In `documents`, but the listing's updatedAt is a later instant than the loaded one. */
  stale: DifferenceSample;
}

export interface CompareOptions {
  /** Ids returned per class (counts are always exact). */
  sampleSize: number;
  /**
   * Compare only the listed ids that have a ledger row in this run: for a run
   * started with --limit, which migrated part of the listing on purpose.
   */
  onlyRunIds: boolean;
}

/** Runs one class's query, asked for at least one row so that the count comes back even for a sample of 0. */
async function sample(client: pg.ClientBase, sql: string, values: unknown[], size: number): Promise<DifferenceSample> {
  const { rows } = await client.query<{ legacy_id: string; total: number }>(sql, values);
  return { count: rows[0]?.total ?? 0, ids: rows.slice(0, size).map((r) => r.legacy_id) };
}

/**
 * Compares the listing table with the target and the run's ledger.
 * $1 run id, $2 only ids of the run (boolean), $3 sample size (extra: $1, $2
 * sample size). Each class is one query; `count(*) OVER ()` is the class's size before the LIMIT.
 */
export async function compareWithListing(
  client: pg.ClientBase,
  runId: string,
  options: CompareOptions,
): Promise<ListingComparison> {
  const size = options.sampleSize;
  const values = [runId, options.onlyRunIds, Math.max(1, size)];
  // Listed ids in scope, with this run's ledger status (null: no row in this run).
  const scoped = `
    SELECT l.legacy_key, l.legacy_id, l.updated_at, s.status
      FROM ${TABLE} l
      LEFT JOIN service_imports s ON s.run_id = $1 AND s.legacy_key = l.legacy_key
     WHERE NOT $2::boolean OR s.id IS NOT NULL`;
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${scoped}) x`, values.slice(0, 2));
  const absent = `FROM (${scoped}) x WHERE NOT EXISTS (SELECT 1 FROM documents d WHERE d.legacy_key = x.legacy_key)`;
  const missing = await sample(
    client,
    `SELECT x.legacy_id, count(*) OVER ()::int AS total ${absent} AND x.status IS DISTINCT FROM 'failed'
      ORDER BY x.legacy_id LIMIT $3`,
    values,
    size,
  );
  const failed = await sample(
    client,
    `SELECT x.legacy_id, count(*) OVER ()::int AS total ${absent} AND x.status = 'failed' ORDER BY x.legacy_id LIMIT $3`,
    values,
    size,
  );
  const extra = await sample(
    client,
    `SELECT d.legacy_id, count(*) OVER ()::int AS total
       FROM documents d
      WHERE d.run_id = $1 AND NOT EXISTS (SELECT 1 FROM ${TABLE} l WHERE l.legacy_key = d.legacy_key)
      ORDER BY d.legacy_id LIMIT $2`,
    [runId, Math.max(1, size)],
    size,
  );
  const stale = await sample(
    client,
    `SELECT x.legacy_id, count(*) OVER ()::int AS total
       FROM (${scoped}) x JOIN documents d ON d.legacy_key = x.legacy_key
      WHERE x.updated_at > d.updated_at
      ORDER BY x.legacy_id LIMIT $3`,
    values,
    size,
  );
  return { listed: rows[0]?.n ?? 0, missing, failed, extra, stale };
}

/** Drops the listing table (it would go with the session anyway). */
export async function dropListingSnapshot(client: pg.ClientBase): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS pg_temp.${TABLE}`);
}
