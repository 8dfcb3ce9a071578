import type { Queryable } from "../pool.js";
import type { StoredPage } from "./stored-page.js";

/** A stored page without its body: what an export reads a keyset page of at a time. */
export interface PageHead extends Omit<StoredPage, "body"> {
  rawBytes: number;
}

/**
 * The latest page of each document whose key sorts after `after` (null: from
 * the start), `limit` documents in key order, without their bodies: a keyset
 * page, so an export holds a page of heads at a time whatever the archive's
 * size (readPageBodies brings the bodies, a bounded number of bytes at once).
 */
export async function readLatestPages(db: Queryable, after: Buffer | null, limit: number): Promise<PageHead[]> {
  const { rows } = await db.query<{
    legacy_key: Buffer;
    legacy_id: string;
    sha256: Buffer;
    content_type: string | null;
    listed_updated_at: string | null;
    run_id: string;
    fetched_at: string;
    raw_bytes: number;
  }>(
    `SELECT DISTINCT ON (legacy_key) legacy_key, legacy_id, sha256, content_type, listed_updated_at, run_id,
            fetched_at::text AS fetched_at, raw_bytes
       FROM porter_archive.pages
      WHERE legacy_key > $1
      ORDER BY legacy_key, pages.fetched_at DESC -- the column, not the text alias above
      LIMIT $2`,
    // Every key is 32 bytes, so the empty one sorts before them all.
    [after ?? Buffer.alloc(0), limit],
  );
  return rows.map((r) => ({
    legacyKey: r.legacy_key,
    legacyId: r.legacy_id,
    sha256: r.sha256,
    contentType: r.content_type,
    listedUpdatedAt: r.listed_updated_at,
    runId: r.run_id,
    fetchedAt: r.fetched_at,
    rawBytes: r.raw_bytes,
  }));
}

/** The bodies of these pages (by document key and sha256), in their order. */
export async function readPageBodies(db: Queryable, pages: readonly Pick<PageHead, "legacyKey" | "sha256">[]): Promise<Buffer[]> {
  if (pages.length === 0) return [];
  const { rows } = await db.query<{ n: number; body: Buffer }>(
    `SELECT t.n::int AS n, p.body
       FROM unnest($1::bytea[], $2::bytea[]) WITH ORDINALITY AS t(legacy_key, sha256, n)
       JOIN porter_archive.pages p ON p.legacy_key = t.legacy_key AND p.sha256 = t.sha256
      ORDER BY t.n`,
    [pages.map((p) => p.legacyKey), pages.map((p) => p.sha256)],
  );
  if (rows.length !== pages.length) throw new Error(`the archive lost ${pages.length - rows.length} pages while they were read`);
  return rows.map((r) => r.body);
}
