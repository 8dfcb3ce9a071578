import type pg from "pg";
import { completeRunIfDone, countByStatus, countProjections, getRun, type ProjectionCounts, type Run, type RunStatus } from "@porter/db";
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
  /** Left unfinished when the run was cancelled; `porter resume` takes them up again. */
  cancelled: number;
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

/**
 * How long the run has been at work: the spans that ended (active_ms) and the
 * one going on, so the hour a completed run sat idle before a requeue does not
 * count in its pace. A run that ended otherwise (rolled back, cancelled) and
 * never completed counts from its start to its end.
 */
function workingMs(run: Run): number {
  if (run.status === "listing" || run.status === "running") {
    return run.activeMs + (Date.now() - Date.parse(run.resumedAt ?? run.startedAt));
  }
  if (run.activeMs > 0) return run.activeMs;
  return (run.finishedAt ? Date.parse(run.finishedAt) : Date.now()) - Date.parse(run.startedAt);
}

/** A run's progress now; completes the run when nothing is left to do. */
export async function readProgress(pool: pg.Pool, runId: string): Promise<RunProgress> {
  const [run, counts] = await Promise.all([getRun(pool, runId), countByStatus(pool, runId)]);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const projection = run.dryRun ? await countProjections(pool, runId) : null;
  let now = run;
  if (run.status === "running" && counts.pending === 0 && counts.running === 0 && (await completeRunIfDone(pool, runId))) {
    now = (await getRun(pool, runId)) ?? run;
  }
  const status = now.status;
  const elapsedMs = Math.max(1, workingMs(now));
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
    cancelled: counts.cancelled,
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

/** How far back the follower's ETA looks: the pace of the last 10 s, not of the whole run. */
export const RECENT_MS = 10_000;

/**
 * The pace of the last RECENT_MS, from the follower's own readings of the
 * documents finished. Undefined until a second has passed since the first reading.
 */
export class RecentPace {
  private readonly readings: { at: number; finished: number }[] = [];

  /** Documents per second over the readings of the last RECENT_MS, this one included. */
  add(at: number, finished: number): number | undefined {
    this.readings.push({ at, finished });
    // Keep one reading at or before the window's start, so the window is full once it can be.
    while (this.readings.length > 2 && (this.readings[1] as { at: number }).at <= at - RECENT_MS) this.readings.shift();
    const first = this.readings[0] as { at: number; finished: number };
    if (at - first.at < 1_000) return undefined;
    return ((finished - first.finished) / (at - first.at)) * 1000;
  }
}

/**
 * Polls the ledger until the run is completed, cancelled or rolled back. The
 * ETA it reports comes from the recent pace (RecentPace): the documents left
 * at the pace of the last 10 s, unknown while nothing finishes (retries
 * waiting out their backoff) rather than a stale or zero guess.
 */
export async function followRun(pool: pg.Pool, runId: string, options: FollowOptions = {}): Promise<RunSummary> {
  const pace = new RecentPace();
  for (;;) {
    const read = () => readProgress(pool, runId);
    const progress = await (options.stores ? options.stores.postgres(read, options.signal) : read());
    const recent = pace.add(Date.now(), progress.succeeded + progress.failed + progress.skipped);
    if (recent !== undefined && !progress.listing) {
      const left = progress.pending + progress.running;
      progress.etaMs = left === 0 ? 0 : recent > 0 ? (left / recent) * 1000 : undefined;
    }
    options.onProgress?.(progress);
    if (FINAL.has(progress.status)) return toSummary(progress);
    await sleep(options.intervalMs ?? 1_000, options.signal);
  }
}
