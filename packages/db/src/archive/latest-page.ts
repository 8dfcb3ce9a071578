import { legacyKey } from "../legacy-key.js";
import type { Queryable } from "../pool.js";
import { PAGE_COLUMNS, toStoredPage, type StoredPage } from "./stored-page.js";

/**
 * The latest archived page of each document (what a replay reads), in the
 * order of `legacyIds`; undefined where the archive has none. One statement
 * for all of them: a replay's workers read their pages in batches.
 */
export async function latestPages(db: Queryable, legacyIds: readonly string[]): Promise<(StoredPage | undefined)[]> {
  if (legacyIds.length === 0) return [];
  const { rows } = await db.query({
    text: `SELECT t.n::int AS n, p.*
             FROM unnest($1::bytea[]) WITH ORDINALITY AS t(legacy_key, n)
             JOIN LATERAL (
               -- pages.fetched_at, the column: the bare name would sort by the select list's text alias,
               -- which no index serves (a scan and a sort per document) and which is no time order.
               SELECT ${PAGE_COLUMNS} FROM porter_archive.pages
                WHERE legacy_key = t.legacy_key ORDER BY pages.fetched_at DESC LIMIT 1
             ) p ON true`,
    values: [legacyIds.map((id) => legacyKey(id))],
  });
  const found: (StoredPage | undefined)[] = new Array<StoredPage | undefined>(legacyIds.length).fill(undefined);
  for (const row of rows as Record<string, unknown>[]) found[(row.n as number) - 1] = toStoredPage(row);
  return found;
}

/** The latest archived page of one document, or undefined when the archive has none. */
export async function latestPage(db: Queryable, legacyId: string): Promise<StoredPage | undefined> {
  return (await latestPages(db, [legacyId]))[0];
}
