import type { Queryable } from "../pool.js";

/** Whether the archive holds any page at all (a replay of an empty archive is refused). */
export async function archiveHoldsPages(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ any: boolean }>(`SELECT EXISTS (SELECT 1 FROM porter_archive.pages) AS any`);
  return rows[0]?.any === true;
}
