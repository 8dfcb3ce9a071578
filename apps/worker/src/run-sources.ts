import type pg from "pg";
import { createArchiveSource } from "@porter/archive";
import { getRun } from "@porter/db";
import type { Source } from "@porter/source";

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
  /** The legacy service. */
  legacy: Source;
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
export function createRunSources(options: RunSourcesOptions): (runId: string) => Promise<RunReading> {
  const runs = new Map<string, Promise<RunReading>>();
  async function resolve(runId: string): Promise<RunReading> {
    const run = await getRun(options.pool, runId);
    const dryRun = run?.dryRun === true;
    // A run that is gone has no ledger row left to load into; its job fails at the load, as before.
    if (run?.source !== "archive" || run.replayOf === null) return { source: options.legacy, keepPages: options.keepPages, dryRun };
    return {
      source: createArchiveSource({ ledger: options.pool, archive: options.archive, replayOf: run.replayOf }),
      keepPages: false,
      dryRun,
    };
  }
  return (runId) => {
    let reading = runs.get(runId);
    if (!reading) {
      reading = resolve(runId);
      runs.set(runId, reading);
      // A lookup that failed (Postgres away) is tried again by the next job.
      reading.catch(() => runs.delete(runId));
    }
    return reading;
  };
}
