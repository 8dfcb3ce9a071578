import type pg from "pg";
import { findImport, latestPage, listRunEntries } from "@porter/db";
import { failureFromPgError, ImportFailure, isFailureKind } from "@porter/failures";
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
 * A document whose fetch failed in the replayed run fails again with the kind
 * it had, never retried, and without reading the archive (an older run's page
 * of a document since deleted must not bring it back); one with no archived
 * page (ARCHIVE=off in the runs that fetched it) fails as `not_archived`.
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
      // A store that is down fails the attempt as db_unavailable, retried like a load.
      const read = <T>(query: Promise<T>, what: string) =>
        query.catch((err: unknown) => {
          throw failureFromPgError(err, `${what} of ${JSON.stringify(id)}`, "fetch");
        });
      // What the replayed run got for it comes first: a document that was gone then (a 404)
      // stays failed, even when an older run archived a page of it.
      const before = await read(findImport(ledger, replayOf, id), `read run ${replayOf}'s ledger row`);
      if (before?.status === "failed" && before.errorStage === "fetch" && before.errorKind !== null && isFailureKind(before.errorKind)) {
        throw new ImportFailure(before.errorKind, `in run ${replayOf} the page of ${JSON.stringify(id)} could not be fetched: ${before.lastError ?? before.errorKind}`, {
          stage: "fetch",
          replayed: true,
        });
      }
      const page = await read(latestPage(archive, id), "read the archived page");
      if (page) return { bytes: page.body, contentType: page.contentType };
      const context = `no archived page of ${JSON.stringify(id)}`;
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
