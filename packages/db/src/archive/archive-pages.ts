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
 * Keeps pages in the archive. A page whose bytes the archive already holds
 * for that document is not stored again: its row only learns the newer fetch
 * (run, time, listed updatedAt, content type), so the latest fetch of a
 * document always names its latest page, even after A → B → A.
 * Arrays, one element per page: $1 legacy keys, $2 sha256, $3 legacy ids,
 * $4 listed updatedAt, $5 content types, $6 run ids, $7 fetch times, $8 where
 * the page's body starts in $9 and $10 its length; $9 every body of the
 * statement, end to end, as one parameter. One Buffer goes binary (an array
 * of Buffers goes as hex text, and Postgres spent half the statement parsing
 * it), and the text stays the same whatever the number of pages, so it is
 * prepared once per connection: parse and plan were a third of its cost.
 * The generic plan is safe here, unlike the loader's: the only table it reads
 * is through its primary key, for the conflict.
 */
const ARCHIVE_PAGES = `
INSERT INTO porter_archive.pages AS p
       (legacy_key, sha256, legacy_id, listed_updated_at, content_type, body, raw_bytes,
        first_run_id, run_id, first_fetched_at, fetched_at)
SELECT DISTINCT ON (t.legacy_key, t.sha256)
       t.legacy_key, t.sha256, t.legacy_id, t.listed_updated_at, t.content_type,
       substring($9::bytea FROM t.start + 1 FOR t.length), t.length,
       t.run_id, t.run_id, t.fetched_at, t.fetched_at
  FROM unnest($1::bytea[], $2::bytea[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::timestamptz[],
              $8::int[], $10::int[])
         AS t(legacy_key, sha256, legacy_id, listed_updated_at, content_type, run_id, fetched_at, start, length)
 ORDER BY t.legacy_key, t.sha256, t.fetched_at DESC
ON CONFLICT (legacy_key, sha256) DO UPDATE
   SET run_id = EXCLUDED.run_id, fetched_at = EXCLUDED.fetched_at, listed_updated_at = EXCLUDED.listed_updated_at,
       content_type = EXCLUDED.content_type
 WHERE p.fetched_at < EXCLUDED.fetched_at`;

/**
 * The most body bytes one statement carries: a protocol message and a bytea
 * hold at most 1 GB, and 100 pages of up to MAX_PAGE_BYTES each could pass it.
 * A page larger than this goes in a statement of its own.
 */
export const ARCHIVE_STATEMENT_BYTES = 64 * 1024 * 1024;

/** Writes `pages` to the archive (see ARCHIVE_PAGES); on a client inside the caller's transaction, or on a pool. */
export async function archivePages(db: Queryable, pages: readonly ArchivedPage[]): Promise<void> {
  let group: ArchivedPage[] = [];
  let bytes = 0;
  for (const page of pages) {
    if (group.length > 0 && bytes + page.body.length > ARCHIVE_STATEMENT_BYTES) {
      await archiveGroup(db, group);
      group = [];
      bytes = 0;
    }
    group.push(page);
    bytes += page.body.length;
  }
  if (group.length > 0) await archiveGroup(db, group);
}

async function archiveGroup(db: Queryable, pages: readonly ArchivedPage[]): Promise<void> {
  const starts: number[] = [];
  const lengths: number[] = [];
  let start = 0;
  for (const page of pages) {
    starts.push(start);
    lengths.push(page.body.length);
    start += page.body.length;
  }
  await db.query({
    name: "porter_archive_pages",
    text: ARCHIVE_PAGES,
    values: [
      pages.map((p) => legacyKey(p.legacyId)),
      pages.map((p) => p.sha256),
      pages.map((p) => p.legacyId),
      pages.map((p) => p.listedUpdatedAt),
      pages.map((p) => p.contentType),
      pages.map((p) => p.runId),
      pages.map((p) => p.fetchedAt),
      starts,
      Buffer.concat(pages.map((p) => p.body), start),
      lengths,
    ],
  });
}
