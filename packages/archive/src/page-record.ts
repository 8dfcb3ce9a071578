import { hash } from "node:crypto";
import type { ArchivedPage } from "@porter/db";
import type { FetchedPage } from "@porter/source";

/** What the archive keeps of a page fetched with 200 for a run's document. */
export function toArchivedPage(
  page: FetchedPage,
  job: { runId: string; legacyId: string; updatedAt?: string | null | undefined },
  fetchedAt: Date = new Date(),
): ArchivedPage {
  return {
    legacyId: job.legacyId,
    body: page.bytes,
    sha256: hash("sha256", page.bytes, "buffer"),
    contentType: page.contentType,
    listedUpdatedAt: job.updatedAt ?? null,
    runId: job.runId,
    fetchedAt: fetchedAt.toISOString(),
  };
}
