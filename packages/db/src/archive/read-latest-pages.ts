import type { Queryable } from "../pool.js";
import { PAGE_COLUMNS, toStoredPage, type StoredPage } from "./stored-page.js";

/**
 * The latest page of each document whose key sorts after `after` (null: from
 * the start), `limit` documents in key order: a keyset page, so an export
 * holds one page of rows at a time whatever the archive's size.
 */
export async function readLatestPages(db: Queryable, after: Buffer | null, limit: number): Promise<StoredPage[]> {
  const { rows } = await db.query(
    `SELECT DISTINCT ON (legacy_key) ${PAGE_COLUMNS}
       FROM porter_archive.pages
      WHERE legacy_key > $1
      ORDER BY legacy_key, fetched_at DESC
      LIMIT $2`,
    // Every key is 32 bytes, so the empty one sorts before them all.
    [after ?? Buffer.alloc(0), limit],
  );
  return (rows as Record<string, unknown>[]).map(toStoredPage);
}
