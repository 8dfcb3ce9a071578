import { legacyKey } from "../legacy-key.js";
import type { Queryable } from "../pool.js";
import { PAGE_COLUMNS, toStoredPage, type StoredPage } from "./stored-page.js";

/** The latest archived page of a document (what a replay reads), or undefined when the archive has none. */
export async function latestPage(db: Queryable, legacyId: string): Promise<StoredPage | undefined> {
  const { rows } = await db.query({
    name: "porter_archive_latest_page",
    text: `SELECT ${PAGE_COLUMNS} FROM porter_archive.pages WHERE legacy_key = $1 ORDER BY fetched_at DESC LIMIT 1`,
    values: [legacyKey(legacyId)],
  });
  return rows[0] ? toStoredPage(rows[0] as Record<string, unknown>) : undefined;
}
