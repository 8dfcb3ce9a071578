import type pg from "pg";
import { findImport, latestPage, listRunEntries } from "@porter/db";
import { ImportFailure, isFailureKind } from "@porter/failures";
import type { FetchedPage, ListPage, Source } from "@porter/source";

export interface ArchiveSourceOptions {
  /** The ledger (the target database): the replayed run's rows are the listing. */
  ledger: pg.Pool;
  /** Where the archive is: the same pool, or the one ARCHIVE_DATABASE_URL opens. */
  archive: pg.Pool;
  /** The run whose listing is replayed. */
  replayOf: string;
}

/**
 * The archive as a Source: the listing is the replayed run's ledger rows (in
 * key order), and a document's page is its latest archived one. Not one
 * request goes to the legacy service.
 *
 * A document with no archived page fails again with the kind it had in the
 * replayed run (it failed at fetch, so no page was kept), never retried;
 * one that had none (it succeeded, or was never tried, with ARCHIVE=off)
 * fails as `not_archived`.
 */
export function createArchiveSource(options: ArchiveSourceOptions): Source {
  const { ledger, archive, replayOf } = options;
  return {
    async list(cursor: string | null, limit: number): Promise<ListPage> {
      const after = cursor === null ? Buffer.alloc(0) : Buffer.from(cursor, "hex");
      const entries = await listRunEntries(ledger, replayOf, after, limit);
      const last = entries.at(-1);
      return {
        documents: entries.map((entry) => ({
          // An invalid id is stored escaped; listed again as it was, it is refused again the same way.
          id: entry.errorKind === "invalid_id" && entry.errorStage === "list" ? (JSON.parse(entry.legacyId) as string) : entry.legacyId,
          updatedAt: entry.updatedAt ?? undefined,
        })),
        nextCursor: entries.length < limit || last === undefined ? null : last.legacyKey.toString("hex"),
      };
    },

    async fetchPage(id: string, signal: AbortSignal): Promise<FetchedPage> {
      signal.throwIfAborted();
      const page = await latestPage(archive, id);
      if (page) return { bytes: page.body, contentType: page.contentType };
      const before = await findImport(ledger, replayOf, id);
      const context = `no archived page of ${JSON.stringify(id)}`;
      if (before?.errorKind && isFailureKind(before.errorKind) && before.status === "failed") {
        throw new ImportFailure(before.errorKind, `${context}: in run ${replayOf} it failed: ${before.lastError ?? before.errorKind}`, {
          stage: "fetch",
          replayed: true,
        });
      }
      throw new ImportFailure(
        "not_archived",
        `${context}: run ${replayOf} ${before ? `ended it ${before.status}` : "did not list it"} without keeping a page (ARCHIVE=off, or another archive database)`,
        { stage: "fetch" },
      );
    },

    async close(): Promise<void> {
      // The pools belong to the caller.
    },
  };
}
