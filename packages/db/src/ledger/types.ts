export type RunStatus = "listing" | "running" | "completed" | "cancelled" | "rolled_back";
/** Where a run reads its listing and its pages: the legacy service, or the archive (a replay). */
export type RunSource = "legacy" | "archive";
/** What a dry run found a real run would do with a document that would load. */
export type ImportProjection = "new" | "changed" | "unchanged";
/**
 * `skipped`: a changed-only run found the document unchanged in the target and neither fetched nor wrote it.
 * `cancelled`: the run was cancelled before the document was finished (`porter resume` takes it up again).
 */
export type ImportStatus = "pending" | "running" | "succeeded" | "failed" | "rolled_back" | "skipped" | "cancelled";

export const IMPORT_STATUSES: readonly ImportStatus[] = ["pending", "running", "succeeded", "failed", "rolled_back", "skipped", "cancelled"];

export interface Run {
  id: string;
  status: RunStatus;
  cursor: string | null;
  listed: number;
  /** Why the listing stopped before its end; null when it ran to its end (or still runs). */
  listingError: string | null;
  options: Record<string, unknown>;
  source: RunSource;
  /** The run a replay lists again and reads from the archive; null unless `source` is `archive`. */
  replayOf: string | null;
  /** A changed-only run (porter run --changed): documents the target holds unchanged are skipped. */
  changedOnly: boolean;
  /** A dry run (porter run --dry-run): nothing is written to the target; each row records what a real run would do. */
  dryRun: boolean;
  startedAt: string;
  listedAt: string | null;
  finishedAt: string | null;
  /** Milliseconds of work in the spans that ended (see import_runs.active_ms). */
  activeMs: number;
  /** When the current span of work began, if a requeue reopened the run; null: at startedAt. */
  resumedAt: string | null;
}
