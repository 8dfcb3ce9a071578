import type pg from "pg";
import { createArchiveSource } from "@porter/archive";
import { getRun, type Run } from "@porter/db";
import type { Logger } from "@porter/logger";
import { sameServiceUrl, type Source } from "@porter/source";

/** Where one run's documents are read, and whether their pages go into the archive. */
export interface RunReading {
  source: Source;
  /** ARCHIVE=on and the pages come from the legacy service (a replay's are archived already). */
  keepPages: boolean;
  /** A dry run: documents are validated and judged, never written to the target. */
  dryRun: boolean;
}

export interface RunSourcesOptions {
  /** The ledger: a run's row says where it reads. */
  pool: pg.Pool;
  /** The legacy service at this worker's own LEGACY_URL. */
  legacy: Source;
  /**
   * A run made against another legacy URL than this worker's is read from
   * its own (each run records its LEGACY_URL): `url` is this worker's,
   * `open` makes a source for another one (same token, limits and
   * timeouts). Unset: every run reads `legacy`.
   */
  legacyAt?: { url: string; open: (url: string) => Source; logger: Logger };
  /** The archive's database: `pool`, or the one ARCHIVE_DATABASE_URL opens. */
  archive: pg.Pool;
  /** ARCHIVE=on. */
  keepPages: boolean;
}

/**
 * Each run's source, looked up once per run and process (a run never changes
 * where it reads, nor whether it is a dry run): the legacy service, or for a
 * replay the archive, reading the pages the replayed run's documents were
 * last fetched with.
 */
export type RunSources = ((runId: string) => Promise<RunReading>) & {
  /** Closes the sources opened for other legacy URLs than this worker's. */
  close(): Promise<void>;
};

export function createRunSources(options: RunSourcesOptions): RunSources {
  const runs = new Map<string, Promise<RunReading>>();
  // One source per other legacy URL, shared by the runs made against it.
  const others = new Map<string, Source>();

  function legacyOf(run: Run | undefined): Source {
    const at = options.legacyAt;
    const url = run?.options.legacyUrl;
    if (at === undefined || run === undefined || typeof url !== "string" || sameServiceUrl(url, at.url)) return options.legacy;
    at.logger.warn(
      { runId: run.id, runLegacyUrl: url, workerLegacyUrl: at.url },
      `run ${run.id} was started against the legacy service at ${url}, not this worker's LEGACY_URL=${at.url}: its documents are fetched from the run's`,
    );
    let source = others.get(url);
    if (source === undefined) {
      source = at.open(url);
      others.set(url, source);
    }
    return source;
  }

  async function resolve(runId: string): Promise<RunReading> {
    const run = await getRun(options.pool, runId);
    const dryRun = run?.dryRun === true;
    // A run that is gone has no ledger row left to load into; its job fails at the load, as before.
    if (run?.source !== "archive" || run.replayOf === null) return { source: legacyOf(run), keepPages: options.keepPages, dryRun };
    return {
      source: createArchiveSource({ ledger: options.pool, archive: options.archive, replayOf: run.replayOf }),
      keepPages: false,
      dryRun,
    };
  }
  const read = (runId: string): Promise<RunReading> => {
    let reading = runs.get(runId);
    if (!reading) {
      reading = resolve(runId);
      runs.set(runId, reading);
      // A lookup that failed (Postgres away) is tried again by the next job.
      reading.catch(() => runs.delete(runId));
    }
    return reading;
  };
  return Object.assign(read, {
    close: async () => {
      await Promise.allSettled([...others.values()].map((s) => s.close()));
    },
  });
}
