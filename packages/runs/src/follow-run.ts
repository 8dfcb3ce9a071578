import type pg from "pg";
import { completeRunIfDone, countByStatus, countProjections, getRun, type ProjectionCounts, type RunStatus } from "@porter/db";
import { sleep } from "./sleep.js";
import type { StoreRetry } from "./store-retry.js";

export interface RunProgress {
  runId: string;
  status: RunStatus;
  /** True while the enqueuer is still listing: `listed` will grow. */
  listing: boolean;
  /** Why the listing stopped before its end (see ListingGuard); null when it did not. */
  listingError: string | null;
  /** A dry run: `succeeded` documents were judged, not written; `projection` says what a real run would do. */
  dryRun: boolean;
  /** For a dry run, its `succeeded` documents by what a real run would do with them; null otherwise. */
  projection: ProjectionCounts | null;
  listed: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  /** Not fetched nor written: a changed-only run found them unchanged in the target. */
  skipped: number;
  rolledBack: number;
  elapsedMs: number;
  docsPerSecond: number;
  /** Time left at the current pace; undefined while listing or before any progress. */
  etaMs: number | undefined;
}

/** The line `porter run --follow --json` prints at the end. */
export interface RunSummary {
  runId: string;
  status: RunStatus;
  /** Set when the listing stopped before its end: the run migrated only part of the listing. */
  listingError: string | null;
  dryRun: boolean;
  projection: ProjectionCounts | null;
  listed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  durationMs: number;
  docsPerSecond: number;
}

const FINAL: ReadonlySet<RunStatus> = new Set(["completed", "cancelled", "rolled_back"]);

/** A run's progress now; completes the run when nothing is left to do. */
export async function readProgress(pool: pg.Pool, runId: string): Promise<RunProgress> {
  const [run, counts] = await Promise.all([getRun(pool, runId), countByStatus(pool, runId)]);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const projection = run.dryRun ? await countProjections(pool, runId) : null;
  let status = run.status;
  let finishedAt = run.finishedAt;
  if (status === "running" && counts.pending === 0 && counts.running === 0 && (await completeRunIfDone(pool, runId))) {
    const done = await getRun(pool, runId);
    status = done?.status ?? status;
    finishedAt = done?.finishedAt ?? finishedAt;
  }
  const started = Date.parse(run.startedAt);
  const elapsedMs = Math.max(1, (finishedAt ? Date.parse(finishedAt) : Date.now()) - started);
  // Skipped documents are finished too: a changed-only run goes at the pace of its listing.
  const finished = counts.succeeded + counts.failed + counts.skipped;
  const docsPerSecond = (finished / elapsedMs) * 1000;
  const left = counts.pending + counts.running;
  return {
    runId,
    status,
    listing: status === "listing",
    listingError: run.listingError,
    dryRun: run.dryRun,
    projection,
    listed: counts.listed,
    pending: counts.pending,
    running: counts.running,
    succeeded: counts.succeeded,
    failed: counts.failed,
    skipped: counts.skipped,
    rolledBack: counts.rolled_back,
    elapsedMs,
    docsPerSecond,
    etaMs: status === "listing" || docsPerSecond === 0 ? undefined : (left / docsPerSecond) * 1000,
  };
}

export function toSummary(p: RunProgress): RunSummary {
  return {
    runId: p.runId,
    status: p.status,
    listingError: p.listingError,
    dryRun: p.dryRun,
    projection: p.projection,
    listed: p.listed,
    succeeded: p.succeeded,
    failed: p.failed,
    skipped: p.skipped,
    durationMs: Math.round(p.elapsedMs),
    docsPerSecond: Math.round(p.docsPerSecond * 10) / 10,
  };
}

export interface FollowOptions {
  intervalMs?: number;
  onProgress?: (progress: RunProgress) => void;
  signal?: AbortSignal;
  /** Waits out a Postgres outage instead of failing the follow (see store-retry.ts). */
  stores?: StoreRetry;
}

/** Polls the ledger until the run is completed, cancelled or rolled back. */
export async function followRun(pool: pg.Pool, runId: string, options: FollowOptions = {}): Promise<RunSummary> {
  for (;;) {
    const read = () => readProgress(pool, runId);
    const progress = await (options.stores ? options.stores.postgres(read, options.signal) : read());
    options.onProgress?.(progress);
    if (FINAL.has(progress.status)) return toSummary(progress);
    await sleep(options.intervalMs ?? 1_000, options.signal);
  }
}
