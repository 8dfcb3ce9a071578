import DataLoader from "dataloader";
import type pg from "pg";
import { findImports, latestPages, listRunEntries } from "@porter/db";
import { failureFromPgError, ImportFailure, isFailureKind } from "@porter/failures";
import type { BodyReservation, FetchedPage, ListPage, Source } from "@porter/source";

export interface ArchiveSourceOptions {
  /** The ledger (the target database): the replayed run's rows are the listing. */
  ledger: pg.Pool;
  /** Where the archive is: the same pool, or the one ARCHIVE_DATABASE_URL opens. */
  archive: pg.Pool;
  /** The run whose listing is replayed. */
  replayOf: string;
}

/**
 * Pages read per pair of statements. The pages of a batch are in memory at
 * once before each is reserved from the worker's byte budget, so the batch
 * stays small next to WORKER_CONCURRENCY.
 */
const READ_BATCH = 50;

/**
 * The archive as a Source: the listing is the replayed run's ledger rows (in
 * key order), and a document's page is its latest archived one. Not one
 * request goes to the legacy service.
 *
 * A document whose fetch failed in the replayed run fails again with the kind
 * it had, never retried, and without reading the archive (an older run's page
 * of a document since deleted must not bring it back); one with no archived
 * page (ARCHIVE=off in the runs that fetched it) fails as `not_archived`.
 *
 * The worker's concurrent fetches are read together (DataLoader, gathered
 * until the event loop turns): two statements per batch of READ_BATCH pages,
 * the replayed run's rows and then the pages, instead of two per document.
 */
export function createArchiveSource(options: ArchiveSourceOptions): Source {
  const { ledger, archive, replayOf } = options;

  async function readBatch(ids: readonly string[]): Promise<(FetchedPage | Error)[]> {
    const before = await findImports(ledger, replayOf, ids);
    // A fetch failure of the replayed run is repeated as it was; only the others read the archive.
    const repeated = before.map((row, k) =>
      row?.status === "failed" && row.errorStage === "fetch" && row.errorKind !== null && isFailureKind(row.errorKind)
        ? new ImportFailure(row.errorKind, `in run ${replayOf} the page of ${JSON.stringify(ids[k])} could not be fetched: ${row.lastError ?? row.errorKind}`, {
            stage: "fetch",
            replayed: true,
          })
        : undefined,
    );
    const pages = await latestPages(archive, ids.filter((_, k) => repeated[k] === undefined));
    let next = 0;
    return ids.map((id, k) => {
      const failure = repeated[k];
      if (failure) return failure;
      const page = pages[next++];
      if (page) return { bytes: page.body, contentType: page.contentType };
      const row = before[k];
      return new ImportFailure(
        "not_archived",
        `no archived page of ${JSON.stringify(id)}: run ${replayOf} ${row ? `ended it ${row.status}` : "did not list it"} without keeping a page (ARCHIVE=off, or another archive database)`,
        { stage: "fetch" },
      );
    });
  }

  // No cache: a page is read once per attempt and not held afterwards.
  const reader = new DataLoader<string, FetchedPage>(readBatch, {
    cache: false,
    maxBatchSize: READ_BATCH,
    batchScheduleFn: (run) => setImmediate(run),
  });

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

    async fetchPage(id: string, signal: AbortSignal, reservation?: BodyReservation): Promise<FetchedPage> {
      signal.throwIfAborted();
      let page: FetchedPage;
      try {
        page = await reader.load(id);
      } catch (err) {
        // A store that is down fails the attempt as db_unavailable, retried like a load.
        throw failureFromPgError(err, `read the archived page of ${JSON.stringify(id)}`, "fetch");
      }
      signal.throwIfAborted();
      // Counted in the worker's byte budget like a fetched page, from here until its document is done.
      await reservation?.reserve(page.bytes.length, signal);
      return page;
    },

    async close(): Promise<void> {
      // The pools belong to the caller.
    },
  };
}
