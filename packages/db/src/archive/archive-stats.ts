import type { Queryable } from "../pool.js";

export interface ArchiveStats {
  /** Distinct pages kept (one per document and content). */
  pages: number;
  /** Documents with at least one page. */
  documents: number;
  /** The pages' bytes as served. */
  rawBytes: number;
  /** What their bodies take on disk, compressed (pg_column_size). */
  storedBytes: number;
}

/** What the archive holds; one pass over the table. */
export async function archiveStats(db: Queryable): Promise<ArchiveStats> {
  const { rows } = await db.query<{ pages: string; documents: string; raw: string; stored: string }>(
    `SELECT count(*)::text AS pages, count(DISTINCT legacy_key)::text AS documents,
            coalesce(sum(raw_bytes), 0)::text AS raw, coalesce(sum(pg_column_size(body)), 0)::text AS stored
       FROM porter_archive.pages`,
  );
  const row = rows[0] ?? { pages: "0", documents: "0", raw: "0", stored: "0" };
  return { pages: Number(row.pages), documents: Number(row.documents), rawBytes: Number(row.raw), storedBytes: Number(row.stored) };
}
