import { legacyKey } from "../legacy-key.js";
import type { Queryable } from "../pool.js";

/** A page as a worker fetched it with 200: what the archive keeps. */
export interface ArchivedPage {
  legacyId: string;
  /** The response body with its content coding undone, byte for byte. */
  body: Buffer;
  /** sha256 of `body`. */
  sha256: Buffer;
  contentType: string | null;
  /** The listing's updatedAt for the document, as the listing wrote it (null when it was not a string). */
  listedUpdatedAt: string | null;
  /** The run whose attempt fetched it. */
  runId: string;
  /** When it was fetched, ISO-8601. */
  fetchedAt: string;
}

/**
 * Keeps pages in the archive, in one statement. A page whose bytes the
 * archive already holds for that document is not stored again: its row only
 * learns the newer fetch (run, time, listed updatedAt, content type), so the latest fetch of
 * a document always names its latest page, even after A → B → A.
 * Arrays, one element per page: $1 legacy keys, $2 sha256, $3 legacy ids,
 * $4 listed updatedAt, $5 content types, $6 run ids, $7 fetch times; then
 * each page's body as a parameter of its own, $8 onwards. Not a bytea[]:
 * node-pg sends an array of Buffers as hex text, twice the bytes, and Postgres
 * spent half the statement's time parsing it; a Buffer alone goes binary.
 */
function archivePagesStatement(count: number): string {
  const bodies = Array.from({ length: count }, (_, k) => `($${k + 8}::bytea, ${k + 1})`).join(", ");
  return `
INSERT INTO porter_archive.pages AS p
       (legacy_key, sha256, legacy_id, listed_updated_at, content_type, body, raw_bytes,
        first_run_id, run_id, first_fetched_at, fetched_at)
SELECT DISTINCT ON (t.legacy_key, t.sha256)
       t.legacy_key, t.sha256, t.legacy_id, t.listed_updated_at, t.content_type, b.body, octet_length(b.body),
       t.run_id, t.run_id, t.fetched_at, t.fetched_at
  FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[])
         WITH ORDINALITY AS t(legacy_key, sha256, legacy_id, listed_updated_at, content_type, run_id, fetched_at, n)
  JOIN (VALUES ${bodies}) AS b(body, n) ON b.n = t.n
 ORDER BY t.legacy_key, t.sha256, t.fetched_at DESC
ON CONFLICT (legacy_key, sha256) DO UPDATE
   SET run_id = EXCLUDED.run_id, fetched_at = EXCLUDED.fetched_at, listed_updated_at = EXCLUDED.listed_updated_at,
       content_type = EXCLUDED.content_type
 WHERE p.fetched_at < EXCLUDED.fetched_at`;
}

/** Writes `pages` to the archive (see archivePagesStatement); on a client inside the caller's transaction, or on a pool. */
export async function archivePages(db: Queryable, pages: readonly ArchivedPage[]): Promise<void> {
  if (pages.length === 0) return;
  await db.query({
    // Unnamed, like the loader's batch statements: planned for this batch's size.
    text: archivePagesStatement(pages.length),
    values: [
      pages.map((p) => legacyKey(p.legacyId)),
      pages.map((p) => p.sha256),
      pages.map((p) => p.legacyId),
      pages.map((p) => p.listedUpdatedAt),
      pages.map((p) => p.contentType),
      pages.map((p) => p.runId),
      pages.map((p) => p.fetchedAt),
      ...pages.map((p) => p.body),
    ],
  });
}
