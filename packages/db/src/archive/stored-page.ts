import type { ArchivedPage } from "./archive-pages.js";

/** A page as the archive holds it: what was archived, and its document's key (legacy-key.ts). */
export interface StoredPage extends ArchivedPage {
  legacyKey: Buffer;
}

/** The columns toStoredPage reads, for a SELECT on porter_archive.pages. */
export const PAGE_COLUMNS = `legacy_key, legacy_id, body, sha256, content_type, listed_updated_at, run_id, fetched_at::text AS fetched_at`;

export function toStoredPage(row: Record<string, unknown>): StoredPage {
  return {
    legacyKey: row.legacy_key as Buffer,
    legacyId: row.legacy_id as string,
    body: row.body as Buffer,
    sha256: row.sha256 as Buffer,
    contentType: row.content_type as string | null,
    listedUpdatedAt: row.listed_updated_at as string | null,
    runId: row.run_id as string,
    fetchedAt: row.fetched_at as string,
  };
}
